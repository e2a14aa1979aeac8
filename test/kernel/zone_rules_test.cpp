// SPDX-License-Identifier: Apache-2.0
// A zone's own rules against the real kernel: [capabilities] allowed,
// [syscalls] deny, cgroup escape, and audit mode.
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "kernel/agent_process.h"
#include "kernel/zone_fixture.h"
#include "support/exit_codes.h"

using namespace syva;
using namespace syva::ktest;
namespace fs = std::filesystem;

namespace {

// CAP_SYS_ADMIN in the caller's UTS namespace; the name is set to itself.
int set_own_hostname() {
  char name[65] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return errno;
  return sethostname(name, strlen(name)) == 0 ? 0 : errno;
}

// Execs the zone probe (test/tools/zone_probe.c), which exits with the
// errno its action got: [capabilities] hold once the zone's workload has
// exec'd, as a container's command has.
int exec_probe(std::vector<std::string> args) {
  static const std::string probe = zone_probe_binary();
  std::vector<char*> argv{const_cast<char*>(probe.c_str())};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(probe.c_str(), argv.data());
  return SYVA_TEST_EXIT_EXEC_FAILED;
}

int mount_tmpfs(const std::string& dir) {
  if (mount("syva-test", dir.c_str(), "tmpfs", 0, "size=64k") != 0) return errno;
  umount2(dir.c_str(), MNT_DETACH);
  return 0;
}

int chroot_here() { return chroot("/") == 0 ? 0 : errno; }

int ptrace_attach(pid_t pid) {
  if (ptrace(PTRACE_ATTACH, pid, nullptr, nullptr) != 0) return errno;
  waitpid(pid, nullptr, __WALL);
  ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
  return 0;
}

syva_zone_policy caps_only(std::initializer_list<int> caps, uint32_t extra_flags = 0) {
  syva_zone_policy v{};
  v.flags = SYVA_ZONE_F_CAPS | extra_flags;
  for (int c : caps) v.caps_allowed |= uint64_t{1} << c;
  return v;
}

syva_zone_policy denying(std::initializer_list<syva_op> ops) {
  syva_zone_policy v{};
  for (auto op : ops) v.denied_ops |= uint64_t{1} << op;
  return v;
}

}  // namespace

