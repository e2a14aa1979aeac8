// SPDX-License-Identifier: Apache-2.0
// `[resources]` of a zone, applied to a member container's cgroup when it
// joins: cgroup v2 `cpu.weight`, `memory.max`, `pids.max`, converted as the
// kernel and runc document them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "syva_abi.h"

namespace syva {

// cgroup v1 cpu.shares (2..262144) to cgroup v2 cpu.weight (1..10000), the
// mapping runc and the kernel's cgroup-v2 documentation use.
uint64_t cpu_weight_from_shares(uint64_t shares);

// The file writes `policy` asks for: (file name, value); unset fields none.
std::vector<std::pair<std::string, std::string>> limit_writes(const syva_zone_policy& policy);

// Writes them under `cgroup_dir`; returns one line per failure (file, value, why).
std::vector<std::string> apply_limits(const std::string& cgroup_dir, const syva_zone_policy& policy);

}  // namespace syva
