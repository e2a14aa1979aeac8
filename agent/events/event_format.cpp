// SPDX-License-Identifier: Apache-2.0
#include "events/event_format.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "enforcer/hooks.h"
#include "events/json_log.h"
#include "policy/capabilities.h"

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
  for (char c : std::string_view(comm, strnlen(comm, size))) out += (c > ' ' && c < 0x7f && c != '"') ? c : '?';
  return out;
}

// An IPv4 destination is carried as ::ffff:a.b.c.d. Port 0: the protocol
// has no ports (raw IP, ping).
std::string destination(const syva_event& e) {
  char text[INET6_ADDRSTRLEN] = "?";
  const bool v4 = e.family == AF_INET;
  inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? &e.addr[12] : e.addr, text, sizeof(text));
  if (!e.port) return text;
  return v4 ? fmt::format("{}:{}", text, e.port) : fmt::format("[{}]:{}", text, e.port);
}

}  // namespace

std::string format_target(const syva_event& e) {
  std::string line;
  switch (e.hook) {
    case SYVA_HOOK_FILE_OPEN:
    case SYVA_HOOK_BPRM_CHECK:
    case SYVA_HOOK_FILE_RECEIVE:
    case SYVA_HOOK_PATH_UNLINK:
    case SYVA_HOOK_PATH_RMDIR:
    case SYVA_HOOK_PATH_CREATE:
    case SYVA_HOOK_PATH_LINK:
    case SYVA_HOOK_PATH_RENAME:
    case SYVA_HOOK_INODE_SETATTR:
    case SYVA_HOOK_INODE_XATTR: line += fmt::format(" dev={}:{} ino={}", e.dev >> 20, e.dev & 0xfffff, e.ino); break;
    case SYVA_HOOK_MMAP_FILE:
    case SYVA_HOOK_FILE_MPROTECT:
      line += fmt::format(" dev={}:{} ino={} prot={:#x}", e.dev >> 20, e.dev & 0xfffff, e.ino, e.aux);
      break;
    case SYVA_HOOK_PTRACE:
      line += fmt::format(" target_pid={} target_cgroup={} mode={:#x}", e.target_pid, e.target_cgroup, e.aux);
      break;
    case SYVA_HOOK_TASK_KILL:
    case SYVA_HOOK_SIGIO:
      line += fmt::format(" target_pid={} target_cgroup={} signal={}", e.target_pid, e.target_cgroup, e.signal);
      break;
    case SYVA_HOOK_UNIX_CONNECT:
    case SYVA_HOOK_UNIX_SEND: line += fmt::format(" target_cgroup={}", e.target_cgroup); break;
    case SYVA_HOOK_CGROUP_CONTROL:
      line += fmt::format(" target_cgroup={} dev={}:{} ino={}", e.target_cgroup, e.dev >> 20, e.dev & 0xfffff, e.ino);
      break;
    case SYVA_HOOK_TASK_SETNICE:
    case SYVA_HOOK_TASK_SETIOPRIO:
    case SYVA_HOOK_TASK_SETRLIMIT:
    case SYVA_HOOK_TASK_SETPGID:
      line += fmt::format(" target_pid={} target_cgroup={} value={}", e.target_pid, e.target_cgroup,
                          static_cast<int32_t>(e.aux));
      break;
    case SYVA_HOOK_TASK_SETSCHEDULER:
    case SYVA_HOOK_TASK_MOVEMEMORY:
    case SYVA_HOOK_PTRACE_TRACEME:
      line += fmt::format(" target_pid={} target_cgroup={}", e.target_pid, e.target_cgroup);
      break;
    case SYVA_HOOK_SYVA_OBJECTS:
      // A pin removed or renamed names its inode; a descriptor asked for
      // names the object's id and the bpf() command.
      line += e.ino ? fmt::format(" dev={}:{} ino={}", e.dev >> 20, e.dev & 0xfffff, e.ino)
                    : fmt::format(" object_id={} bpf_cmd={}", e.target_pid, e.aux);
      break;
    case SYVA_HOOK_CAPABLE: {
      const std::string_view name = capability_name(static_cast<int>(e.aux));
      line += name.empty() ? fmt::format(" capability={}", e.aux) : fmt::format(" capability={}", name);
      break;
    }
    case SYVA_HOOK_IPC_PERMISSION:
      line +=
          fmt::format(" ipc_id={} ipc_key={:#x} target_cgroup={} access={:#o}", e.ino, e.dev, e.target_cgroup, e.aux);
      break;
    case SYVA_HOOK_IPC_CONTROL:
      line += fmt::format(" ipc_id={} ipc_key={:#x} target_cgroup={} cmd={}", e.ino, e.dev, e.target_cgroup, e.aux);
      break;
    case SYVA_HOOK_SB_UMOUNT: line += fmt::format(" flags={:#x}", e.aux); break;
    case SYVA_HOOK_BPF: line += fmt::format(" cmd={}", e.aux); break;
    case SYVA_HOOK_PERF_EVENT_OPEN: line += fmt::format(" type={}", e.aux); break;
    case SYVA_HOOK_KERNEL_LOAD_DATA:
    case SYVA_HOOK_KERNEL_READ_FILE: line += fmt::format(" id={}", e.aux); break;
    case SYVA_HOOK_SOCKET_CONNECT:
    case SYVA_HOOK_SOCKET_SENDMSG:
    case SYVA_HOOK_ZONE_ADDRESS: line += fmt::format(" dst={}", destination(e)); break;
    case SYVA_HOOK_ZONE_INBOUND: {
      // The sender is the packet's source address; the port is the one it
      // was sent to. pid and comm are whatever ran when the packet arrived.
      syva_event source = e;
      source.port = 0;
      line += fmt::format(" src={} port={}", destination(source), e.port);
      break;
    }
    case SYVA_HOOK_SOCKET_CREATE: line += fmt::format(" family={} type={} protocol={}", e.family, e.aux, e.port); break;
    case SYVA_HOOK_WRITABLE_PATHS:
      line += fmt::format(" dev={}:{} ino={} (outside writable_paths)", e.dev >> 20, e.dev & 0xfffff, e.ino);
      break;
    case SYVA_HOOK_CGROUP_ESCAPE:
      line += fmt::format(" dev={}:{} ino={} (a cgroup move)", e.dev >> 20, e.dev & 0xfffff, e.ino);
      break;
    default: break;
  }
  return line.empty() ? line : line.substr(1);
}

