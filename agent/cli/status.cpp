// SPDX-License-Identifier: Apache-2.0
#include "cli/status.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "enforcer/hooks.h"
#include "enforcer/map_readers.h"
#include "enforcer/pin_lock.h"
#include "enforcer/pins.h"

namespace syva {

namespace {

class PinnedFd {
 public:
  explicit PinnedFd(const std::string& path) : fd_(bpf_obj_get(path.c_str())) {}
  ~PinnedFd() {
    if (fd_ >= 0) close(fd_);
  }
  PinnedFd(const PinnedFd&) = delete;
  PinnedFd& operator=(const PinnedFd&) = delete;
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_;
};

template <size_t N>
std::string text_of(const char (&field)[N]) {
  return std::string(field, strnlen(field, N));
}

std::vector<std::string> words(const char (&field)[SYVA_POLICY_ERROR_LEN]) {
  std::vector<std::string> out;
  std::istringstream in(text_of(field));
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}


}  // namespace

void judge_health(StatusReport& r) {
  auto& why = r.health_reasons;
  if (!r.active) {
    r.health = Health::unsafe;
    why.push_back(
        r.attached.empty()
            ? "not enforcing: no hooks attached (agent stopped, refused to start, or failed its self-test)"
            : fmt::format("not enforcing: only {} of {} hooks attached", r.attached.size(), r.enforcing_programs));
    return;
  }
  uint64_t errors = 0;
  for (const auto& h : r.hooks) errors += h.counters.error;
  if (errors) why.push_back(fmt::format("{} kernel read errors: those operations were allowed unchecked", errors));
  if (r.dropped_events)
    why.push_back(fmt::format("{} deny events dropped: the ring buffer was full", r.dropped_events));
  if (!r.agent_running)
    why.push_back("agent not running: the pinned programs still enforce, but membership is not kept up to date");
  else if (r.agent_state.containerd == SYVA_CONTAINERD_UNREACHABLE)
    why.push_back("containerd unreachable: new containers are not put in zones");
  else if (r.agent_state.containerd != SYVA_CONTAINERD_CONNECTED)
    why.push_back("containerd not linked yet (the agent is starting): new containers are not put in zones until it is");
  if (r.quarantined)
    why.push_back(fmt::format("{} container cgroup(s) in quarantine: they could not be placed where they asked (the "
                              "agent's log says why, on its QUARANTINE lines)",
                              r.quarantined));
  if (!r.programs_refused.empty())
    why.push_back(fmt::format("the kernel refused {} hook program(s), which do not enforce: {} ({})",
                              r.programs_refused.size(), text_of(r.agent_state.programs_refused),
                              text_of(r.agent_state.refusal)));
  if (r.agent_state.limit_failures)
    why.push_back(fmt::format(
        "{} [resources] writes to member cgroups failed; last: {}", r.agent_state.limit_failures,
        std::string(r.agent_state.limit_error, strnlen(r.agent_state.limit_error, sizeof(r.agent_state.limit_error)))));
  if (r.agent_state.layer_failures)
    why.push_back(fmt::format("{} zoned container(s) whose writable layer on the node is not fully owned by their "
                              "zone (other zones that see those node paths reach those files); last: {}",
                              r.agent_state.layer_failures, text_of(r.agent_state.layer_error)));
  if (r.agent_state.node_netns_unknown)
    why.push_back(
        "the node's network namespace is unknown (/proc/1/ns/net unreadable when the programs loaded): loopback is "
        "allowed to every zone, also in the node's namespace, where it reaches every node daemon");
  if (r.agent_state.addresses_unread)
    why.push_back(fmt::format("the addresses of {} zoned container(s) could not be read, so other zones' IP traffic "
                              "to and from them is judged by [network] mode and allowed_egress, not allowed_zones; "
                              "last: {}",
                              r.agent_state.addresses_unread, text_of(r.agent_state.addresses_error)));
  if (r.agent_state.member_slot_repairs)
    why.push_back(fmt::format("{} member_slots count(s) were found below the members they cover and raised: members "
                              "there could have gone unconfined until then (the agent's log says when)",
                              r.agent_state.member_slot_repairs));
  if (r.agent_state.policy_degraded)
    why.push_back(fmt::format("the policy in force is not fully enforced on this node ({} problem(s)): {}",
                              r.agent_state.policy_degraded, text_of(r.agent_state.policy_degraded_error)));
  if (r.agent_state.policy_rejected)
    why.push_back(fmt::format("policy change rejected, the previous policy stays enforced: {}",
                              std::string(r.agent_state.policy_error,
                                          strnlen(r.agent_state.policy_error, sizeof(r.agent_state.policy_error)))));
  r.health = why.empty() ? Health::healthy : Health::degraded;
}

StatusReport read_status(const std::string& pin_path) {
  StatusReport r;
  r.pin_path = pin_path;
  r.agent_running = PinLock::held_by_other(pin_path);

  if (PinnedFd state(pin_path + "/agent_state"); state) {
    if (auto s = read_agent_state(state.get())) {
      r.agent_state = *s;
      r.has_agent_state = true;
    }
  }
  r.programs_absent = words(r.agent_state.programs_absent);
  r.programs_refused = words(r.agent_state.programs_refused);
  try {
    // Programs the agent could not load on this kernel have no link to look for.
    std::set<std::string> left_out(r.programs_absent.begin(), r.programs_absent.end());
    left_out.insert(r.programs_refused.begin(), r.programs_refused.end());
    for (const auto& prog : enforcing_program_names()) {
      if (left_out.count(prog)) continue;
      ++r.enforcing_programs;
      if (PinnedFd(pin_path + "/links/" + prog)) r.attached.push_back(prog);
    }
    r.active = r.enforcing_programs > 0 && r.attached.size() == r.enforcing_programs;
  } catch (const std::exception& e) {
    r.problems.push_back(fmt::format("cannot tell which links to look for: {}", e.what()));
  }

  std::map<uint32_t, ZoneStatus> zones;
  if (PinnedFd names(pin_path + "/zone_names"); names) {
    for (const auto& [id, name] : read_zone_names(names.get())) zones[id] = {id, name, 0};
  } else {
    r.problems.push_back(fmt::format("no pinned zone_names map at {}", pin_path));
  }
  if (PinnedFd members(pin_path + "/zone_membership"); members) {
    for (const auto& [cgroup, zone] : read_zone_entries(members.get())) {
      r.quarantined += zone == SYVA_ZONE_QUARANTINE;
      r.pending += zone == SYVA_ZONE_PENDING;
      if (auto it = zones.find(zone); it != zones.end())
        ++it->second.members;
      else
        ++r.unknown_zone_members;
    }
  }
  for (auto& [id, z] : zones) r.zones.push_back(z);

  if (PinnedFd counters(pin_path + "/counters"); counters) {
    const auto all = read_counters(counters.get());
    for (uint32_t hook = 0; hook < SYVA_HOOK_COUNT; ++hook) {
      if (kChecks[hook].kind == SYVA_KIND_PROBE) continue;
      r.hooks.push_back({std::string(hook_name(hook)), all[hook]});
      r.dropped_events += all[hook].dropped;
    }
  } else {
    r.problems.push_back(fmt::format("no pinned counters map at {}", pin_path));
  }
  const uint32_t first = 0;
  if (PinnedFd cached(pin_path + "/inode_owner_cached");
      !cached || bpf_map_lookup_elem(cached.get(), &first, &r.owners_cached) != 0)
    r.problems.push_back(fmt::format("no pinned inode_owner_cached map at {}", pin_path));
  judge_health(r);
  return r;
}

const char* to_string(Health h) {
  switch (h) {
    case Health::healthy: return "healthy";
    case Health::degraded: return "degraded";
    case Health::unsafe: return "unsafe";
  }
  return "unsafe";
}

std::string format_status_text(const StatusReport& r) {
  std::string out = fmt::format("syva: {}\nhealth: {}\n", r.active ? "ACTIVE" : "INACTIVE", to_string(r.health));
  for (const auto& why : r.health_reasons) out += fmt::format("  - {}\n", why);
  out += fmt::format("pin path: {}\nagent: {}\n", r.pin_path, r.agent_running ? "running" : "not running");
  if (r.has_agent_state && r.agent_state.policy_generation)
    out += fmt::format("policy: generation {}{}\n", r.agent_state.policy_generation,
                       r.agent_state.policy_rejected ? " (a later change was rejected)" : "");
  if (!r.active && !r.attached.empty())
    out += fmt::format("attached: only {} of {} hooks\n", r.attached.size(), r.enforcing_programs);
  if (!r.programs_absent.empty())
    out +=
        fmt::format("not in this kernel (their programs are not loaded): {}\n", text_of(r.agent_state.programs_absent));
  out += "zones:\n";
  if (r.zones.empty()) out += "  (none)\n";
  for (const auto& z : r.zones)
    out += fmt::format("  {} (id {}): {} member{}\n", z.name, z.id, z.members, z.members == 1 ? "" : "s");
  if (r.unknown_zone_members) out += fmt::format("  (unnamed zones): {} members\n", r.unknown_zone_members);
  out += "hooks:\n";
  for (const auto& h : r.hooks)
    out += fmt::format("  {:<20} allow={} deny={} error={}{}\n", h.name + ":", h.counters.allow, h.counters.deny,
                       h.counters.error, h.counters.audit ? fmt::format(" audit={}", h.counters.audit) : "");
  out += fmt::format("dropped events: {}\n", r.dropped_events);
  out +=
      fmt::format("file owners cached in inodes: {} of {}{}\n", r.owners_cached, SYVA_OWNER_CACHE_MAX,
                  r.owners_cached >= SYVA_OWNER_CACHE_MAX ? " (full: zoned opens of other files look owners up)" : "");
  for (const auto& p : r.problems) out += fmt::format("note: {}\n", p);
  return out;
}

std::string format_status_json(const StatusReport& r) {
  nlohmann::json j;
  j["status"] = r.active ? "ACTIVE" : "INACTIVE";
  j["active"] = r.active;
  j["health"] = to_string(r.health);
  j["health_reasons"] = r.health_reasons;
  j["policy_generation"] = r.agent_state.policy_generation;
  j["policy_rejected"] = r.agent_state.policy_rejected != 0;
  j["pin_path"] = r.pin_path;
  j["agent_running"] = r.agent_running;
  j["attached"] = r.attached;
  j["programs_absent"] = r.programs_absent;
  j["programs_refused"] = r.programs_refused;
  j["zones"] = nlohmann::json::array();
  for (const auto& z : r.zones) j["zones"].push_back({{"id", z.id}, {"name", z.name}, {"members", z.members}});
  j["unknown_zone_members"] = r.unknown_zone_members;
  j["quarantined"] = r.quarantined;
  j["pending"] = r.pending;
  j["hooks"] = nlohmann::json::object();
  for (const auto& h : r.hooks)
    j["hooks"][h.name] = {{"allow", h.counters.allow},
                          {"deny", h.counters.deny},
                          {"error", h.counters.error},
                          {"dropped", h.counters.dropped},
                          {"audit", h.counters.audit}};
  j["dropped_events"] = r.dropped_events;
  j["owners_cached"] = r.owners_cached;
  j["owners_cache_max"] = SYVA_OWNER_CACHE_MAX;
  j["problems"] = r.problems;
  return j.dump(2) + "\n";
}

int status_exit_code(const StatusReport& r) {
  switch (r.health) {
    case Health::healthy: return 0;
    case Health::degraded: return 2;
    case Health::unsafe: break;
  }
  return 1;
}

}  // namespace syva
