// SPDX-License-Identifier: Apache-2.0
#include "enforcer/member_slots.h"

#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "enforcer/errors.h"

namespace syva {

namespace {

int result(int rc) { return rc == 0 ? 0 : errno; }

}  // namespace

int BpfMembershipMap::insert(uint64_t cgroup_id, uint32_t zone) {
  return result(bpf_map_update_elem(fd_, &cgroup_id, &zone, BPF_NOEXIST));
}

int BpfMembershipMap::replace(uint64_t cgroup_id, uint32_t zone) {
  return result(bpf_map_update_elem(fd_, &cgroup_id, &zone, BPF_EXIST));
}

int BpfMembershipMap::erase(uint64_t cgroup_id) { return result(bpf_map_delete_elem(fd_, &cgroup_id)); }

uint64_t MemberSlots::count(uint64_t cgroup_id) const {
  return __atomic_load_n(&counts_[member_slot_of(cgroup_id)], __ATOMIC_SEQ_CST);
}

void MemberSlots::add(uint64_t cgroup_id, uint64_t n) {
  __atomic_fetch_add(&counts_[member_slot_of(cgroup_id)], n, __ATOMIC_SEQ_CST);
}

int MemberSlots::put(MembershipMap& map, uint64_t cgroup_id, uint32_t zone) {
  // A key the cgroup's rmdir deletes between the failed insert and the
  // replace is inserted again, as one write with BPF_ANY would.
  for (int attempt = 0; attempt < 3; ++attempt) {
    add(cgroup_id, 1);
    const int inserted = map.insert(cgroup_id, zone);
    if (inserted == 0) return 0;
    // Not inserted: a key already there was counted when it was.
    add(cgroup_id, static_cast<uint64_t>(-1));
    if (inserted != EEXIST) return inserted;
    const int replaced = map.replace(cgroup_id, zone);
    if (replaced != ENOENT) return replaced;
  }
  return EAGAIN;
}

int MemberSlots::remove(MembershipMap& map, uint64_t cgroup_id) {
  const int erased = map.erase(cgroup_id);
  if (erased == 0) add(cgroup_id, static_cast<uint64_t>(-1));
  return erased;
}

size_t MemberSlots::raise_to(const std::map<uint64_t, uint32_t>& members) {
  std::map<uint32_t, uint64_t> in_slot;
  for (const auto& [cgroup_id, zone] : members) ++in_slot[member_slot_of(cgroup_id)];
  size_t raised = 0;
  for (const auto& [slot, n] : in_slot) {
    const uint64_t counted = __atomic_load_n(&counts_[slot], __ATOMIC_SEQ_CST);
    if (counted >= n) continue;
    __atomic_fetch_add(&counts_[slot], n - counted, __ATOMIC_SEQ_CST);
    ++raised;
  }
  return raised;
}

std::set<uint32_t> MemberSlots::short_slots(const std::map<uint64_t, uint32_t>& members) const {
  std::map<uint32_t, uint64_t> in_slot;
  for (const auto& [cgroup_id, zone] : members) ++in_slot[member_slot_of(cgroup_id)];
  std::set<uint32_t> out;
  for (const auto& [slot, n] : in_slot)
    if (__atomic_load_n(&counts_[slot], __ATOMIC_SEQ_CST) < n) out.insert(slot);
  return out;
}

size_t MemberSlots::repair(const std::function<std::map<uint64_t, uint32_t>()>& read) {
  const std::set<uint32_t> first = short_slots(read());
  if (first.empty()) return 0;
  const auto members = read();
  size_t persistent = 0;
  for (uint32_t slot : short_slots(members)) persistent += first.count(slot);
  raise_to(members);
  return persistent;
}

uint64_t MemberCache::entry(uint64_t cgroup_id, uint32_t zone) {
  if (cgroup_id >> SYVA_MEMBER_CACHE_ID_BITS || zone == SYVA_ZONE_NONE || zone >= SYVA_MAX_ZONES) return 0;
  return cgroup_id | uint64_t(zone) << SYVA_MEMBER_CACHE_ID_BITS;
}

void MemberCache::forget(uint64_t cgroup_id) {
  uint64_t* e = &entries_[member_slot_of(cgroup_id)];
  uint64_t seen = __atomic_load_n(e, __ATOMIC_SEQ_CST);
  // Only this cgroup's entry: another's in the slot stays right.
  while (seen && (seen & SYVA_MEMBER_CACHE_ID_MASK) == cgroup_id &&
         !__atomic_compare_exchange_n(e, &seen, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
  }
}

void MemberCache::remember(uint64_t cgroup_id, uint32_t zone) {
  if (uint64_t e = entry(cgroup_id, zone)) __atomic_store_n(&entries_[member_slot_of(cgroup_id)], e, __ATOMIC_SEQ_CST);
}

uint32_t MemberCache::zone(uint64_t cgroup_id) const {
  const uint64_t e = __atomic_load_n(&entries_[member_slot_of(cgroup_id)], __ATOMIC_SEQ_CST);
  if (!e || (e & SYVA_MEMBER_CACHE_ID_MASK) != cgroup_id) return SYVA_ZONE_NONE;
  return static_cast<uint32_t>(e >> SYVA_MEMBER_CACHE_ID_BITS);
}

size_t MemberCache::keep_only(const std::map<uint64_t, uint32_t>& members) {
  size_t cleared = 0;
  for (uint32_t slot = 0; slot < SYVA_MEMBER_SLOTS; ++slot) {
    const uint64_t e = __atomic_load_n(&entries_[slot], __ATOMIC_SEQ_CST);
    if (!e) continue;
    const uint64_t cgroup_id = e & SYVA_MEMBER_CACHE_ID_MASK;
    auto it = members.find(cgroup_id);
    if (it != members.end() && entry(cgroup_id, it->second) == e) continue;
    forget(cgroup_id);
    ++cleared;
  }
  return cleared;
}

MappedMemberSlots::MappedMemberSlots(int slots_fd)
    : memory_(nullptr),
      length_((SYVA_MEMBER_SLOTS * sizeof(uint64_t) + getpagesize() - 1) / getpagesize() * getpagesize()),
      slots_(nullptr),
      cache_(nullptr) {
  memory_ = mmap(nullptr, length_, PROT_READ | PROT_WRITE, MAP_SHARED, slots_fd, 0);
  if (memory_ == MAP_FAILED) throw EnforcerError(fmt::format("mapping member_slots failed: {}", strerror(errno)));
  slots_ = MemberSlots(static_cast<uint64_t*>(memory_));
  cache_ = MemberCache(static_cast<uint64_t*>(memory_));
}

MappedMemberSlots::~MappedMemberSlots() { munmap(memory_, length_); }

int put_member(int membership_fd, int slots_fd, int cache_fd, uint64_t cgroup_id, uint32_t zone) {
  MappedMemberSlots mapped(slots_fd), cache(cache_fd);
  BpfMembershipMap map(membership_fd);
  cache.cache().forget(cgroup_id);
  return mapped.slots().put(map, cgroup_id, zone);
}

int remove_member(int membership_fd, int slots_fd, int cache_fd, uint64_t cgroup_id) {
  MappedMemberSlots mapped(slots_fd), cache(cache_fd);
  BpfMembershipMap map(membership_fd);
  cache.cache().forget(cgroup_id);
  return mapped.slots().remove(map, cgroup_id);
}

}  // namespace syva
