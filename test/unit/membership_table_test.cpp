// SPDX-License-Identifier: Apache-2.0
// The watcher's bookkeeping against a sink that records every write: what
// reaches the map on add, remove and reconcile.
#include <catch2/catch.hpp>

#include <vector>

#include "watcher/backoff.h"
#include "watcher/cgroup_limits.h"
#include "watcher/membership_table.h"

using namespace syva;

namespace {

struct FakeSink : MembershipSink {
  std::map<uint64_t, uint32_t> map;
  std::map<std::string, uint32_t> zones;
  int writes = 0;
  ZoneSlot zone_for(const std::string& zone) override {
    auto [it, fresh] = zones.emplace(zone, zones.size() + 1);
    return {it->second, !fresh};
  }
  void set_member(uint64_t cgroup, uint32_t zone) override {
    ++writes;
    map[cgroup] = zone;
  }
  void remove_member(uint64_t cgroup) override {
    ++writes;
    map.erase(cgroup);
  }
  bool clear_pending(uint64_t cgroup) override {
    auto it = map.find(cgroup);
    if (it == map.end() || it->second != SYVA_ZONE_PENDING) return false;
    map.erase(it);
    return true;
  }
  std::map<uint64_t, uint32_t> members() override { return map; }
  std::map<uint64_t, uint32_t> superblocks;
  void set_superblock_owner(uint64_t dev, uint32_t zone) override { superblocks[dev] = zone; }
  void remove_superblock_owner(uint64_t dev) override { superblocks.erase(dev); }
  std::map<uint64_t, uint32_t> superblock_owners() override { return superblocks; }
};

Member member(const std::string& id, uint64_t cgroup, uint32_t zone, const std::string& ns = "default") {
  Member m;
  m.ns = ns;
  m.container_id = id;
  m.zone = "z" + std::to_string(zone);
  m.zone_id = zone;
  m.cgroup = cgroup;
  m.cgroup_path = "/" + ns + "/" + id;
  return m;
}

}  // namespace

TEST_CASE("add writes the entry; the same membership again writes nothing", "[membership]") {
  FakeSink sink;
  MembershipTable table(sink);
  table.add(member("c1", 100, 1), std::chrono::milliseconds(2));
  CHECK(sink.map == std::map<uint64_t, uint32_t>{{100, 1}});
  table.add(member("c1", 100, 1), std::nullopt);
  CHECK(sink.writes == 1);
  table.add(member("c1", 100, 2), std::nullopt);  // zone changed
  CHECK(sink.map.at(100) == 2);
}

TEST_CASE("remove finds the cgroup by container, in its namespace", "[membership]") {
  FakeSink sink;
  MembershipTable table(sink);
  table.add(member("c1", 100, 1, "a"), std::nullopt);
  table.add(member("c1", 200, 1, "b"), std::nullopt);
  CHECK(table.remove("b", "c1", 0, "task deleted") == 200u);
  CHECK(sink.map == std::map<uint64_t, uint32_t>{{100, 1}});
  CHECK_FALSE(table.remove("b", "c1", 0, "container deleted"));  // already gone: nothing to do
  CHECK_FALSE(table.remove("a", "never-zoned", 0, "task deleted"));
  CHECK(sink.map.size() == 1);
  CHECK(table.size() == 1);
}

TEST_CASE("a new task of the same container moves the entry to its new cgroup", "[membership]") {
  FakeSink sink;
  MembershipTable table(sink);
  table.add(member("c1", 100, 1), std::nullopt);
  table.add(member("c1", 101, 1), std::nullopt);
  CHECK(sink.map == std::map<uint64_t, uint32_t>{{101, 1}});
}

TEST_CASE("the end of an earlier task does not remove the running one", "[membership]") {
  FakeSink sink;
  MembershipTable table(sink);
  Member m = member("c1", 100, 1);
  m.pid = 2002;
  table.add(m, std::nullopt);
  CHECK_FALSE(table.remove("default", "c1", 1001, "task deleted"));  // replayed after a reconcile
  CHECK(sink.map.count(100));
  table.remove("default", "c1", 2002, "task deleted");
  CHECK_FALSE(sink.map.count(100));
}

TEST_CASE("a cgroup shared by two containers stays until both are gone", "[membership]") {
  FakeSink sink;
  MembershipTable table(sink);
  table.add(member("c1", 100, 1), std::nullopt);
  table.add(member("c2", 100, 1), std::nullopt);
  CHECK_FALSE(table.remove("default", "c1", 0, "task deleted"));
  CHECK(sink.map.count(100));
  CHECK(table.remove("default", "c2", 0, "task deleted") == 100u);
  CHECK_FALSE(sink.map.count(100));
}

TEST_CASE("reconcile makes the map exactly the running set", "[membership]") {
  FakeSink sink;
  MembershipTable table(sink);
  table.add(member("stays", 100, 1), std::nullopt);
  table.add(member("ended", 200, 1), std::nullopt);
  sink.map[300] = 2;  // left by an earlier agent: no container accounts for it
  sink.map[400] = 1;  // a running container's cgroup, but with the wrong zone

  auto counts = table.reconcile({member("stays", 100, 1), member("wrongzone", 400, 3), member("new", 500, 2)});
  CHECK(sink.map == std::map<uint64_t, uint32_t>{{100, 1}, {400, 3}, {500, 2}});
  CHECK(counts.kept == 1);
  CHECK(counts.added == 2);
  CHECK(counts.removed == 2);
  CHECK(table.size() == 3);

  // The table now knows the new containers: their removal works.
  table.remove("default", "new", 0, "task deleted");
  CHECK_FALSE(sink.map.count(500));
}

