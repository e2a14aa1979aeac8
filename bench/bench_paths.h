// SPDX-License-Identifier: Apache-2.0
// Where the kernel benchmarks keep their state, overridable by options:
// everything they create is under these and removed when they end.
#pragma once

#include <string>

#include "args.h"

namespace syva::bench {

struct BenchPaths {
  std::string out_dir;      // fragments and raw data
  std::string pin_path;     // the bench's own pins, never the agent's
  std::string scratch;      // owned files and sockets
  std::string true_binary;  // the static program exec runs
};

BenchPaths bench_paths(const Args& args);

}  // namespace syva::bench
