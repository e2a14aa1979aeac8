// SPDX-License-Identifier: Apache-2.0
// The two states that are not zones, against the real kernel: a cgroup made
// under a guarded root is PENDING from the moment it exists, and a
// QUARANTINE cgroup reaches nothing; both are confined alone, each cgroup
// apart from every other.
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include <bpf/libbpf.h>

#include "enforcer/kernel_ids.h"
#include "enforcer/member_slots.h"
#include "kernel/agent_process.h"
#include "kernel/zone_fixture.h"
#include "syva.skel.h"

using namespace syva;
using namespace syva::ktest;

namespace {

// The fixture's cgroups live under the top-level cgroup "syva-ktest": guarded
// only while one of these is alive, so no other test's cgroup is pending.
class Guarded {
 public:
  Guarded() { enforcer().set_guarded_roots({"syva-ktest"}); }
  ~Guarded() { enforcer().set_guarded_roots({}); }
};

int signal0(pid_t pid) { return kill(pid, 0) == 0 ? 0 : errno; }

// Runs the zone probe in a mount namespace of its own, as a container's
// command runs, which is what pending confines (the runtime's setup in the
// node's mount namespace is not).
int probe(const std::string& action, const std::string& arg) {
  const std::string bin = zone_probe_binary();
  if (unshare(CLONE_NEWNS) != 0) return 126;
  execl(bin.c_str(), bin.c_str(), action.c_str(), arg.c_str(), nullptr);
  return 127;
}

uint32_t zone_in_map(uint64_t cgroup) {
  const auto members = enforcer().members();
  auto it = members.find(cgroup);
  return it == members.end() ? SYVA_ZONE_NONE : it->second;
}

}  // namespace

TEST_CASE("a cgroup made under a guarded root is pending from its first moment: confined alone until placed",
          "[kernel][placement][pending]") {
  REQUIRE_BPF_LSM();
  const std::string secret = scratch_file("pending-secret"), unowned = scratch_file("pending-unowned");
  apply_policy(false, {{secret, kAlpha}});
  std::vector<uint64_t> made;
  {
    Guarded guard;
    Cgroup a("pending-a", SYVA_ZONE_NONE), b("pending-b", SYVA_ZONE_NONE);
    // Written by the kernel at mkdir, before any process could join.
    CHECK(zone_in_map(a.id()) == SYVA_ZONE_PENDING);
    CHECK(zone_in_map(b.id()) == SYVA_ZONE_PENDING);
    Target in_a(&a), in_b(&b);

    drain_events();
    const auto denied = run_in(&a, [&] { return probe("open", secret); });
    CHECK(denied.err == EPERM);
    const auto e = only_event(drain_events(), SYVA_HOOK_FILE_OPEN, denied.pid);
    CHECK(e.caller_zone == SYVA_ZONE_PENDING);
    CHECK(e.target_zone == kAlpha);
    // Another pending cgroup is another container: not reachable.
    CHECK(run_in(&a, [&] { return probe("kill", std::to_string(in_b.pid())); }).err == EPERM);
    // Its own cgroup, and what no zone owns, are.
    CHECK(run_in(&a, [&] { return probe("kill", std::to_string(in_a.pid())); }).err == 0);
    CHECK(run_in(&a, [&] { return probe("open", unowned); }).err == 0);
    // In the node's mount namespace a process there is the runtime setting
    // the container up (runc joining namespaces through /proc/PID/ns): not
    // yet the container, not confined.
    CHECK(run_in(&a, [&] { return open_file(secret); }).err == 0);
    CHECK(run_in(&a, [&] { return signal0(in_b.pid()); }).err == 0);
    // Unzoned callers are not affected.
    CHECK(run_in(nullptr, [&] { return open_file(secret); }).err == 0);
    CHECK(run_in(nullptr, [&] { return signal0(in_a.pid()); }).err == 0);

    // Placed: the agent's write replaces the kernel's.
    enforcer().set_member(a.id(), kAlpha);
    CHECK(run_in(&a, [&] { return probe("open", secret); }).err == 0);
    CHECK_FALSE(enforcer().clear_pending(a.id()));  // placed: no longer the kernel's to clear
    CHECK(enforcer().clear_pending(b.id()));        // an unenforced container's cgroup
    CHECK(zone_in_map(b.id()) == SYVA_ZONE_NONE);
    CHECK(run_in(&b, [&] { return probe("open", secret); }).err == 0);

    // Nested deeper than one level: still under the guarded root.
    {
      Cgroup pod("pending-pod", SYVA_ZONE_NONE);
      const std::string inner = pod.path() + "/ctr";
      REQUIRE(mkdir(inner.c_str(), 0755) == 0);
      const uint64_t inner_id = cgroup_id_of(inner);
      CHECK(zone_in_map(inner_id) == SYVA_ZONE_PENDING);
      // The entry goes with the cgroup.
      REQUIRE(rmdir(inner.c_str()) == 0);
      CHECK(zone_in_map(inner_id) == SYVA_ZONE_NONE);
    }
  }
  // No longer guarded: a new cgroup is nobody's.
  Cgroup d("pending-d", SYVA_ZONE_NONE);
  CHECK(zone_in_map(d.id()) == SYVA_ZONE_NONE);
  CHECK(counters(SYVA_HOOK_CGROUP_PENDING).error == 0);
}

