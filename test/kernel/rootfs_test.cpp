// SPDX-License-Identifier: Apache-2.0
// A filesystem owned whole by a zone (superblock_zone), as the watcher owns a
// container's overlay root filesystem: a real overlay mount, real processes.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "enforcer/kernel_ids.h"
#include "kernel/zone_fixture.h"
#include "support/exit_codes.h"

using namespace syva;
using namespace syva::ktest;
namespace fs = std::filesystem;

namespace {

// An overlay like a container's rootfs: lower (the image), upper, work.
class Overlay {
 public:
  Overlay() : dir_(kScratch + "/overlay") {
    fs::remove_all(dir_);
    for (const char* d : {"lower", "upper", "work", "merged"}) fs::create_directories(dir_ + "/" + d);
    std::ofstream(dir_ + "/lower/passwd") << "root:x:0:0::/root:/bin/sh\n";
    const std::string opts = fmt::format("lowerdir={0}/lower,upperdir={0}/upper,workdir={0}/work", dir_);
    if (mount("overlay", merged().c_str(), "overlay", 0, opts.c_str()) != 0) error_ = strerror(errno);
  }
  ~Overlay() {
    if (error_.empty()) umount2(merged().c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const std::string& error() const { return error_; }
  std::string merged() const { return dir_ + "/merged"; }
  uint64_t dev() const {
    struct stat st {};
    REQUIRE(stat(merged().c_str(), &st) == 0);
    return kernel_dev(st.st_dev);
  }

 private:
  std::string dir_;
  std::string error_;
};

struct SuperblockOwner {
  uint64_t dev;
  SuperblockOwner(uint64_t d, uint32_t zone) : dev(d) { enforcer().set_superblock_owner(dev, zone); }
  ~SuperblockOwner() { enforcer().remove_superblock_owner(dev); }
};

}  // namespace

TEST_CASE("superblock_zone: another zone's overlay rootfs is EPERM; /proc/PID/root into it is refused",
          "[kernel][rootfs]") {
  REQUIRE_BPF_LSM();
  Overlay overlay;
  if (!overlay.error().empty()) SYVA_SKIP("cannot mount an overlay in this kernel (" + overlay.error() + ")");
  apply_policy(false);
  SuperblockOwner owner(overlay.dev(), kBeta);
  Cgroup alpha("rootfs-alpha", kAlpha);
  Cgroup beta("rootfs-beta", kBeta);
  const std::string file = overlay.merged() + "/passwd";

  const auto before = counters(SYVA_HOOK_FILE_OPEN);
  drain_events();
  auto denied = run_in(&alpha, [&] { return open_file(file); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_FILE_OPEN).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_FILE_OPEN, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  CHECK(e.dev == overlay.dev());

  // The usual way into another container's rootfs: /proc/PID/root of a
  // process whose root is the overlay. Following that link needs ptrace
  // read access to the process, which ptrace_access_check already denies
  // across zones; proc reports it as EACCES.
  Target contained(&beta, [&] {
    if (chroot(overlay.merged().c_str()) != 0) _exit(SYVA_TEST_EXIT_TARGET_SETUP);
  });
  const std::string via_proc = fmt::format("/proc/{}/root/passwd", contained.pid());
  const auto ptrace_before = counters(SYVA_HOOK_PTRACE);
  CHECK(run_in(&alpha, [&] { return open_file(via_proc); }).err == EACCES);
  CHECK(counters(SYVA_HOOK_PTRACE).deny - ptrace_before.deny == 1);
  CHECK(counters(SYVA_HOOK_FILE_OPEN).deny - before.deny == 1);

  CHECK(run_in(&beta, [&] { return open_file(file); }).err == 0);  // (2) its own rootfs
  CHECK(run_in(&beta, [&] { return open_file(via_proc); }).err == 0);
  CHECK(run_in(nullptr, [&] { return open_file(file); }).err == 0);                      // (4) the host
  CHECK(run_in(&alpha, [&] { return open_file(scratch_file("host-file")); }).err == 0);  // not the overlay
  apply_policy(true);
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == 0);  // (3) allowed pair
  CHECK(run_in(&alpha, [&] { return open_file(via_proc); }).err == 0);
  CHECK(counters(SYVA_HOOK_FILE_OPEN).deny - before.deny == 1);
  drain_events();
}
