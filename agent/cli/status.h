// SPDX-License-Identifier: Apache-2.0
// `syva status`: what the kernel is enforcing, read from the pinned maps
// and links alone (there is no agent socket to ask).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "syva_abi.h"

namespace syva {

struct ZoneStatus {
  uint32_t id = 0;
  std::string name;
  uint64_t members = 0;
};

struct HookStatus {
  std::string name;
  syva_counters counters{};
};

// healthy: enforcing with nothing amiss. degraded: enforcing, but something
// needs an operator (kernel read errors, dropped events, containerd or the
// agent away, a rejected policy change). unsafe: not enforcing.
enum class Health { healthy, degraded, unsafe };

struct StatusReport {
  std::string pin_path;
  bool active = false;            // every enforcing program's link is pinned
  size_t enforcing_programs = 0;  // how many links `active` needs: the programs loaded
  bool agent_running = false;     // some process holds the pin lock
  std::vector<std::string> attached;
  // Programs the agent left out on this kernel: their hook does not exist
  // here, or the verifier refused them (a degradation).
  std::vector<std::string> programs_absent;
  std::vector<std::string> programs_refused;
  std::vector<ZoneStatus> zones;
  uint64_t unknown_zone_members = 0;  // members whose zone id has no name
  uint64_t quarantined = 0;           // cgroups in quarantine (a degradation)
  uint64_t pending = 0;  // cgroups made under a guarded root and not placed (pod cgroups among them)
  std::vector<HookStatus> hooks;
  uint64_t dropped_events = 0;
  // Files whose owner is cached in their inode, of at most
  // SYVA_OWNER_CACHE_MAX; past it zoned opens fall back to the hashes.
  uint64_t owners_cached = 0;
  syva_agent_state agent_state{};
  bool has_agent_state = false;
  Health health = Health::unsafe;
  std::vector<std::string> health_reasons;
  std::vector<std::string> problems;  // why something could not be read
};

const char* to_string(Health health);

StatusReport read_status(const std::string& pin_path);
// Sets health and its reasons from what read_status gathered.
void judge_health(StatusReport& report);
std::string format_status_text(const StatusReport& report);
std::string format_status_json(const StatusReport& report);
// For probes: 0 healthy, 2 degraded (still enforcing), 1 unsafe (not
// enforcing). A liveness probe wants "not 1"; a readiness probe "0".
int status_exit_code(const StatusReport& report);

}  // namespace syva
