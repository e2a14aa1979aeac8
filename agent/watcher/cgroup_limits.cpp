// SPDX-License-Identifier: Apache-2.0
#include "watcher/cgroup_limits.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace syva {

uint64_t cpu_weight_from_shares(uint64_t shares) { return 1 + ((shares - 2) * 9999) / 262142; }

std::vector<std::pair<std::string, std::string>> limit_writes(const syva_zone_policy& p) {
  std::vector<std::pair<std::string, std::string>> out;
  if (p.cpu_shares) out.emplace_back("cpu.weight", std::to_string(cpu_weight_from_shares(p.cpu_shares)));
  if (p.memory_limit) out.emplace_back("memory.max", std::to_string(p.memory_limit));
  if (p.pids_max) out.emplace_back("pids.max", std::to_string(p.pids_max));
  return out;
}

std::vector<std::string> apply_limits(const std::string& cgroup_dir, const syva_zone_policy& policy) {
  std::vector<std::string> failures;
  for (const auto& [file, value] : limit_writes(policy)) {
    const std::string path = cgroup_dir + "/" + file;
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
    const int err = errno;
    if (fd >= 0) close(fd);
    if (!ok)
      failures.push_back(fmt::format("{} = {}: {}{}", path, value, strerror(err),
                                     err == ENOENT ? " (is the controller enabled for this cgroup?)" : ""));
  }
  return failures;
}

}  // namespace syva
