// SPDX-License-Identifier: Apache-2.0
#include "bench_paths.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace syva::bench {

BenchPaths bench_paths(const Args& args) {
  BenchPaths p;
  p.out_dir = args.str("out-dir", ".");
  p.pin_path = args.str("pin", "/sys/fs/bpf/syva-bench");
  p.scratch = args.str("scratch", "/tmp/syva-bench/objects");
  const fs::path self = fs::read_symlink("/proc/self/exe");
  p.true_binary = args.str("true", (self.parent_path() / "syva-bench-true").string());
  fs::create_directories(p.out_dir);
  return p;
}

}  // namespace syva::bench
