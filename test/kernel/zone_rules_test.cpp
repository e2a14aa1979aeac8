// A zone's own rules against the real kernel: [capabilities] allowed,
// [syscalls] deny, cgroup escape, and audit mode.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "kernel/zone_fixture.h"

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
  static const std::string probe = fs::read_symlink("/proc/self/exe").parent_path() / "syva-zone-probe";
  std::vector<char*> argv{const_cast<char*>(probe.c_str())};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(probe.c_str(), argv.data());
  return 127;
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
  CHECK(run_in(&beta, [] { return exec_probe({"sethostname"}); }).err == 0);     // no list: not restricted
  CHECK(run_in(nullptr, [] { return exec_probe({"sethostname"}); }).err == 0);   // unzoned
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

TEST_CASE("cgroup escape: a zoned process cannot move itself or others out, by any of the kernel's ways",
          "[kernel][cgroup]") {
  REQUIRE_BPF_LSM();
  apply_zone_rules({});
  Cgroup alpha("escape-alpha", kAlpha);
  Cgroup outside("escape-outside", SYVA_ZONE_NONE);
  const std::string procs = outside.path() + "/cgroup.procs";
  const auto before = counters(SYVA_HOOK_CGROUP_MOVE);
  drain_events();

  // Opening the destination's cgroup.procs (or cgroup.threads) for writing.
  auto denied = run_in(&alpha, [&] {
    int fd = open(procs.c_str(), O_WRONLY);
    if (fd < 0) return errno;
    close(fd);
    return 0;
  });
  CHECK(denied.err == EPERM);
  CHECK(only_event(drain_events(), SYVA_HOOK_CGROUP_MOVE, denied.pid).caller_zone == kAlpha);
  CHECK(run_in(&alpha, [&] {
          int fd = open((outside.path() + "/cgroup.threads").c_str(), O_WRONLY);
          if (fd < 0) return errno;
          close(fd);
          return 0;
        }).err == EPERM);

  // Writing through a descriptor opened before the process was zoned.
  int inherited = open(procs.c_str(), O_WRONLY);
  REQUIRE(inherited >= 0);
  CHECK(run_in(&alpha, [&] { return write(inherited, "0", 1) == 1 ? 0 : errno; }).err == EPERM);
  close(inherited);

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
  CHECK(counters(SYVA_HOOK_CGROUP_MOVE).deny - before.deny == 4);

  // Outside any zone all of it works.
  CHECK(run_in(nullptr, clone_into).err == 0);
  close(outside_fd);
  drain_events();
}