TEST_CASE("quarantine reaches nothing and nothing reaches it: not another zone, not another quarantined container",
          "[kernel][placement][quarantine]") {
  REQUIRE_BPF_LSM();
  const std::string secret = scratch_file("quarantine-secret");
  apply_policy(false, {{secret, kAlpha}});
  Cgroup q1("quarantine-1", SYVA_ZONE_QUARANTINE), q2("quarantine-2", SYVA_ZONE_QUARANTINE);
  Cgroup alpha("quarantine-alpha", kAlpha);
  Target t1(&q1), t2(&q2), ta(&alpha);

  drain_events();
  const auto denied = run_in(&q1, [&] { return signal0(t2.pid()); });
  CHECK(denied.err == EPERM);
  const auto e = only_event(drain_events(), SYVA_HOOK_TASK_KILL, denied.pid);
  CHECK(e.caller_zone == SYVA_ZONE_QUARANTINE);
  CHECK(e.target_zone == SYVA_ZONE_QUARANTINE);
  CHECK(run_in(&q1, [&] { return signal0(ta.pid()); }).err == EPERM);
  CHECK(run_in(&q1, [&] { return open_file(secret); }).err == EPERM);
  CHECK(run_in(&q1, [&] { return signal0(t1.pid()); }).err == 0);
  CHECK(run_in(&alpha, [&] { return signal0(t1.pid()); }).err == EPERM);
  // Every [syscalls] operation is refused in quarantine.
  CHECK(run_in(&q1, [&] {
          return mount("none", kScratch.c_str(), "tmpfs", 0, nullptr) == 0 ? (umount(kScratch.c_str()), 0) : errno;
        }).err == EPERM);
  CHECK(run_in(nullptr, [&] { return signal0(t1.pid()); }).err == 0);
}

namespace {

std::vector<uint64_t> slot_counts() {
  MappedMemberSlots mapped(bpf_map__fd(enforcer().skeleton()->maps.member_slots));
  std::vector<uint64_t> out(SYVA_MEMBER_SLOTS);
  for (uint32_t slot = 0; slot < SYVA_MEMBER_SLOTS; ++slot) out[slot] = mapped.slots().count(slot);
  return out;
}

}  // namespace

