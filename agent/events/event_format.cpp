#include "events/event_format.h"

#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "enforcer/hooks.h"

namespace syva {

namespace {

std::string zone_label(uint32_t id, const ZoneNameLookup& zone_name) {
  if (id == SYVA_ZONE_NONE) return "host";
  std::string name = zone_name(id);
  return name.empty() ? fmt::format("zone#{}", id) : name;
}

// comm is attacker-chosen: keep log lines one line and unambiguous.
std::string safe_comm(const char* comm, size_t size) {
  std::string out;
  for (char c : std::string_view(comm, strnlen(comm, size)))
    out += (c > ' ' && c < 0x7f && c != '"') ? c : '?';
  return out;
}

}  // namespace

std::string format_deny(const syva_event& e, const ZoneNameLookup& zone_name) {
  std::string line = fmt::format("DENY hook={} pid={} tgid={} comm={} caller_zone={} target_zone={}",
                                 hook_name(e.hook), e.pid, e.tgid, safe_comm(e.comm, sizeof(e.comm)),
                                 zone_label(e.caller_zone, zone_name), zone_label(e.target_zone, zone_name));
  switch (e.hook) {
    case SYVA_HOOK_FILE_OPEN:
    case SYVA_HOOK_BPRM_CHECK:
      line += fmt::format(" dev={}:{} ino={}", e.dev >> 20, e.dev & 0xfffff, e.ino);
      break;
    case SYVA_HOOK_MMAP_FILE:
      line += fmt::format(" dev={}:{} ino={} prot={:#x}", e.dev >> 20, e.dev & 0xfffff, e.ino, e.aux);
      break;
    case SYVA_HOOK_PTRACE:
      line += fmt::format(" target_pid={} target_cgroup={} mode={:#x}", e.target_pid, e.target_cgroup, e.aux);
      break;
    case SYVA_HOOK_TASK_KILL:
      line += fmt::format(" target_pid={} target_cgroup={} signal={}", e.target_pid, e.target_cgroup, e.signal);
      break;
    case SYVA_HOOK_UNIX_CONNECT:
    case SYVA_HOOK_UNIX_SEND:
      line += fmt::format(" target_cgroup={}", e.target_cgroup);
      break;
    default:
      break;
  }
  return line + fmt::format(" caller_cgroup={}", e.caller_cgroup);
}

}  // namespace syva
