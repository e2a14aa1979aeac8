// SPDX-License-Identifier: Apache-2.0
#include "watcher/container_origins.h"

#include <utility>

namespace syva {

void ContainerOrigins::replace(std::map<uint64_t, ContainerOrigin> by_cgroup) {
  std::lock_guard lock(mutex_);
  by_cgroup_.swap(by_cgroup);
}

std::optional<ContainerOrigin> ContainerOrigins::find(uint64_t cgroup) const {
  std::lock_guard lock(mutex_);
  auto it = by_cgroup_.find(cgroup);
  if (it == by_cgroup_.end()) return std::nullopt;
  return it->second;
}

}  // namespace syva
