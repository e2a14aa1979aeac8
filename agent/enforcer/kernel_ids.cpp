// SPDX-License-Identifier: Apache-2.0
#include "enforcer/kernel_ids.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace syva {

uint64_t kernel_dev(dev_t st_dev) { return (static_cast<uint64_t>(major(st_dev)) << 20) | minor(st_dev); }

std::string cgroup2_mount() {
  std::ifstream mounts("/proc/self/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    std::string source, target, type;
    fields >> source >> target >> type;
    if (type == "cgroup2") return target;
  }
  throw std::runtime_error("no cgroup2 filesystem is mounted (see /proc/self/mounts)");
}

uint64_t cgroup_id_of(const std::string& cgroup_dir) {
  struct stat st;
  if (stat(cgroup_dir.c_str(), &st) != 0)
    throw std::runtime_error(fmt::format("stat {}: {}", cgroup_dir, strerror(errno)));
  return st.st_ino;
}

uint32_t node_netns_inode() {
  struct stat st;
  if (stat("/proc/1/ns/net", &st) != 0) return 0;
  return static_cast<uint32_t>(st.st_ino);
}

}  // namespace syva
