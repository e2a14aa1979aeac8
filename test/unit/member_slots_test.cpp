// SPDX-License-Identifier: Apache-2.0
// member_slots bookkeeping: a slot's count never falls below the members
// in it, whatever the map refuses, and every write that changes nothing
// leaves the counts as they were.
#include <catch2/catch.hpp>

#include <cerrno>
#include <functional>
#include <map>
#include <vector>

#include "enforcer/member_slots.h"

using namespace syva;

namespace {

// zone_membership in memory. `before` runs before each write, as another
// writer (a cgroup's rmdir in the kernel) could; each check sees the counts
// at the moment the write would land.
struct FakeMembership : MembershipMap {
  std::map<uint64_t, uint32_t> keys;
  size_t capacity = 100;
  std::function<void()> before;
  std::function<void(uint64_t)> at_write;

  int insert(uint64_t id, uint32_t zone) override {
    step(id);
    if (keys.count(id)) return EEXIST;
    if (keys.size() >= capacity) return E2BIG;
    keys[id] = zone;
    return 0;
  }
  int replace(uint64_t id, uint32_t zone) override {
    step(id);
    auto it = keys.find(id);
    if (it == keys.end()) return ENOENT;
    it->second = zone;
    return 0;
  }
  int erase(uint64_t id) override {
    step(id);
    return keys.erase(id) ? 0 : ENOENT;
  }
  void step(uint64_t id) {
    if (before) before();
    if (at_write) at_write(id);
  }
};

struct Slots {
  std::vector<uint64_t> counts = std::vector<uint64_t>(SYVA_MEMBER_SLOTS, 0);
  MemberSlots slots{counts.data()};
};

// The invariant: no slot counts fewer keys than it holds.
bool covers(const Slots& s, const std::map<uint64_t, uint32_t>& keys) {
  std::map<uint32_t, uint64_t> in_slot;
  for (const auto& [id, zone] : keys) ++in_slot[member_slot_of(id)];
  for (const auto& [slot, n] : in_slot)
    if (s.counts[slot] < n) return false;
  return true;
}

}  // namespace

TEST_CASE("a member is counted in its slot, and uncounted when it goes", "[member-slots]") {
  Slots s;
  FakeMembership map;
  REQUIRE(s.slots.put(map, 7, 1) == 0);
  CHECK(s.slots.count(7) == 1);
  CHECK(s.slots.count(8) == 0);
  // Same slot, another cgroup.
  REQUIRE(s.slots.put(map, 7 + SYVA_MEMBER_SLOTS, 2) == 0);
  CHECK(s.slots.count(7) == 2);
  REQUIRE(s.slots.remove(map, 7) == 0);
  CHECK(s.slots.count(7) == 1);
  REQUIRE(s.slots.remove(map, 7 + SYVA_MEMBER_SLOTS) == 0);
  CHECK(s.slots.count(7) == 0);
}

TEST_CASE("a member moved to another zone (PENDING to its zone) is counted once", "[member-slots]") {
  Slots s;
  FakeMembership map;
  REQUIRE(s.slots.put(map, 42, SYVA_ZONE_PENDING) == 0);
  REQUIRE(s.slots.put(map, 42, 3) == 0);
  REQUIRE(s.slots.put(map, 42, 3) == 0);
  CHECK(map.keys.at(42) == 3);
  CHECK(s.slots.count(42) == 1);
}

TEST_CASE("the count is there before the key, and goes only after it", "[member-slots]") {
  Slots s;
  FakeMembership map;
  map.at_write = [&](uint64_t) { CHECK(covers(s, map.keys)); };
  REQUIRE(s.slots.put(map, 5, 1) == 0);
  // At the insert the count already covers the key about to exist.
  map.at_write = [&](uint64_t id) {
    if (!map.keys.count(id)) CHECK(s.slots.count(id) >= 1);
  };
  REQUIRE(s.slots.put(map, 6, 1) == 0);
  map.at_write = [&](uint64_t id) { CHECK(s.slots.count(id) >= 1); };
  REQUIRE(s.slots.remove(map, 6) == 0);
  CHECK(s.slots.count(6) == 0);
  CHECK(covers(s, map.keys));
}