TEST_CASE("reconcile with nothing running empties the map", "[membership]") {
  FakeSink sink;
  MembershipTable table(sink);
  sink.map = {{1, 1}, {2, 2}};
  auto counts = table.reconcile({});
  CHECK(sink.map.empty());
  CHECK(counts.removed == 2);
}

namespace {
Member with_rootfs(Member m, RootfsCoverage::Kind kind, uint64_t dev) {
  m.rootfs = {kind, dev};
  return m;
}
}  // namespace

TEST_CASE("reconcile leaves the kernel's PENDING entries to their containers", "[membership][pending]") {
  FakeSink sink;
  MembershipTable table(sink);
  // 7: a pod-level cgroup, or a container whose create event is still on
  // its way: only placing a container decides it.
  sink.map = {{1, 1}, {7, SYVA_ZONE_PENDING}, {8, SYVA_ZONE_PENDING}};
  auto counts = table.reconcile({member("c8", 8, 2)});
  CHECK(sink.map == std::map<uint64_t, uint32_t>{{7, SYVA_ZONE_PENDING}, {8, 2}});
  CHECK(counts.removed == 1);
  CHECK(sink.clear_pending(7));
  CHECK_FALSE(sink.clear_pending(8));  // placed: not the kernel's any more
}

TEST_CASE("a quarantined container owns nothing", "[membership][quarantine]") {
  FakeSink sink;
  MembershipTable table(sink);
  Member q = member("q", 100, SYVA_ZONE_QUARANTINE);
  q.placement = Placement::Kind::quarantine;
  q.why = "test";
  table.add(with_rootfs(q, RootfsCoverage::Kind::overlay, 0x40), std::nullopt);
  CHECK(sink.map == std::map<uint64_t, uint32_t>{{100, SYVA_ZONE_QUARANTINE}});
  CHECK(sink.superblocks.empty());
}

TEST_CASE("an overlay rootfs is owned by the container's zone while it runs; a shared one never", "[membership]") {
  FakeSink sink;
  MembershipTable table(sink);
  table.add(with_rootfs(member("c1", 100, 1), RootfsCoverage::Kind::overlay, 0x40), std::nullopt);
  table.add(with_rootfs(member("c2", 200, 2), RootfsCoverage::Kind::other, 0x800001), std::nullopt);
  CHECK(sink.superblocks == std::map<uint64_t, uint32_t>{{0x40, 1}});
  table.add(with_rootfs(member("c1", 100, 3), RootfsCoverage::Kind::overlay, 0x40), std::nullopt);  // relabelled
  CHECK(sink.superblocks == std::map<uint64_t, uint32_t>{{0x40, 3}});
  table.remove("default", "c1", 0, "task deleted");
  CHECK(sink.superblocks.empty());
}

TEST_CASE("reconcile makes the owned root filesystems exactly those of running containers", "[membership]") {
  FakeSink sink;
  MembershipTable table(sink);
  sink.superblocks = {{0x40, 1}, {0x41, 2}, {0x42, 1}};  // 0x41 wrong zone, 0x42 nobody's any more
  table.reconcile({with_rootfs(member("a", 100, 1), RootfsCoverage::Kind::overlay, 0x40),
                   with_rootfs(member("b", 200, 3), RootfsCoverage::Kind::overlay, 0x41),
                   with_rootfs(member("c", 300, 2), RootfsCoverage::Kind::overlay, 0x43),
                   with_rootfs(member("d", 400, 2), RootfsCoverage::Kind::other, 0x800001)});
  CHECK(sink.superblocks == std::map<uint64_t, uint32_t>{{0x40, 1}, {0x41, 3}, {0x43, 2}});
}

TEST_CASE("reconnect delays double from the first up to the cap, and start over after success", "[backoff]") {
  using ms = std::chrono::milliseconds;
  Backoff b(ms(100), ms(5000));
  std::vector<long> seen;
  for (int i = 0; i < 8; ++i) seen.push_back(b.next().count());
  CHECK(seen == std::vector<long>{100, 200, 400, 800, 1600, 3200, 5000, 5000});
  b.reset();
  CHECK(b.next() == ms(100));
}

TEST_CASE("[resources] become cgroup v2 values as runc converts them", "[resources]") {
  CHECK(cpu_weight_from_shares(2) == 1);
  CHECK(cpu_weight_from_shares(1024) == 39);
  CHECK(cpu_weight_from_shares(262144) == 10000);
  syva_zone_policy p{};
  CHECK(limit_writes(p).empty());
  p.cpu_shares = 512;
  p.memory_limit = 268435456;
  p.pids_max = 256;
  CHECK(limit_writes(p) == std::vector<std::pair<std::string, std::string>>{
                               {"cpu.weight", "20"}, {"memory.max", "268435456"}, {"pids.max", "256"}});
}
