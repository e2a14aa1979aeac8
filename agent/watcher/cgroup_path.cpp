// SPDX-License-Identifier: Apache-2.0
#include "watcher/cgroup_path.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "enforcer/kernel_ids.h"

namespace syva {

std::optional<std::string> cgroup2_path(std::string_view text) {
  constexpr std::string_view kV2 = "0::";
  constexpr std::string_view kDeleted = " (deleted)";
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (!line.starts_with(kV2)) continue;
    std::string_view path = line.substr(kV2.size());
    if (path.empty() || path.front() != '/' || path.ends_with(kDeleted)) return std::nullopt;
    return std::string(path);
  }
  return std::nullopt;
}

std::string cgroup2_dir(std::string_view mount, std::string_view path) {
  while (!mount.empty() && mount.back() == '/') mount.remove_suffix(1);
  if (path == "/") return std::string(mount.empty() ? "/" : mount);
  return std::string(mount) + std::string(path);
}

ProcessCgroup cgroup_of_pid(pid_t pid, const std::string& cgroup2_mount) {
  const std::string proc = fmt::format("/proc/{}/cgroup", pid);
  std::ifstream in(proc);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}: {}", proc, strerror(errno)));
  std::stringstream text;
  text << in.rdbuf();
  auto path = cgroup2_path(text.str());
  if (!path) throw std::runtime_error(fmt::format("{} names no live cgroup2 cgroup", proc));
  // Seen from inside another cgroup namespace, cgroups outside it read as
  // "/../..": their directory cannot be found from here.
  if (path->find("/..") != std::string::npos)
    throw std::runtime_error(
        fmt::format("{} gives {}, which lies outside this agent's cgroup namespace: run the agent in the node's cgroup "
                    "namespace (the DaemonSet enters it with nsenter)",
                    proc, *path));
  ProcessCgroup out;
  out.path = *path;
  out.dir = cgroup2_dir(cgroup2_mount, *path);
  out.id = cgroup_id_of(out.dir);
  return out;
}

bool cgroup_populated(const std::string& dir) {
  std::ifstream events(dir + "/cgroup.events");
  for (std::string key, value; events >> key >> value;)
    if (key == "populated") return value == "1";
  return false;
}

}  // namespace syva
