// SPDX-License-Identifier: Apache-2.0
// The startup self-test: before enforcing, check that the kernel programs
// see a real process and a real file exactly as user space names them.
// If the cgroup id or the (dev, ino) key differ, every map entry Syva would
// write would miss, so the agent must refuse to enforce.
#pragma once

#include <cstdint>
#include <string>

#include "syva_abi.h"

namespace syva {

class Enforcer;

struct SelftestResult {
  bool passed = false;
  std::string summary;  // one line, for logs and errors

  uint64_t expected_cgroup = 0;     // inode of the probe's cgroup2 directory
  uint64_t kernel_cgroup = 0;       // bpf_get_current_cgroup_id() in the probe
  uint64_t kernel_task_cgroup = 0;  // the target-task path for the same task
  syva_inode_key expected_inode{};  // stat() of the probe file
  syva_inode_key kernel_inode{};    // as file_open read it
  uint32_t hits = 0;
};

// Deliberate faults for tests of the refusal path: SYVA_SELFTEST_FAULT=cgroup
// or =inode shifts user space's expectation so the comparison must fail.
inline constexpr const char* kSelftestFaultEnv = "SYVA_SELFTEST_FAULT";

// Creates a cgroup under the cgroup2 mount, moves a child process into it,
// has it open `probe_file` while the probe program is attached, and compares.
// Throws only if the test could not be set up at all.
SelftestResult run_selftest(Enforcer& enforcer, const std::string& probe_file);

}  // namespace syva
