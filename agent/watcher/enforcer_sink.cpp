// SPDX-License-Identifier: Apache-2.0
#include "watcher/enforcer_sink.h"

#include <bpf/bpf.h>

#include <cstring>

#include "syva.skel.h"

namespace syva {

ZoneSlot EnforcerSink::zone_for(const std::string& zone) {
  std::lock_guard lock(mutex_);
  if (uint32_t id = enforcer_.zone_id(zone)) {
    // A zone made earlier for a name without a policy file (perhaps by a
    // previous agent, re-adopted from the pins) is known but still has no
    // policy: the pinned flags say which.
    syva_zone_policy policy{};
    const bool defined = bpf_map_lookup_elem(bpf_map__fd(enforcer_.skeleton()->maps.zone_policy), &id, &policy) == 0 &&
                         (policy.flags & SYVA_ZONE_F_DEFINED) != 0;
    return {id, defined};
  }
  return {enforcer_.ensure_zone(zone), false};
}

void EnforcerSink::set_member(uint64_t cgroup_id, uint32_t zone_id) {
  std::lock_guard lock(mutex_);
  enforcer_.set_member(cgroup_id, zone_id);
}

void EnforcerSink::remove_member(uint64_t cgroup_id) {
  std::lock_guard lock(mutex_);
  enforcer_.remove_member(cgroup_id);
}

bool EnforcerSink::clear_pending(uint64_t cgroup_id) {
  std::lock_guard lock(mutex_);
  return enforcer_.clear_pending(cgroup_id);
}

std::map<uint64_t, uint32_t> EnforcerSink::members() {
  std::lock_guard lock(mutex_);
  return enforcer_.members();
}

void EnforcerSink::set_superblock_owner(uint64_t dev, uint32_t zone_id) {
  std::lock_guard lock(mutex_);
  enforcer_.set_superblock_owner(dev, zone_id);
}

void EnforcerSink::remove_superblock_owner(uint64_t dev) {
  std::lock_guard lock(mutex_);
  enforcer_.remove_superblock_owner(dev);
}

std::map<uint64_t, uint32_t> EnforcerSink::superblock_owners() {
  std::lock_guard lock(mutex_);
  return enforcer_.superblock_owners();
}

MembershipSink::InodeClaim EnforcerSink::own_inode(uint64_t dev, uint64_t ino, uint32_t zone_id) {
  std::lock_guard lock(mutex_);
  return enforcer_.claim_inode(syva_inode_key{dev, ino}, zone_id) ? InodeClaim::owned : InodeClaim::foreign;
}

void EnforcerSink::disown_inode(uint64_t dev, uint64_t ino, uint32_t zone_id) {
  std::lock_guard lock(mutex_);
  enforcer_.release_inode(syva_inode_key{dev, ino}, zone_id);
}

void EnforcerSink::layer_failed(const std::string& why) {
  enforcer_.update_state([&](syva_agent_state& s) {
    ++s.layer_failures;
    memset(s.layer_error, 0, sizeof(s.layer_error));
    why.copy(s.layer_error, sizeof(s.layer_error) - 1);
  });
}

syva_zone_policy EnforcerSink::zone_policy(uint32_t zone_id) {
  syva_zone_policy policy{};
  bpf_map_lookup_elem(bpf_map__fd(enforcer_.skeleton()->maps.zone_policy), &zone_id, &policy);
  return policy;
}

void EnforcerSink::limits_failed(const std::string& why) {
  enforcer_.update_state([&](syva_agent_state& s) {
    ++s.limit_failures;
    memset(s.limit_error, 0, sizeof(s.limit_error));
    why.copy(s.limit_error, sizeof(s.limit_error) - 1);
  });
}

void EnforcerSink::set_address_owner(const syva_address& address, uint32_t zone_id) {
  std::lock_guard lock(mutex_);
  enforcer_.set_address_owner(address, zone_id);
}

void EnforcerSink::remove_address_owner(const syva_address& address) {
  std::lock_guard lock(mutex_);
  enforcer_.remove_address_owner(address);
}

AddressZones EnforcerSink::address_owners() {
  std::lock_guard lock(mutex_);
  AddressZones out;
  for (const auto& [address, zone] : enforcer_.address_owners()) out[address] = zone;
  return out;
}

void EnforcerSink::addresses_unread(uint32_t count, const std::string& why) {
  enforcer_.update_state([&](syva_agent_state& s) {
    s.addresses_unread = count;
    memset(s.addresses_error, 0, sizeof(s.addresses_error));
    why.copy(s.addresses_error, sizeof(s.addresses_error) - 1);
  });
}

}  // namespace syva
