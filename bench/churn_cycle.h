// SPDX-License-Identifier: Apache-2.0
// One container's life as containerd reports it, replayed through the fake
// containerd with the kernel objects the agent inspects being real: a cgroup
// under the guarded root named after the container, as runc makes it, and a
// process in it standing in for the container's command. Each step waits for
// the agent's map write it should cause, so the replay runs no faster than
// the agent keeps up and a missed placement or removal is seen.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "fake_containerd.h"

namespace syva::bench {

struct CycleOutcome {
  bool placed = false;       // its cgroup reached a zone (not PENDING) in zone_membership
  bool quarantined = false;  // ... but the quarantine zone
  bool removed = false;      // its entry was gone after /tasks/exit
};

class ChurnCycle {
 public:
  // `ns`: the containerd namespace, also the guarded top-level cgroup the
  // containers' cgroups go under; `zone`: what their syva.dev/zone label
  // names; `membership_fd`: the agent's pinned zone_membership.
  ChurnCycle(FakeContainerd& containerd, std::string ns, std::string zone, int membership_fd,
             std::chrono::milliseconds patience);

  // Container number `n`: /containers/create, /tasks/create, /tasks/start,
  // /tasks/exit, /tasks/delete, /containers/delete; its process and cgroup
  // are gone when this returns.
  CycleOutcome run(size_t n);

 private:
  // Polls the map until `done(zone or -1 when absent)`; false on timeout.
  template <typename Pred>
  bool wait_for_entry(uint64_t cgroup, Pred done) const;

  FakeContainerd& containerd_;
  std::string ns_;
  std::string zone_;
  int membership_fd_;
  std::chrono::milliseconds patience_;
};

}  // namespace syva::bench
