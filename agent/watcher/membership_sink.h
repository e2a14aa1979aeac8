// SPDX-License-Identifier: Apache-2.0
// Where the watcher's membership decisions go. The agent's implementation
// writes through the Enforcer, the single owner of the kernel maps; tests
// may wrap it to observe the writes.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "syva_abi.h"
#include "watcher/container_addresses.h"

namespace syva {

struct ZoneSlot {
  uint32_t id = 0;
  bool has_policy = false;  // false: an isolated zone with no allowed pairs, made for this name
};

class MembershipSink {
 public:
  virtual ~MembershipSink() = default;
  // The zone's id; a name no policy file defines (a zone of its own under
  // --unzoned isolate) gets a zone with no allowed pairs. Throws when the
  // zone table is full.
  virtual ZoneSlot zone_for(const std::string& zone) = 0;
  virtual void set_member(uint64_t cgroup_id, uint32_t zone_id) = 0;
  virtual void remove_member(uint64_t cgroup_id) = 0;
  // Removes the cgroup's entry if the kernel marked it PENDING and nothing
  // placed it since; true if it did.
  virtual bool clear_pending(uint64_t cgroup_id) = 0;
  virtual std::map<uint64_t, uint32_t> members() = 0;
  // Container root filesystems owned whole, by superblock device.
  virtual void set_superblock_owner(uint64_t dev, uint32_t zone_id) = 0;
  virtual void remove_superblock_owner(uint64_t dev) = 0;
  virtual std::map<uint64_t, uint32_t> superblock_owners() = 0;
  // A file of a container's writable layer, owned by its zone as the
  // kernel owns a file made in an owned directory (an inherited entry).
  // An entry of another owner (a policy's host_paths, another zone) is
  // never replaced: `foreign`. Throws when the kernel refuses the write.
  enum class InodeClaim { owned, foreign };
  virtual InodeClaim own_inode(uint64_t /*dev*/, uint64_t /*ino*/, uint32_t /*zone_id*/) { return InodeClaim::owned; }
  // Removes the entry if it is still `zone_id`'s inherited one.
  virtual void disown_inode(uint64_t /*dev*/, uint64_t /*ino*/, uint32_t /*zone_id*/) {}
  // A zoned container's writable layer that is not (fully) owned, for
  // `syva status`.
  virtual void layer_failed(const std::string& /*why*/) {}
  // The zone's rules as the kernel holds them ([resources] among them).
  virtual syva_zone_policy zone_policy(uint32_t /*zone_id*/) { return {}; }
  // A [resources] write that failed, for `syva status`.
  virtual void limits_failed(const std::string& /*why*/) {}
  // Zoned containers' addresses (address_zone). address_owners() is the
  // whole map, the node's own entries (SYVA_ZONE_NONE) included.
  virtual void set_address_owner(const syva_address& /*address*/, uint32_t /*zone_id*/) {}
  virtual void remove_address_owner(const syva_address& /*address*/) {}
  virtual AddressZones address_owners() { return {}; }
  // How many zoned containers' addresses could not be read now, and the
  // last reason, for `syva status`.
  virtual void addresses_unread(uint32_t /*count*/, const std::string& /*why*/) {}
};

}  // namespace syva
