// SPDX-License-Identifier: Apache-2.0
// syva-bench: Syva's benchmarks. The kernel ones need BPF-LSM and run in the
// test VM; see scripts/bench.sh, which runs all of them and writes
// bench/REPORT.md.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include <spdlog/spdlog.h>

#include "subcommands.h"

namespace {

int usage() {
  fprintf(stderr, "usage: syva-bench cost|ops|scale|tag|agent|events|churn|floor [--out-dir DIR] [--key value ...]\n"
                  "  normally run by scripts/bench.sh (host) and test/vm/guest/bench.sh (VM)\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  // The enforcer's and the tagger's info lines would drown the bench's own.
  spdlog::set_level(spdlog::level::warn);
  const std::string cmd = argv[1];
  try {
    syva::bench::Args args(argc - 2, argv + 2);
    if (cmd == "cost") return syva::bench::run_cost(args);
    if (cmd == "ops") return syva::bench::run_ops(args);
    if (cmd == "scale") return syva::bench::run_scale(args);
    if (cmd == "tag") return syva::bench::run_tag(args);
    if (cmd == "agent") return syva::bench::run_agent(args);
    if (cmd == "events") return syva::bench::run_events(args);
    if (cmd == "churn") return syva::bench::run_churn(args);
    if (cmd == "floor") return syva::bench::run_floor(args);
  } catch (const std::exception& e) {
    fprintf(stderr, "syva-bench %s: %s\n", cmd.c_str(), e.what());
    return 1;
  }
  return usage();
}
