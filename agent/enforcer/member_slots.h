// SPDX-License-Identifier: Apache-2.0
// The agent's side of member_slots (syva_maps.bpf.h): per-slot counts of
// zone_membership keys, which let every hook answer "in no zone" for most
// cgroups without hashing the id. A count may be above the number of keys
// in its slot (a hook then only looks the id up), never below it: a member
// whose slot counted 0 would go unconfined. So a key is counted before it
// is inserted, an insert that fails is uncounted, and a key is uncounted
// only after a delete that succeeded; the programs' writers
// (placement.bpf.c) do the same, with atomic adds on the same memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>

#include "syva_abi.h"

namespace syva {

inline uint32_t member_slot_of(uint64_t cgroup_id) {
  return static_cast<uint32_t>(cgroup_id & (SYVA_MEMBER_SLOTS - 1));
}

// zone_membership (or superblock_zone, whose superblock_slots follow the
// same rule) as MemberSlots writes it; each returns 0 or the errno of the
// refused write, so that a test can stand in for the kernel's map.
class MembershipMap {
 public:
  virtual ~MembershipMap() = default;
  virtual int insert(uint64_t cgroup_id, uint32_t zone) = 0;   // only if absent (BPF_NOEXIST)
  virtual int replace(uint64_t cgroup_id, uint32_t zone) = 0;  // only if present (BPF_EXIST)
  virtual int erase(uint64_t cgroup_id) = 0;
};

// zone_membership through its descriptor.
class BpfMembershipMap : public MembershipMap {
 public:
  explicit BpfMembershipMap(int fd) : fd_(fd) {}
  int insert(uint64_t cgroup_id, uint32_t zone) override;
  int replace(uint64_t cgroup_id, uint32_t zone) override;
  int erase(uint64_t cgroup_id) override;

 private:
  int fd_;
};

// The SYVA_MEMBER_SLOTS counts at `counts` (a mapping of member_slots:
// 64-bit, as a mapped array's elements are 8 bytes apart; or a test's
// array), not owned.
class MemberSlots {
 public:
  explicit MemberSlots(uint64_t* counts) : counts_(counts) {}

  uint64_t count(uint64_t cgroup_id) const;
  // Makes `zone` the cgroup's, a member already or not; 0 or errno.
  int put(MembershipMap& map, uint64_t cgroup_id, uint32_t zone);
  // 0 if the cgroup was a member and is not any more, ENOENT if it was
  // not one, another errno if the kernel refused.
  int remove(MembershipMap& map, uint64_t cgroup_id);
  // Raises each slot's count to the number of `members` in it where it is
  // lower; never lowers one (a count above the keys costs a lookup, one
  // below lets a member through). Returns how many slots it raised.
  size_t raise_to(const std::map<uint64_t, uint32_t>& members);
  // The slots whose count is below the number of `members` in them.
  std::set<uint32_t> short_slots(const std::map<uint64_t, uint32_t>& members) const;
  // Raises every short slot, reading the members (with `read`) twice, and
  // returns how many slots were short both times: a writer that does not
  // count. Short once is a member that left between the reading of the
  // map and of its count, which is not a fault.
  size_t repair(const std::function<std::map<uint64_t, uint32_t>()>& read);

 private:
  void add(uint64_t cgroup_id, uint64_t n);
  uint64_t* counts_;
};

// member_cache (syva_maps.bpf.h): one word per slot naming a member and
// its zone, so that a zoned caller skips the hash. The agent is its only
// writer: forget() before a cgroup's key changes, remember() after it was
// written, under one lock, so that an entry never names a zone the hash
// does not hold (a crash in between leaves the slot empty, never stale).
class MemberCache {
 public:
  explicit MemberCache(uint64_t* entries) : entries_(entries) {}
  static uint64_t entry(uint64_t cgroup_id, uint32_t zone);  // 0: not cacheable
  void forget(uint64_t cgroup_id);
  void remember(uint64_t cgroup_id, uint32_t zone);
  // The zone cached for the cgroup, or SYVA_ZONE_NONE.
  uint32_t zone(uint64_t cgroup_id) const;
  // Clears every entry that `members` does not hold as it is (a pinned
  // cache adopted at start-up); returns how many.
  size_t keep_only(const std::map<uint64_t, uint32_t>& members);

 private:
  uint64_t* entries_;
};

// A shared mapping of member_slots' counts, or of member_cache (both
// BPF_F_MMAPABLE arrays of SYVA_MEMBER_SLOTS 64-bit words), seen through
// slots() or cache() as the map is.
// Throws EnforcerError if the map cannot be mapped.
class MappedMemberSlots {
 public:
  explicit MappedMemberSlots(int slots_fd);
  ~MappedMemberSlots();
  MappedMemberSlots(const MappedMemberSlots&) = delete;
  MappedMemberSlots& operator=(const MappedMemberSlots&) = delete;
  MemberSlots& slots() { return slots_; }
  MemberCache& cache() { return cache_; }

 private:
  void* memory_;
  size_t length_;
  MemberSlots slots_;
  MemberCache cache_;
};

// One write through pinned maps' descriptors, for tools and tests that
// write membership as the watcher would without an Enforcer (the cgroup's
// member_cache entry is cleared, never filled); 0 or errno.
int put_member(int membership_fd, int slots_fd, int cache_fd, uint64_t cgroup_id, uint32_t zone);
int remove_member(int membership_fd, int slots_fd, int cache_fd, uint64_t cgroup_id);

}  // namespace syva
