// SPDX-License-Identifier: Apache-2.0
// The agent's life: policy, kernel, self-test, enforce, log, stop.
#pragma once

#include <string>
#include <vector>

#include "watcher/placement.h"

namespace syva {

struct AgentOptions {
  std::string policy_dir = "/etc/syva/policies";
  std::string pin_path = "/sys/fs/bpf/syva";
  std::string containerd_sock = "/run/containerd/containerd.sock";
  // On SIGTERM/SIGINT leave enforcement pinned for the next agent.
  bool persist = false;
  // Containers that name no zone (--unzoned, --exempt-namespace).
  UnzonedSetting unzoned;
  // Top-level cgroups whose new cgroups start PENDING (--guard-cgroup).
  std::vector<std::string> guarded_roots;
  // Prometheus endpoint, "HOST:PORT"; empty: none.
  std::string metrics_address;
};

// Exit codes, also documented in `syva --help`.
enum AgentExit : int {
  kExitOk = 0,
  kExitFailure = 1,         // runtime error (pins, maps)
  kExitBadPolicy = 2,       // the policy directory is invalid: nothing was enforced
  kExitNoBpfLsm = 3,        // this kernel cannot run BPF-LSM programs
  kExitSelftestFailed = 4,  // the kernel's view disagreed with user space: refused
};

int run_agent(const AgentOptions& options);

}  // namespace syva
