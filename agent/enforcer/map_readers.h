// SPDX-License-Identifier: Apache-2.0
// Reads of Syva's maps by file descriptor, so that the agent (its own maps)
// and `syva status` (maps opened by pin path, nothing loaded) read them the
// same way.
#pragma once

#include <bpf/bpf.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "syva_abi.h"

namespace syva {

// Every key of a hash map, in the kernel's iteration order.
template <typename K>
std::vector<K> map_keys(int fd) {
  std::vector<K> keys;
  K key{}, next{};
  const K* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    keys.push_back(next);
    key = next;
    prev = &key;
  }
  return keys;
}

// A map from a 64-bit key to a zone id: zone_membership (cgroup id -> zone)
// or superblock_zone (device -> zone).
std::map<uint64_t, uint32_t> read_zone_entries(int fd);

// The zone_names map (id -> name; free ids are left out).
std::map<uint32_t, std::string> read_zone_names(int zone_names_fd);

// The counters map, summed over CPUs, per hook.
std::vector<syva_counters> read_counters(int counters_fd);

// The agent_state map's one entry; nullopt when it cannot be read.
std::optional<syva_agent_state> read_agent_state(int agent_state_fd);

}  // namespace syva
