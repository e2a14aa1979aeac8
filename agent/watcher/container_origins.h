// SPDX-License-Identifier: Apache-2.0
// Which container each zoned cgroup belongs to, for the event thread: deny
// events carry a cgroup id, and the log names the container and pod behind
// it. A copy of the membership table's view, replaced whole after each
// change, so the event thread never waits on the watcher's work.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "events/event_format.h"

namespace syva {

class ContainerOrigins {
 public:
  void replace(std::map<uint64_t, ContainerOrigin> by_cgroup);
  std::optional<ContainerOrigin> find(uint64_t cgroup) const;

 private:
  mutable std::mutex mutex_;
  std::map<uint64_t, ContainerOrigin> by_cgroup_;
};

}  // namespace syva