std::string format_deny(const syva_event& e, const ZoneNameLookup& zone_name) {
  // AUDIT: the caller's zone is in audit mode and the operation went ahead.
  std::string line = fmt::format("{} hook={} pid={} tgid={} comm={} caller_zone={}",
                                 (e.flags & SYVA_EVENT_F_AUDIT) ? "AUDIT" : "DENY", hook_name(e.hook), e.pid, e.tgid,
                                 safe_comm(e.comm, sizeof(e.comm)), zone_label(e.caller_zone, zone_name));
  if (is_cross_zone(e.hook)) line += fmt::format(" target_zone={}", zone_label(e.target_zone, zone_name));
  const std::string target = format_target(e);
  if (!target.empty()) line += " " + target;
  return line + fmt::format(" caller_cgroup={}", e.caller_cgroup);
}

namespace {

nlohmann::ordered_json container_of(uint64_t cgroup, const OriginLookup& origin) {
  if (!origin || cgroup == 0) return nullptr;
  const auto c = origin(cgroup);
  if (!c) return nullptr;
  // A container outside Kubernetes has no pod: null, not "".
  auto or_null = [](const std::string& v) {
    return v.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v);
  };
  nlohmann::ordered_json j;
  j["id"] = c->id;
  j["namespace"] = c->ns;
  j["pod_namespace"] = or_null(c->pod_namespace);
  j["pod_name"] = or_null(c->pod_name);
  j["image"] = c->image;
  return j;
}

}  // namespace

nlohmann::ordered_json deny_fields(const syva_event& e, const ZoneNameLookup& zone_name, const OriginLookup& origin) {
  nlohmann::ordered_json f;
  f["event"] = "deny";
  f["hook"] = std::string(hook_name(e.hook));
  f["verdict"] = (e.flags & SYVA_EVENT_F_AUDIT) ? "audit" : "deny";
  f["caller_zone"] = zone_label(e.caller_zone, zone_name);
  // Zone rules judge the caller's own zone: there is no target zone to name.
  f["target_zone"] = is_cross_zone(e.hook) ? nlohmann::ordered_json(zone_label(e.target_zone, zone_name)) : nullptr;
  f["pid"] = e.pid;
  f["tgid"] = e.tgid;
  // JSON escapes what the text line must replace; only the NUL padding goes.
  f["comm"] = std::string(e.comm, strnlen(e.comm, sizeof(e.comm)));
  f["caller_cgroup"] = e.caller_cgroup;
  f["target"] = format_target(e);
  f["caller_container"] = container_of(e.caller_cgroup, origin);
  f["target_container"] = container_of(e.target_cgroup, origin);
  return f;
}

void log_deny(const syva_event& e, const ZoneNameLookup& zone_name, const OriginLookup& origin) {
  if (!json_logs()) {
    spdlog::warn("{}", format_deny(e, zone_name));
    return;
  }
  const LogFields fields(deny_fields(e, zone_name, origin));
  spdlog::warn("{}", format_deny(e, zone_name));
}

}  // namespace syva
