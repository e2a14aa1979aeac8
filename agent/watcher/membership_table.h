// SPDX-License-Identifier: Apache-2.0
// The containers the watcher has put in zones, and the one place their
// cgroup -> zone entries (and the ownership of their overlay root
// filesystems, superblock -> zone, and of their writable layers on the
// node, see writable_layer.h) are written or removed. It remembers container ->
// cgroup so that removal works after the process is gone, logs every change
// once, and can make the kernel map exactly equal to a listed set of running
// containers.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "watcher/container_addresses.h"
#include "watcher/container_metadata.h"
#include "watcher/membership_sink.h"
#include "watcher/placement.h"
#include "watcher/rootfs_coverage.h"
#include "watcher/writable_layer.h"
#include "watcher/zone_resolver.h"

namespace syva {

struct Member {
  std::string ns;
  std::string container_id;
  PodRef pod;
  std::string image;  // the image reference its record names
  std::string zone;
  std::string requested_zone;  // as written on the container or pod; "" when it names none
  uint32_t zone_id = 0;
  bool zone_has_policy = true;
  ZoneSource source = ZoneSource::none;
  Placement::Kind placement = Placement::Kind::zone;
  std::string why;  // quarantine: the reason
  uint32_t pid = 0;  // the task's init process
  uint64_t cgroup = 0;
  std::string cgroup_path;
  RootfsCoverage rootfs;
  // Its network namespace's addresses (container_addresses.h); none when
  // it shares the node's, or when its pid could not vouch for it.
  ContainerAddresses addresses;
  WritableLayer layer;  // its rootfs's upper and work directories on the node
};

struct ReconcileCounts {
  size_t added = 0;    // written: running but missing or wrong in the map
  size_t removed = 0;  // entries no running container accounts for
  size_t kept = 0;     // already right
};

class MembershipTable {
 public:
  explicit MembershipTable(MembershipSink& sink) : sink_(sink), layers_(sink) {}

  // Writes the entry before returning. `since_event`: time from the event
  // that caused it, for the log. Repeating a known membership is no change.
  void add(const Member& m, std::optional<std::chrono::nanoseconds> since_event);

  // Removes the container's entry, unless another known container shares
  // its cgroup. Unknown containers (never zoned) are ignored, and so is the
  // end of an earlier task (`pid` not the known one; 0 matches any).
  // Returns the cgroup whose entry went, for whatever else is kept per
  // zoned cgroup.
  std::optional<uint64_t> remove(const std::string& ns, const std::string& container_id, uint32_t pid,
                                 std::string_view reason);

  // The map afterwards holds exactly the entries of `running`: missing or
  // wrong ones are written, every other entry is removed, including entries
  // this table never wrote (left by an earlier agent), except PENDING ones:
  // the kernel wrote those for cgroups no container has been placed in yet.
  ReconcileCounts reconcile(const std::vector<Member>& running);

  size_t size() const { return members_.size(); }
  const Member* find(const std::string& ns, const std::string& container_id) const;
  std::vector<Member> all() const;

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, container id
  const Member* sharing_cgroup(uint64_t cgroup, const Key& except) const;
  void reconcile_superblocks(const std::vector<Member>& running);

  MembershipSink& sink_;
  WritableLayers layers_;
  std::map<Key, Member> members_;
};

// "container=... namespace=... pod=... zone=... zone_id=... cgroup=... source=..."
std::string describe(const Member& m);

}  // namespace syva
