// SPDX-License-Identifier: Apache-2.0
// Membership through the Enforcer. The watcher writes from its own thread
// while the agent's main thread may still use the Enforcer, so every call is
// serialised here.
#pragma once

#include <mutex>

#include "enforcer/enforcer.h"
#include "watcher/membership_sink.h"

namespace syva {

class EnforcerSink : public MembershipSink {
 public:
  explicit EnforcerSink(Enforcer& enforcer) : enforcer_(enforcer) {}

  ZoneSlot zone_for(const std::string& zone) override;
  void set_member(uint64_t cgroup_id, uint32_t zone_id) override;
  void remove_member(uint64_t cgroup_id) override;
  bool clear_pending(uint64_t cgroup_id) override;
  std::map<uint64_t, uint32_t> members() override;
  void set_superblock_owner(uint64_t dev, uint32_t zone_id) override;
  void remove_superblock_owner(uint64_t dev) override;
  std::map<uint64_t, uint32_t> superblock_owners() override;
  InodeClaim own_inode(uint64_t dev, uint64_t ino, uint32_t zone_id) override;
  void disown_inode(uint64_t dev, uint64_t ino, uint32_t zone_id) override;
  void layer_failed(const std::string& why) override;
  syva_zone_policy zone_policy(uint32_t zone_id) override;
  void limits_failed(const std::string& why) override;
  void set_address_owner(const syva_address& address, uint32_t zone_id) override;
  void remove_address_owner(const syva_address& address) override;
  AddressZones address_owners() override;
  void addresses_unread(uint32_t count, const std::string& why) override;

 private:
  Enforcer& enforcer_;
  std::mutex mutex_;
};

}  // namespace syva
