// SPDX-License-Identifier: Apache-2.0
#include "policy/compiled_policy.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "policy/host_path_tagger.h"
#include "policy/policy_loader.h"
#include "policy/syscall_hooks.h"

namespace syva {

uint32_t CompiledPolicy::id_of(std::string_view zone) const {
  auto it = std::lower_bound(zone_names.begin(), zone_names.end(), zone);
  if (it == zone_names.end() || *it != zone) return SYVA_ZONE_NONE;
  return static_cast<uint32_t>(it - zone_names.begin()) + 1;
}

namespace {

// What the fixed-size kernel maps cannot hold is refused here, so `syva
// check` says so offline; the agent checks again before writing, counting
// what the last policy and running containers hold too.
void check_map_capacity(const std::vector<ZonePolicy>& zones, const CompiledPolicy& out,
                        std::vector<std::string>& problems) {
  if (zones.size() > SYVA_FIRST_STATE_ZONE - 1) {
    const ZonePolicy& first_over = zones[SYVA_FIRST_STATE_ZONE - 1];
    problems.push_back(fmt::format("{}: [zone]: {} zones, and the kernel's zone table holds at most {}",
                                   first_over.file, zones.size(), SYVA_FIRST_STATE_ZONE - 1));
  }
  std::set<std::string> egress;  // keys as bytes: equal keys are one entry
  std::map<uint32_t, size_t> egress_of_zone;
  for (const auto& [key, value] : out.egress) {
    if (egress.emplace(reinterpret_cast<const char*>(&key), sizeof(key)).second) ++egress_of_zone[key.zone];
  }
  if (egress.size() > SYVA_MAX_EGRESS_RULES) {
    const auto most = std::max_element(egress_of_zone.begin(), egress_of_zone.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
    const ZonePolicy& z = zones[most->first - 1];
    problems.push_back(fmt::format(
        "{}:{}: [network] allowed_egress: the policies need {} egress rules and the kernel map egress_rules holds {} "
        "(this file: {})",
        z.allowed_egress_pos.file, z.allowed_egress_pos.line, egress.size(), SYVA_MAX_EGRESS_RULES, most->second));
  }
  if (out.pairs.size() > SYVA_MAX_PAIRS) {
    const auto most = std::max_element(zones.begin(), zones.end(), [](const auto& a, const auto& b) {
      return a.allowed_zones.size() < b.allowed_zones.size();
    });
    problems.push_back(fmt::format(
        "{}:{}: [network] allowed_zones: the policies allow {} pairs (both orders) and the kernel map "
        "zone_allowed_comms holds {}",
        most->file, most->allowed_zones.front().pos.line, out.pairs.size(), SYVA_MAX_PAIRS));
  }
}

}  // namespace

CompiledPolicy compile_policy(const std::vector<ZonePolicy>& zones, size_t max_inodes) {
  CompiledPolicy out;
  for (const auto& z : zones) {
    out.zone_names.push_back(z.name);
    out.admission[z.name] = {z.namespaces, z.containerd_namespaces};
    syva_zone_policy v{};
    v.flags = SYVA_ZONE_F_DEFINED | (z.audit ? SYVA_ZONE_F_AUDIT : 0u) |
              (z.capabilities_given ? SYVA_ZONE_F_CAPS : 0u) | (z.writable_given ? SYVA_ZONE_F_WRITABLE : 0u) |
              (z.accept_from_node ? SYVA_ZONE_F_FROM_NODE : 0u);
    for (const auto& name : z.syscalls_deny)
      if (const SyscallHooks* s = find_syscall(name)) v.denied_ops |= uint64_t{1} << s->op;
    v.network_mode = static_cast<uint32_t>(z.network_mode);
    v.caps_allowed = z.capabilities_allowed;
    v.memory_limit = z.memory_limit.value_or(0);
    v.cpu_shares = z.cpu_shares.value_or(0);
    v.pids_max = z.pids_max.value_or(0);
    out.zone_values.push_back(v);
  }

  // A pair is allowed only when each zone lists the other.
  std::set<std::pair<std::string, std::string>> listed;
  for (const auto& z : zones)
    for (const auto& ref : z.allowed_zones) listed.emplace(z.name, ref.zone);
  for (const auto& [a, b] : listed) {
    if (a < b && listed.count({b, a})) {
      uint32_t ia = out.id_of(a), ib = out.id_of(b);
      out.pairs.push_back({ia, ib});
      out.pairs.push_back({ib, ia});
    }
  }

  for (const auto& z : zones) {
    if (!z.writable_given) continue;
    syva_writable_paths w{};
    for (const auto& path : z.writable_paths) {
      if (w.count == SYVA_WRITABLE_PATHS || path.size() >= SYVA_WRITABLE_PATH_LEN) break;  // the loader said so
      path.copy(w.paths[w.count++], SYVA_WRITABLE_PATH_LEN - 1);
    }
    out.writable.emplace_back(out.id_of(z.name), w);
  }

  std::vector<std::string> problems;
  for (const auto& z : zones) {
    const std::string where =
        fmt::format("{}:{}: [network] allowed_egress", z.allowed_egress_pos.file, z.allowed_egress_pos.line);
    for (auto& entry : egress_entries(out.id_of(z.name), z.allowed_egress, where, problems))
      out.egress.push_back(entry);
  }
  out.inodes = tag_host_paths(zones, out, max_inodes, problems, out.degraded);
  check_map_capacity(zones, out, problems);
  if (!problems.empty()) throw PolicyError(std::move(problems));
  return out;
}

}  // namespace syva