TEST_CASE("capable: a capability outside the zone's list is EPERM; listed, unlisted zone and unzoned succeed",
          "[kernel][capabilities]") {
  REQUIRE_BPF_LSM();
  apply_zone_rules(caps_only({CAP_CHOWN}));  // beta: no [capabilities] section
  Cgroup alpha("caps-alpha", kAlpha);
  Cgroup beta("caps-beta", kBeta);
  const auto file = scratch_file("caps-file");

  const auto before = counters(SYVA_HOOK_CAPABLE);
  drain_events();
  auto denied = run_in(&alpha, [] { return exec_probe({"sethostname"}); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_CAPABLE).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_CAPABLE, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.aux == CAP_SYS_ADMIN);
  CHECK(e.flags == 0);
  // The workload's children too.
  CHECK(run_in(&alpha, [] { return exec_probe({"fork", "sethostname"}); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_CAPABLE).deny - before.deny == 2);

  CHECK(run_in(&alpha, [&] { return exec_probe({"chown", file}); }).err == 0);  // CAP_CHOWN is listed
  CHECK(run_in(&beta, [] { return exec_probe({"sethostname"}); }).err == 0);    // no list: not restricted
  CHECK(run_in(nullptr, [] { return exec_probe({"sethostname"}); }).err == 0);  // unzoned
  // The runtime's own setup in the container's cgroup, before it execs the
  // command (runc's init on start and exec), is not the workload.
  CHECK(run_in(&alpha, set_own_hostname).err == 0);
  CHECK(counters(SYVA_HOOK_CAPABLE).deny - before.deny == 2);
}

TEST_CASE("audit mode: what would be denied proceeds, counted and reported as audit", "[kernel][audit]") {
  REQUIRE_BPF_LSM();
  apply_zone_rules(caps_only({CAP_CHOWN}, SYVA_ZONE_F_AUDIT));
  Cgroup alpha("audit-alpha", kAlpha);
  const auto before = counters(SYVA_HOOK_CAPABLE);
  drain_events();
  auto audited = run_in(&alpha, [] { return exec_probe({"sethostname"}); });
  CHECK(audited.err == 0);
  const auto after = counters(SYVA_HOOK_CAPABLE);
  CHECK(after.audit - before.audit == 1);
  CHECK(after.deny == before.deny);
  auto e = only_event(drain_events(), SYVA_HOOK_CAPABLE, audited.pid);
  CHECK((e.flags & SYVA_EVENT_F_AUDIT) != 0);
  CHECK(e.aux == CAP_SYS_ADMIN);
}

TEST_CASE("[syscalls] deny: mount, chroot and ptrace are refused by their kernel gates", "[kernel][syscalls]") {
  REQUIRE_BPF_LSM();
  apply_zone_rules(denying({SYVA_OP_MOUNT, SYVA_OP_CHROOT, SYVA_OP_PTRACE}));
  Cgroup alpha("sys-alpha", kAlpha);
  Cgroup beta("sys-beta", kBeta);
  const std::string dir = kScratch + "/mountpoint";
  fs::create_directories(dir);

  drain_events();
  const auto mount_before = counters(SYVA_HOOK_SB_MOUNT);
  auto denied = run_in(&alpha, [&] { return mount_tmpfs(dir); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_SB_MOUNT).deny - mount_before.deny == 1);
  CHECK(only_event(drain_events(), SYVA_HOOK_SB_MOUNT, denied.pid).caller_zone == kAlpha);
  CHECK(run_in(&beta, [&] { return mount_tmpfs(dir); }).err == 0);
  CHECK(run_in(nullptr, [&] { return mount_tmpfs(dir); }).err == 0);

  const auto chroot_before = counters(SYVA_HOOK_PATH_CHROOT);
  CHECK(run_in(&alpha, chroot_here).err == EPERM);
  CHECK(counters(SYVA_HOOK_PATH_CHROOT).deny - chroot_before.deny == 1);
  CHECK(run_in(&beta, chroot_here).err == 0);

  // ptrace listed: refused even within the zone, where it is otherwise allowed.
  Target alpha_target(&alpha);
  Target beta_target(&beta);
  const auto ptrace_before = counters(SYVA_HOOK_PTRACE);
  CHECK(run_in(&alpha, [&] { return ptrace_attach(alpha_target.pid()); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_PTRACE).deny - ptrace_before.deny == 1);
  CHECK(run_in(&beta, [&] { return ptrace_attach(beta_target.pid()); }).err == 0);
  drain_events();
}

TEST_CASE("[syscalls] deny: umount2, bpf and init_module are refused by their kernel gates", "[kernel][syscalls]") {
  REQUIRE_BPF_LSM();
  apply_zone_rules(denying({SYVA_OP_UMOUNT, SYVA_OP_BPF, SYVA_OP_MODULE}));
  Cgroup alpha("sys2-alpha", kAlpha);
  Cgroup beta("sys2-beta", kBeta);
  const std::string dir = kScratch + "/umountpoint";
  fs::create_directories(dir);
  REQUIRE(mount("syva-test", dir.c_str(), "tmpfs", 0, "size=64k") == 0);

  const auto umount_before = counters(SYVA_HOOK_SB_UMOUNT);
  CHECK(run_in(&alpha, [&] { return umount2(dir.c_str(), 0) == 0 ? 0 : errno; }).err == EPERM);
  CHECK(counters(SYVA_HOOK_SB_UMOUNT).deny - umount_before.deny == 1);
  CHECK(run_in(&beta, [&] { return umount2(dir.c_str(), 0) == 0 ? 0 : errno; }).err == 0);

  // bpf(BPF_MAP_CREATE) of a small array.
  auto map_create = [] {
    union bpf_attr attr {};
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
    if (fd < 0) return errno;
    close(static_cast<int>(fd));
    return 0;
  };
  const auto bpf_before = counters(SYVA_HOOK_BPF);
  CHECK(run_in(&alpha, map_create).err == EPERM);
  CHECK(counters(SYVA_HOOK_BPF).deny - bpf_before.deny == 1);
  CHECK(run_in(&beta, map_create).err == 0);

  // init_module of a buffer that is no module: the kernel's gate answers
  // before the module loader would refuse it as ENOEXEC.
  auto load_junk = [] {
    static const char junk[64] = "not a module";
    return syscall(SYS_init_module, junk, sizeof(junk), "") == 0 ? 0 : errno;
  };
  const auto module_before = counters(SYVA_HOOK_KERNEL_LOAD_DATA);
  CHECK(run_in(&alpha, load_junk).err == EPERM);
  CHECK(counters(SYVA_HOOK_KERNEL_LOAD_DATA).deny - module_before.deny == 1);
  CHECK(run_in(&beta, load_junk).err != EPERM);
  drain_events();
}

TEST_CASE("cgroup escape: a zoned process cannot move itself or others out, by any of the kernel's ways",
          "[kernel][cgroup]") {
  REQUIRE_BPF_LSM();
  apply_zone_rules({});
  Cgroup alpha("escape-alpha", kAlpha);
  Cgroup outside("escape-outside", SYVA_ZONE_NONE);
  const std::string procs = outside.path() + "/cgroup.procs";
  const auto before = counters(SYVA_HOOK_CGROUP_ESCAPE);
  drain_events();

  // Opening the destination's cgroup.procs (or cgroup.threads) for writing.
  auto denied = run_in(&alpha, [&] {
    int fd = open(procs.c_str(), O_WRONLY);
    if (fd < 0) return errno;
    close(fd);
    return 0;
  });
  CHECK(denied.err == EPERM);
  CHECK(only_event(drain_events(), SYVA_HOOK_CGROUP_ESCAPE, denied.pid).caller_zone == kAlpha);
  CHECK(run_in(&alpha, [&] {
          int fd = open((outside.path() + "/cgroup.threads").c_str(), O_WRONLY);
          if (fd < 0) return errno;
          close(fd);
          return 0;
        }).err == EPERM);

  // A writable cgroup.procs descriptor opened outside the zone and passed in
  // over a Unix socket (SCM_RIGHTS): refused on receipt.
  CHECK(receive_writable(&alpha, procs).err == EPERM);

  // clone3(CLONE_INTO_CGROUP): the child would start outside the zone.
  int outside_fd = open(outside.path().c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(outside_fd >= 0);
  auto clone_into = [&] {
    clone_args args{};
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(outside_fd);
    long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid < 0) return errno;
    if (pid == 0) _exit(0);
    waitpid(static_cast<pid_t>(pid), nullptr, 0);
    return 0;
  };
  CHECK(run_in(&alpha, clone_into).err == EPERM);
  CHECK(counters(SYVA_HOOK_CGROUP_ESCAPE).deny - before.deny == 4);

  // Outside any zone all of it works.
  CHECK(run_in(nullptr, clone_into).err == 0);
  close(outside_fd);
  drain_events();
}

TEST_CASE("writable_paths: the zone's workload writes only at or below its paths; reads and devices are not judged",
          "[kernel][writable]") {
  REQUIRE_BPF_LSM();
  const std::string writable = kScratch + "/writable";
  fs::create_directories(writable + "/sub");
  syva_writable_paths paths{};
  paths.count = 1;
  writable.copy(paths.paths[0], sizeof(paths.paths[0]) - 1);
  syva_zone_policy alpha_rules{};
  alpha_rules.flags = SYVA_ZONE_F_WRITABLE;
  apply_zone_rules(alpha_rules, {}, {}, {{kAlpha, paths}});
  Cgroup alpha("writable-alpha", kAlpha);
  Cgroup beta("writable-beta", kBeta);
  const auto outside = scratch_file("not-writable");
  const auto look_alike = kScratch + "/writable-not";  // a prefix of the name, not of the path
  const auto before = counters(SYVA_HOOK_WRITABLE_PATHS);
  drain_events();

  CHECK(run_in(&alpha, [&] { return exec_probe({"write", writable + "/sub/new"}); }).err == 0);
  CHECK(run_in(&alpha, [&] { return exec_probe({"write", writable}); }).err == EISDIR);  // the path itself
  auto denied = run_in(&alpha, [&] { return exec_probe({"write", outside}); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_WRITABLE_PATHS).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_WRITABLE_PATHS, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(run_in(&alpha, [&] { return exec_probe({"write", look_alike}); }).err == EPERM);
  CHECK(run_in(&alpha, [&] { return exec_probe({"open", outside}); }).err == 0);             // reading is not judged
  CHECK(run_in(&alpha, [&] { return exec_probe({"write", "/dev/null"}); }).err == 0);        // not a regular file
  CHECK(run_in(&alpha, [&] { return exec_probe({"write", "/proc/self/comm"}); }).err == 0);  // kernel interface
  CHECK(run_in(&beta, [&] { return exec_probe({"write", outside}); }).err == 0);             // no writable_paths
  CHECK(run_in(nullptr, [&] { return exec_probe({"write", outside}); }).err == 0);           // unzoned
  CHECK(counters(SYVA_HOOK_WRITABLE_PATHS).deny - before.deny == 2);
  drain_events();
  fs::remove_all(writable);
  fs::remove(look_alike);
}
