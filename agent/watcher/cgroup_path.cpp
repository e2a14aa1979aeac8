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

namespace {

// systemd's slice hierarchy: "a-b-c.slice" lives in a.slice/a-b.slice/.
std::optional<std::string> slice_path(std::string_view slice) {
  constexpr std::string_view kSuffix = ".slice";
  if (slice.empty() || slice == "-.slice") return std::string();
  if (!slice.ends_with(kSuffix) || slice.find('/') != std::string_view::npos) return std::nullopt;
  const std::string_view stem = slice.substr(0, slice.size() - kSuffix.size());
  if (stem.empty() || stem.front() == '-' || stem.back() == '-' || stem.find("--") != std::string_view::npos)
    return std::nullopt;
  std::string out;
  for (size_t dash = stem.find('-'); dash != std::string_view::npos; dash = stem.find('-', dash + 1))
    out += "/" + std::string(stem.substr(0, dash)) + std::string(kSuffix);
  return out + "/" + std::string(slice);
}

}  // namespace

std::optional<std::string> cgroup_path_of_spec(std::string_view cgroups_path) {
  if (cgroups_path.empty()) return std::nullopt;
  if (cgroups_path.front() == '/') {
    if (cgroups_path.find("/..") != std::string_view::npos) return std::nullopt;
    return std::string(cgroups_path);
  }
  const size_t first = cgroups_path.find(':');
  const size_t second = first == std::string_view::npos ? first : cgroups_path.find(':', first + 1);
  if (second == std::string_view::npos || cgroups_path.find(':', second + 1) != std::string_view::npos)
    return std::nullopt;
  const std::string_view slice = cgroups_path.substr(0, first);
  const std::string_view prefix = cgroups_path.substr(first + 1, second - first - 1);
  const std::string_view name = cgroups_path.substr(second + 1);
  if (name.empty() || name.find('/') != std::string_view::npos || prefix.find('/') != std::string_view::npos)
    return std::nullopt;
  auto parent = slice_path(slice.empty() ? "system.slice" : slice);
  if (!parent) return std::nullopt;
  if (name.ends_with(".slice")) return slice_path(name);
  return *parent + "/" + (prefix.empty() ? "" : std::string(prefix) + "-") + std::string(name) + ".scope";
}

ProcessCgroup cgroup_at(const std::string& path, const std::string& cgroup2_mount) {
  ProcessCgroup out;
  out.path = path;
  out.dir = cgroup2_dir(cgroup2_mount, path);
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
