// SPDX-License-Identifier: Apache-2.0
#include "enforcer/map_readers.h"

#include <bpf/libbpf.h>

#include <cstring>

namespace syva {

std::map<uint64_t, uint32_t> read_zone_entries(int fd) {
  std::map<uint64_t, uint32_t> out;
  for (uint64_t key : map_keys<uint64_t>(fd)) {
    uint32_t zone = 0;
    if (bpf_map_lookup_elem(fd, &key, &zone) == 0) out[key] = zone;
  }
  return out;
}

std::map<uint32_t, std::string> read_zone_names(int fd) {
  std::map<uint32_t, std::string> out;
  for (uint32_t id = 1; id < SYVA_MAX_ZONES; ++id) {
    syva_zone_name v{};
    if (bpf_map_lookup_elem(fd, &id, &v) == 0 && v.name[0] != '\0')
      out[id] = std::string(v.name, strnlen(v.name, sizeof(v.name)));
  }
  return out;
}

std::vector<syva_counters> read_counters(int counters_fd) {
  const int ncpus = libbpf_num_possible_cpus();
  std::vector<syva_counters> out(SYVA_HOOK_COUNT);
  std::vector<syva_counters> per_cpu(ncpus > 0 ? ncpus : 1);
  for (uint32_t hook = 0; hook < SYVA_HOOK_COUNT; ++hook) {
    if (bpf_map_lookup_elem(counters_fd, &hook, per_cpu.data()) != 0) continue;
    for (const auto& c : per_cpu) {
      out[hook].allow += c.allow;
      out[hook].deny += c.deny;
      out[hook].error += c.error;
      out[hook].dropped += c.dropped;
      out[hook].audit += c.audit;
    }
  }
  return out;
}

std::optional<syva_agent_state> read_agent_state(int agent_state_fd) {
  syva_agent_state state{};
  const uint32_t key = 0;
  if (bpf_map_lookup_elem(agent_state_fd, &key, &state) != 0) return std::nullopt;
  return state;
}

}  // namespace syva
