// SPDX-License-Identifier: Apache-2.0
// Syva's own maps, programs, links and pins (the bpf, bpf_map and bpf_prog
// programs in ebpf/syscalls.bpf.c, and the BPF filesystem's entries in
// ebpf/file_changes.bpf.c) against the real kernel: no zoned process gets a
// descriptor of one, or removes, renames or changes a pin.
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <string>

#include "kernel/zone_fixture.h"
#include "syva.skel.h"

using namespace syva;
using namespace syva::ktest;
namespace fs = std::filesystem;

namespace {

int result(int rc) { return rc == 0 ? 0 : errno; }

// One bpf(2) command that returns a descriptor: 0 (closed again) or errno.
int bpf_fd_command(int cmd, bpf_attr& attr) {
  long fd = syscall(SYS_bpf, cmd, &attr, sizeof(attr));
  if (fd < 0) return errno;
  close(static_cast<int>(fd));
  return 0;
}

int map_by_id(uint32_t id) {
  bpf_attr attr{};
  attr.map_id = id;
  return bpf_fd_command(BPF_MAP_GET_FD_BY_ID, attr);
}

int prog_by_id(uint32_t id) {
  bpf_attr attr{};
  attr.prog_id = id;
  return bpf_fd_command(BPF_PROG_GET_FD_BY_ID, attr);
}

int link_by_id(uint32_t id) {
  bpf_attr attr{};
  attr.link_id = id;
  return bpf_fd_command(BPF_LINK_GET_FD_BY_ID, attr);
}

int object_by_pin(const std::string& path) {
  bpf_attr attr{};
  attr.pathname = reinterpret_cast<uint64_t>(path.c_str());
  return bpf_fd_command(BPF_OBJ_GET, attr);
}

template <typename Info>
uint32_t id_of(int fd) {
  Info info{};
  uint32_t len = sizeof(info);
  REQUIRE(bpf_obj_get_info_by_fd(fd, &info, &len) == 0);
  return info.id;
}

bool registered(uint32_t kind, uint32_t id) {
  syva_object key{kind, id};
  uint8_t value = 0;
  return bpf_map_lookup_elem(bpf_map__fd(enforcer().skeleton()->maps.syva_objects), &key, &value) == 0;
}

// A small array map of the test's own, not Syva's.
int test_map() {
  return bpf_map_create(BPF_MAP_TYPE_ARRAY, "syva_ktest_own", 4, 4, 1, nullptr);
}

}  // namespace

