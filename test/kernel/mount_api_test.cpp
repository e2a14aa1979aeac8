// SPDX-License-Identifier: Apache-2.0
// [syscalls] deny = ["mount"] against the new mount API: fsopen, fsconfig,
// fsmount, open_tree(OPEN_TREE_CLONE) and move_mount never reach sb_mount.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <string>

#include "kernel/zone_fixture.h"
#include "support/exit_codes.h"

using namespace syva;
using namespace syva::ktest;
namespace fs = std::filesystem;

namespace {

// fsopen("tmpfs"), `size` set when asked, the superblock made, mounted
// with fsmount and attached on `dir` with move_mount, then detached:
// 0, or the errno of the first step refused.
int new_api_tmpfs(const std::string& dir, bool with_setting) {
  const int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fsfd < 0) return errno;
  int err = 0;
  if (with_setting && fsconfig(fsfd, FSCONFIG_SET_STRING, "size", "64k", 0) != 0) err = errno;
  if (!err && fsconfig(fsfd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) err = errno;
  int mfd = -1;
  if (!err && (mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0)) < 0) err = errno;
  if (!err && move_mount(mfd, "", AT_FDCWD, dir.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) err = errno;
  if (!err) umount2(dir.c_str(), MNT_DETACH);
  if (mfd >= 0) close(mfd);
  close(fsfd);
  return err;
}

// A detached copy of `from` (open_tree(OPEN_TREE_CLONE)) attached on `dir`.
int clone_tree(const std::string& from, const std::string& dir) {
  const int tfd = open_tree(AT_FDCWD, from.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tfd < 0) return errno;
  int err = 0;
  if (move_mount(tfd, "", AT_FDCWD, dir.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) err = errno;
  else umount2(dir.c_str(), MNT_DETACH);
  close(tfd);
  return err;
}

}  // namespace

TEST_CASE("[syscalls] deny = [\"mount\"]: fsconfig, FSCONFIG_CMD_CREATE and move_mount of a new or cloned mount are refused",
          "[kernel][mount_api]") {
  REQUIRE_BPF_LSM();
  syva_zone_policy alpha_rules{};
  alpha_rules.denied_ops = uint64_t{1} << SYVA_OP_MOUNT;
  apply_zone_rules(alpha_rules);
  Cgroup alpha("mountapi-alpha", kAlpha);
  Cgroup beta("mountapi-beta", kBeta);
  const std::string dir = kScratch + "/mountapi-point";
  const std::string source = kScratch + "/mountapi-source";
  fs::create_directories(dir);
  fs::create_directories(source);

  drain_events();
  const auto before = counters(SYVA_HOOK_FS_CONTEXT);
  // A setting: fs_context_parse_param.
  const Outcome set = run_in(&alpha, [&] { return new_api_tmpfs(dir, true); });
  CHECK(set.err == EPERM);
  CHECK(counters(SYVA_HOOK_FS_CONTEXT).deny - before.deny == 1);
  CHECK(only_event(drain_events(), SYVA_HOOK_FS_CONTEXT, set.pid).caller_zone == kAlpha);
  // No setting at all: the superblock is made (sb_set_mnt_opts).
  CHECK(run_in(&alpha, [&] { return new_api_tmpfs(dir, false); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_FS_CONTEXT).deny - before.deny == 2);
  // A clone of a mount the zone sees, attached: move_mount.
  const auto move_before = counters(SYVA_HOOK_MOVE_MOUNT);
  CHECK(run_in(&alpha, [&] { return clone_tree(source, dir); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_MOVE_MOUNT).deny - move_before.deny == 1);

  // Beta denies nothing; unzoned callers are not judged.
  CHECK(run_in(&beta, [&] { return new_api_tmpfs(dir, true); }).err == 0);
  CHECK(run_in(&beta, [&] { return new_api_tmpfs(dir, false); }).err == 0);
  CHECK(run_in(&beta, [&] { return clone_tree(source, dir); }).err == 0);
  CHECK(run_in(nullptr, [&] { return new_api_tmpfs(dir, true); }).err == 0);
  CHECK(run_in(nullptr, [&] { return clone_tree(source, dir); }).err == 0);
  CHECK(counters(SYVA_HOOK_FS_CONTEXT).deny - before.deny == 2);
  fs::remove(dir);
  fs::remove(source);
  drain_events();
}
