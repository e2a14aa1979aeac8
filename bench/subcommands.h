// SPDX-License-Identifier: Apache-2.0
// The syva-bench subcommands; each writes its markdown fragment and raw TSV
// into --out-dir and returns the process exit code.
#pragma once

#include "args.h"

namespace syva::bench {

int run_cost(const Args& args);    // instructions per operation, five configurations (VM with --icount)
int run_ops(const Args& args);     // per-operation cost, four configurations (VM)
int run_scale(const Args& args);   // the same at 1/100/10,000 zones, 100k inodes (VM)
int run_tag(const Args& args);     // time to tag 100,000 host-path inodes (VM or host)
int run_agent(const Args& args);   // syva start-up to enforcing, RSS, idle CPU (VM)
int run_events(const Args& args);  // deny events per second logged without drops (VM)
int run_churn(const Args& args);   // agent memory over replayed container start/stop cycles (VM)
int run_floor(const Args& args);   // the empty-program floor hook by hook (VM with --icount)

}  // namespace syva::bench