TEST_CASE("member_slots: every member counted through cgroups made, placed, cleared and removed; counts back after",
          "[kernel][placement][member-slots]") {
  REQUIRE_BPF_LSM();
  const std::string secret = scratch_file("slots-secret");
  apply_policy(false, {{secret, kAlpha}});
  const auto before = slot_counts();
  {
    Guarded guard;
    std::vector<std::unique_ptr<Cgroup>> made;
    // Made PENDING by the kernel, then placed (PENDING to a zone: counted
    // once), cleared, or left pending.
    for (int i = 0; i < 12; ++i) made.push_back(std::make_unique<Cgroup>("slots-" + std::to_string(i), SYVA_ZONE_NONE));
    for (int i = 0; i < 12; ++i) {
      if (i % 3 == 0) enforcer().set_member(made[i]->id(), kBeta);
      if (i % 3 == 1) CHECK(enforcer().clear_pending(made[i]->id()));
    }
    const auto counts = slot_counts();
    for (int i = 0; i < 12; ++i) {
      const uint32_t slot = member_slot_of(made[i]->id());
      INFO("cgroup " << i);
      CHECK(counts[slot] == before[slot] + (i % 3 == 1 ? 0 : 1));
    }
    CHECK(enforcer().check_member_slots() == 0);
    // Confined through the churn: the beta member and the pending one may
    // not open alpha's file; the cleared one is in no zone.
    CHECK(run_in(made[0].get(), [&] { return open_file(secret); }).err == EPERM);
    CHECK(run_in(made[2].get(), [&] { return probe("open", secret); }).err == EPERM);
    CHECK(run_in(made[1].get(), [&] { return open_file(secret); }).err == 0);
    // The placed member is judged from member_cache, never from a stale
    // entry: moved to alpha it opens alpha's file, moved back it cannot.
    MappedMemberSlots cache(bpf_map__fd(enforcer().skeleton()->maps.member_cache));
    CHECK(cache.cache().zone(made[0]->id()) == kBeta);
    enforcer().set_member(made[0]->id(), kAlpha);
    CHECK(cache.cache().zone(made[0]->id()) == kAlpha);
    CHECK(run_in(made[0].get(), [&] { return open_file(secret); }).err == 0);
    enforcer().set_member(made[0]->id(), kBeta);
    CHECK(run_in(made[0].get(), [&] { return open_file(secret); }).err == EPERM);
    enforcer().remove_member(made[3]->id());
    CHECK(cache.cache().zone(made[3]->id()) == SYVA_ZONE_NONE);
    CHECK(run_in(made[3].get(), [&] { return open_file(secret); }).err == 0);
    // Half go by rmdir alone (the kernel deletes and uncounts the entry),
    // half through the agent first.
    for (int i = 0; i < 12; i += 2) {
      rmdir(made[i]->path().c_str());
      CHECK(zone_in_map(made[i]->id()) == SYVA_ZONE_NONE);
    }
  }
  CHECK(slot_counts() == before);
}

TEST_CASE("member_slots: a member whose slot counts 0 is not confined until the check raises the count",
          "[kernel][placement][member-slots]") {
  REQUIRE_BPF_LSM();
  const std::string secret = scratch_file("slots-zero-secret");
  apply_policy(false, {{secret, kAlpha}});
  Cgroup beta("slots-zero-beta", kBeta);
  CHECK(run_in(&beta, [&] { return open_file(secret); }).err == EPERM);
  const uint32_t repairs = enforcer().state().member_slot_repairs;
  {
    // The hole the invariant exists to close: forced to 0, the filter
    // answers "no zone" for the member.
    void* memory = mmap(nullptr, SYVA_MEMBER_SLOTS * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED,
                        bpf_map__fd(enforcer().skeleton()->maps.member_slots), 0);
    REQUIRE(memory != MAP_FAILED);
    auto* counts = static_cast<uint64_t*>(memory);
    const uint32_t slot = member_slot_of(beta.id());
    REQUIRE(counts[slot] == 1);
    __atomic_store_n(&counts[slot], 0, __ATOMIC_SEQ_CST);
    CHECK(run_in(&beta, [&] { return open_file(secret); }).err == 0);
    CHECK(enforcer().check_member_slots() == 1);
    CHECK(counts[slot] == 1);
    CHECK(enforcer().state().member_slot_repairs == repairs + 1);
    munmap(memory, SYVA_MEMBER_SLOTS * sizeof(uint64_t));
  }
  CHECK(run_in(&beta, [&] { return open_file(secret); }).err == EPERM);
  enforcer().update_state([&](syva_agent_state& s) { s.member_slot_repairs = repairs; });
}
