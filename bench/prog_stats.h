// SPDX-License-Identifier: Apache-2.0
// The kernel's own accounting of BPF program run time
// (kernel.bpf_stats_enabled): how many times Syva's programs ran and how
// long they took, to explain an operation's overhead by the programs' cost.
// It adds two clock reads per program run, so it is only switched on for a
// separate pass, never while the main figures are timed.
#pragma once

#include <cstdint>
#include <vector>

namespace syva {
class Enforcer;
}

namespace syva::bench {

struct ProgRun {
  uint64_t count = 0;
  uint64_t ns = 0;
};

class ProgStats {
 public:
  ProgStats();   // switches the accounting on (throws if it cannot)
  ~ProgStats();  // and off again
  ProgStats(const ProgStats&) = delete;
  ProgStats& operator=(const ProgStats&) = delete;

  // Sum over Syva's enforcing programs, now.
  static ProgRun total(Enforcer& enforcer);
};

}  // namespace syva::bench