TEST_CASE("a refused insert or delete leaves the counts as they were", "[member-slots]") {
  Slots s;
  FakeMembership map;
  map.capacity = 1;
  REQUIRE(s.slots.put(map, 1, 1) == 0);
  CHECK(s.slots.put(map, 2, 1) == E2BIG);
  CHECK(s.slots.count(2) == 0);
  CHECK(s.slots.remove(map, 2) == ENOENT);
  CHECK(s.slots.count(2) == 0);
  CHECK(s.slots.count(1) == 1);
}

TEST_CASE("a member deleted by its rmdir between the insert and the replace is inserted again", "[member-slots]") {
  Slots s;
  FakeMembership map;
  REQUIRE(s.slots.put(map, 9, SYVA_ZONE_PENDING) == 0);
  int writes = 0;
  // The kernel's rmdir deletes the key (and uncounts it) right after the
  // agent's insert found it there.
  map.before = [&] {
    if (++writes == 2 && map.keys.erase(9)) --s.counts[member_slot_of(9)];
  };
  REQUIRE(s.slots.put(map, 9, 4) == 0);
  CHECK(map.keys.at(9) == 4);
  CHECK(s.slots.count(9) == 1);
}

TEST_CASE("raising covers uncounted members and never lowers a count", "[member-slots]") {
  Slots s;
  const std::map<uint64_t, uint32_t> members = {{3, 1}, {3 + SYVA_MEMBER_SLOTS, 1}, {4, 2}};
  s.counts[member_slot_of(4)] = 5;  // above its members: left alone
  CHECK(s.slots.raise_to(members) == 1);
  CHECK(s.counts[member_slot_of(3)] == 2);
  CHECK(s.counts[member_slot_of(4)] == 5);
  CHECK(s.slots.raise_to(members) == 0);
  CHECK(s.slots.raise_to({}) == 0);
  CHECK(s.counts[member_slot_of(3)] == 2);
}

TEST_CASE("a check names only slots short in two readings: a member that left between them is no fault",
          "[member-slots]") {
  Slots s;
  std::map<uint64_t, uint32_t> members = {{7, 1}, {8, 1}};
  s.counts[member_slot_of(8)] = 1;
  int reads = 0;
  // Slot 7 is short in both readings (a writer that did not count); slot
  // 8 only in the first, as if its member's delete and uncount fell
  // between reading the map and reading the count.
  auto read = [&] {
    ++reads;
    if (reads == 1) s.counts[member_slot_of(8)] = 0;
    if (reads == 2) members.erase(8);
    return members;
  };
  CHECK(s.slots.repair(read) == 1);
  CHECK(reads == 2);
  CHECK(s.counts[member_slot_of(7)] == 1);
  CHECK(s.slots.repair([&] { return members; }) == 0);
}

TEST_CASE("member_cache names a member with its zone, one entry per slot, and forgets only its own", "[member-slots]") {
  std::vector<uint64_t> entries(SYVA_MEMBER_SLOTS, 0);
  MemberCache cache(entries.data());
  const uint64_t a = (uint64_t(1) << 32) | 77, b = a + SYVA_MEMBER_SLOTS;
  cache.remember(a, 3);
  CHECK(cache.zone(a) == 3);
  CHECK(cache.zone(b) == SYVA_ZONE_NONE);
  // b takes the slot; forgetting a then leaves b's entry.
  cache.remember(b, SYVA_ZONE_PENDING);
  CHECK(cache.zone(a) == SYVA_ZONE_NONE);
  cache.forget(a);
  CHECK(cache.zone(b) == SYVA_ZONE_PENDING);
  cache.forget(b);
  CHECK(entries[member_slot_of(b)] == 0);
  // Ids of 48 bits or more, and no zone, are never cached.
  CHECK(MemberCache::entry(uint64_t(1) << 48, 3) == 0);
  CHECK(MemberCache::entry(a, SYVA_ZONE_NONE) == 0);
  cache.remember(uint64_t(1) << 48, 3);
  CHECK(entries[0] == 0);
}

TEST_CASE("an adopted member_cache keeps only what the membership holds", "[member-slots]") {
  std::vector<uint64_t> entries(SYVA_MEMBER_SLOTS, 0);
  MemberCache cache(entries.data());
  cache.remember(10, 1);
  cache.remember(11, 2);
  cache.remember(12, 3);
  CHECK(cache.keep_only({{10, 1}, {11, 5}}) == 2);
  CHECK(cache.zone(10) == 1);
  CHECK(cache.zone(11) == SYVA_ZONE_NONE);
  CHECK(cache.zone(12) == SYVA_ZONE_NONE);
}