TEST_CASE("syva_objects: a zoned process gets no descriptor of Syva's maps, programs, links or pins",
          "[kernel][syva_objects]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("objects-alpha", kAlpha);
  auto* skel = enforcer().skeleton();
  const uint32_t map_id = id_of<bpf_map_info>(bpf_map__fd(skel->maps.zone_membership));
  const uint32_t prog_id = id_of<bpf_prog_info>(bpf_program__fd(skel->progs.syva_file_open));
  const std::string link_pin = enforcer().pin_path() + "/links/syva_file_open";
  const int link_fd = bpf_obj_get(link_pin.c_str());
  REQUIRE(link_fd >= 0);
  const uint32_t link_id = id_of<bpf_link_info>(link_fd);
  close(link_fd);
  const std::string map_pin = enforcer().pin_path() + "/zone_membership";
  REQUIRE(fs::exists(map_pin));

  // The programs refuse only what the agent registered as its own.
  CHECK(registered(SYVA_OBJECT_MAP, map_id));
  CHECK(registered(SYVA_OBJECT_PROG, prog_id));
  CHECK(registered(SYVA_OBJECT_LINK, link_id));

  const auto before = counters(SYVA_HOOK_SYVA_OBJECTS);
  drain_events();

  auto map = run_in(&alpha, [&] { return map_by_id(map_id); });
  CHECK(map.err == EPERM);
  CHECK(counters(SYVA_HOOK_SYVA_OBJECTS).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_SYVA_OBJECTS, map.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == SYVA_ZONE_NONE);
  CHECK(e.caller_cgroup == alpha.id());
  CHECK(e.target_pid == map_id);  // the object's id

  auto prog = run_in(&alpha, [&] { return prog_by_id(prog_id); });
  CHECK(prog.err == EPERM);
  CHECK(only_event(drain_events(), SYVA_HOOK_SYVA_OBJECTS, prog.pid).target_pid == prog_id);

  auto link = run_in(&alpha, [&] { return link_by_id(link_id); });
  CHECK(link.err == EPERM);
  auto l = only_event(drain_events(), SYVA_HOOK_SYVA_OBJECTS, link.pid);
  CHECK(l.target_pid == link_id);
  CHECK(l.aux == BPF_LINK_GET_FD_BY_ID);

  auto pinned = run_in(&alpha, [&] { return object_by_pin(map_pin); });
  CHECK(pinned.err == EPERM);
  CHECK(only_event(drain_events(), SYVA_HOOK_SYVA_OBJECTS, pinned.pid).aux == BPF_OBJ_GET);
  CHECK(run_in(&alpha, [&] { return object_by_pin(link_pin); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_SYVA_OBJECTS).deny - before.deny == 5);

  // Outside any zone, all of it works.
  CHECK(run_in(nullptr, [&] { return map_by_id(map_id); }).err == 0);
  CHECK(run_in(nullptr, [&] { return prog_by_id(prog_id); }).err == 0);
  CHECK(run_in(nullptr, [&] { return link_by_id(link_id); }).err == 0);
  CHECK(run_in(nullptr, [&] { return object_by_pin(map_pin); }).err == 0);

  // A map that is not Syva's, by id: the zone's own business.
  const int own = test_map();
  REQUIRE(own >= 0);
  const uint32_t own_id = id_of<bpf_map_info>(own);
  CHECK(run_in(&alpha, [&] { return map_by_id(own_id); }).err == 0);
  close(own);
  // An allowed pair changes nothing: Syva's objects are no zone's.
  apply_policy(true);
  CHECK(run_in(&alpha, [&] { return map_by_id(map_id); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_SYVA_OBJECTS).deny - before.deny == 6);
  drain_events();
}

TEST_CASE("syva_objects: a zoned process does not remove, rename, change or add BPF filesystem entries",
          "[kernel][syva_objects]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("pins-alpha", kAlpha);
  // Pins of the test's own, beside Syva's: the BPF filesystem is refused
  // whole, and Syva's own pins must not be put at risk by the test.
  const std::string dir = "/sys/fs/bpf/syva-ktest-objects";
  fs::remove_all(dir);
  REQUIRE(mkdir(dir.c_str(), 0755) == 0);
  REQUIRE(mkdir((dir + "/empty").c_str(), 0755) == 0);
  const std::string pin = dir + "/map";
  // Puts back whatever an attempt that should have been refused removed, so
  // that each attempt meets the same entries.
  auto restore = [&] {
    fs::remove(dir + "/moved");
    fs::remove(dir + "/new");
    if (!fs::exists(pin)) {
      const int map = test_map();
      REQUIRE(map >= 0);
      REQUIRE(bpf_obj_pin(map, pin.c_str()) == 0);
      close(map);
    }
    if (!fs::exists(dir + "/empty")) REQUIRE(mkdir((dir + "/empty").c_str(), 0755) == 0);
  };
  restore();
  const auto before = counters(SYVA_HOOK_SYVA_OBJECTS);
  drain_events();

  auto unlinked = run_in(&alpha, [&] { return result(unlink(pin.c_str())); });
  CHECK(unlinked.err == EPERM);
  CHECK(counters(SYVA_HOOK_SYVA_OBJECTS).deny - before.deny == 1);
  if (unlinked.err == EPERM) {
    auto e = only_event(drain_events(), SYVA_HOOK_SYVA_OBJECTS, unlinked.pid);
    CHECK(e.caller_zone == kAlpha);
    CHECK(e.target_zone == SYVA_ZONE_NONE);
  }
  restore();
  CHECK(run_in(&alpha, [&] { return result(rename(pin.c_str(), (dir + "/moved").c_str())); }).err == EPERM);
  restore();
  CHECK(run_in(&alpha, [&] { return result(rmdir((dir + "/empty").c_str())); }).err == EPERM);
  restore();
  CHECK(run_in(&alpha, [&] { return result(mkdir((dir + "/new").c_str(), 0755)); }).err == EPERM);
  restore();
  CHECK(run_in(&alpha, [&] { return result(chmod(pin.c_str(), 0600)); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_SYVA_OBJECTS).deny - before.deny == 5);
  CHECK(fs::exists(pin));
  restore();

  // Unzoned: the host's own business.
  CHECK(run_in(nullptr, [&] { return result(chmod(pin.c_str(), 0600)); }).err == 0);
  CHECK(run_in(nullptr, [&] { return result(unlink(pin.c_str())); }).err == 0);
  CHECK(run_in(nullptr, [&] { return result(rmdir((dir + "/empty").c_str())); }).err == 0);
  CHECK(counters(SYVA_HOOK_SYVA_OBJECTS).deny - before.deny == 5);
  drain_events();
  fs::remove_all(dir);
}
