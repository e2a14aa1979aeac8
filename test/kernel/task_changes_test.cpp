// SPDX-License-Identifier: Apache-2.0
// Processes acted on without a signal (task_setnice, task_setscheduler,
// task_setioprio, task_setrlimit, ptrace_traceme in ebpf/tasks.bpf.c) and
// cgroup control files of another zone's or the host's cgroup (file_open and
// file_receive in ebpf/files.bpf.c), against the real kernel.
#include <fcntl.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>
#include <optional>
#include <string>

#include "kernel/zone_fixture.h"
#include "support/exit_codes.h"

using namespace syva;
using namespace syva::ktest;

namespace {

int result(long rc) { return rc == 0 ? 0 : errno; }

// ioprio_set(2) has no glibc wrapper; these are <linux/ioprio.h>'s values.
constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioClassBestEffort = 2;
constexpr int kIoprioClassShift = 13;

struct TaskChange {
  const char* name;
  syva_hook hook;
  std::function<int(pid_t)> act;  // 0 or the errno
  std::optional<uint32_t> aux;    // what the event's aux names, when fixed
};

const TaskChange kChanges[] = {
    // The nice value each target already has: nothing changes when allowed.
    {"setpriority", SYVA_HOOK_TASK_SETNICE, [](pid_t pid) { return result(setpriority(PRIO_PROCESS, pid, 0)); }, 0u},
    {"sched_setscheduler", SYVA_HOOK_TASK_SETSCHEDULER,
     [](pid_t pid) {
       sched_param p{};
       return result(sched_setscheduler(pid, SCHED_OTHER, &p));
     },
     std::nullopt},
    {"sched_setaffinity", SYVA_HOOK_TASK_SETSCHEDULER,
     [](pid_t pid) {
       cpu_set_t set;
       if (sched_getaffinity(0, sizeof(set), &set) != 0) return SYVA_TEST_EXIT_STEP1;
       return result(sched_setaffinity(pid, sizeof(set), &set));
     },
     std::nullopt},
    {"ioprio_set", SYVA_HOOK_TASK_SETIOPRIO,
     [](pid_t pid) {
       const int ioprio = (kIoprioClassBestEffort << kIoprioClassShift) | 4;
       return result(syscall(SYS_ioprio_set, kIoprioWhoProcess, pid, ioprio));
     },
     std::nullopt},
    // RLIMIT_CPU below what a process used makes the kernel kill it; the
    // limit it already has (unlimited) changes nothing when allowed.
    {"prlimit", SYVA_HOOK_TASK_SETRLIMIT,
     [](pid_t pid) {
       rlimit r{RLIM_INFINITY, RLIM_INFINITY};
       return result(prlimit(pid, RLIMIT_CPU, &r, nullptr));
     },
     static_cast<uint32_t>(RLIMIT_CPU)},
};

// Writes `pid` to `cgroup`'s cgroup.procs from the test process (unzoned,
// so no escape rule applies): true when it moved.
bool move_to(pid_t pid, const Cgroup& cgroup) {
  const std::string procs = cgroup.path() + "/cgroup.procs";
  int fd = open(procs.c_str(), O_WRONLY);
  if (fd < 0) return false;
  const std::string text = std::to_string(pid);
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

struct Traceme {
  int err;       // 0 or the errno PTRACE_TRACEME got
  pid_t parent;  // the would-be tracer
  pid_t child;   // the caller, to find its event
};

// A parent in `parent_cgroup` (null: stays unzoned) forks a child; the test
// moves that child into `child_cgroup` (null: it stays with its parent), and
// the child asks to be traced by its parent.
Traceme traceme(const Cgroup* parent_cgroup, const Cgroup* child_cgroup) {
  int up[2], down[2];
  REQUIRE(pipe(up) == 0);
  REQUIRE(pipe(down) == 0);
  pid_t parent = fork();
  if (parent == 0) {
    close(up[0]);
    close(down[1]);
    if (parent_cgroup && !move_to(getpid(), *parent_cgroup)) _exit(SYVA_TEST_EXIT_JOIN_CGROUP);
    pid_t child = fork();
    if (child == 0) {
      char go;
      if (read(down[0], &go, 1) != 1) _exit(SYVA_TEST_EXIT_STEP1);
      _exit(result(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr)));
    }
    if (child < 0 || write(up[1], &child, sizeof(child)) != sizeof(child)) _exit(SYVA_TEST_EXIT_STEP2);
    int status = 0;
    if (waitpid(child, &status, 0) != child) _exit(SYVA_TEST_EXIT_STEP3);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : SYVA_TEST_EXIT_CHILD_KILLED);
  }
  close(up[1]);
  close(down[0]);
  pid_t child = -1;
  const bool got_child = read(up[0], &child, sizeof(child)) == sizeof(child);
  const bool moved = got_child && (!child_cgroup || move_to(child, *child_cgroup));
  [[maybe_unused]] ssize_t n = write(down[1], "g", 1);
  close(up[0]);
  close(down[1]);
  int status = 0;
  waitpid(parent, &status, 0);
  REQUIRE(got_child);
  REQUIRE(moved);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) != SYVA_TEST_EXIT_JOIN_CGROUP);
  return {WEXITSTATUS(status), parent, child};
}

int open_for_writing(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

}  // namespace

TEST_CASE("task_setnice, task_setscheduler, task_setioprio, task_setrlimit: another zone's and the host's "
          "processes are not changed",
          "[kernel][task_changes]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("tchg-alpha", kAlpha);
  Cgroup alpha2("tchg-alpha-2", kAlpha);
  Cgroup beta("tchg-beta", kBeta);
  Target beta_task(&beta);
  Target alpha_task(&alpha2);
  Target host_task(nullptr);

  for (const auto& c : kChanges) {
    INFO("change: " << c.name);
    apply_policy(false);
    const auto before = counters(c.hook);
    drain_events();

    auto denied = run_in(&alpha, [&] { return c.act(beta_task.pid()); });
    CHECK(denied.err == EPERM);
    CHECK(counters(c.hook).deny - before.deny == 1);
    auto e = only_event(drain_events(), c.hook, denied.pid);
    CHECK(e.caller_zone == kAlpha);
    CHECK(e.target_zone == kBeta);
    CHECK(e.target_pid == static_cast<uint32_t>(beta_task.pid()));
    CHECK(e.target_cgroup == beta.id());
    CHECK(e.caller_cgroup == alpha.id());
    if (c.aux) CHECK(e.aux == *c.aux);

    // The host is not a zone: a zoned process may not change its processes.
    auto to_host = run_in(&alpha, [&] { return c.act(host_task.pid()); });
    CHECK(to_host.err == EPERM);
    auto h = only_event(drain_events(), c.hook, to_host.pid);
    CHECK(h.target_zone == SYVA_ZONE_NONE);
    CHECK(h.target_pid == static_cast<uint32_t>(host_task.pid()));

    CHECK(run_in(&alpha, [&] { return c.act(alpha_task.pid()); }).err == 0);  // own zone, other cgroup
    CHECK(run_in(nullptr, [&] { return c.act(beta_task.pid()); }).err == 0);  // unzoned
    apply_policy(true);
    CHECK(run_in(&alpha, [&] { return c.act(beta_task.pid()); }).err == 0);   // allowed pair
    CHECK(run_in(&alpha, [&] { return c.act(host_task.pid()); }).err == EPERM);  // still not the host
    CHECK(counters(c.hook).deny - before.deny == 3);
  }
  drain_events();
}

TEST_CASE("ptrace_traceme: a child may not hand itself to a parent in another zone", "[kernel][task_changes]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("traceme-alpha", kAlpha);
  Cgroup alpha2("traceme-alpha-2", kAlpha);
  Cgroup beta("traceme-beta", kBeta);
  Cgroup host("traceme-host", SYVA_ZONE_NONE);
  const auto before = counters(SYVA_HOOK_PTRACE_TRACEME);
  drain_events();

  auto denied = traceme(&alpha, &beta);  // parent in alpha, child in beta
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_PTRACE_TRACEME).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_PTRACE_TRACEME, denied.child);
  CHECK(e.caller_zone == kBeta);
  CHECK(e.target_zone == kAlpha);
  CHECK(e.caller_cgroup == beta.id());
  CHECK(e.target_pid == static_cast<uint32_t>(denied.parent));
  CHECK(e.target_cgroup == alpha.id());

  // A parent on the host is no zone's either.
  auto to_host = traceme(nullptr, &beta);
  CHECK(to_host.err == EPERM);
  CHECK(only_event(drain_events(), SYVA_HOOK_PTRACE_TRACEME, to_host.child).target_zone == SYVA_ZONE_NONE);

  CHECK(traceme(&alpha, nullptr).err == 0);  // same cgroup
  CHECK(traceme(&alpha, &alpha2).err == 0);  // same zone, other cgroup
  CHECK(traceme(&alpha, &host).err == 0);    // unzoned caller
  apply_policy(true);
  CHECK(traceme(&alpha, &beta).err == 0);  // allowed pair
  CHECK(counters(SYVA_HOOK_PTRACE_TRACEME).deny - before.deny == 2);
  drain_events();
}

TEST_CASE("cgroup_control: another zone's and the host's cgroup control files are not opened for writing",
          "[kernel][task_changes]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("ctl-alpha", kAlpha);
  Cgroup alpha2("ctl-alpha-2", kAlpha);
  Cgroup beta("ctl-beta", kBeta);
  Cgroup beta_sub("ctl-beta/sub", SYVA_ZONE_NONE);  // made below beta's cgroup: beta's
  Cgroup host("ctl-host", SYVA_ZONE_NONE);
  const std::string beta_freeze = beta.path() + "/cgroup.freeze";
  const auto before = counters(SYVA_HOOK_CGROUP_CONTROL);
  drain_events();

  auto denied = run_in(&alpha, [&] { return open_for_writing(beta_freeze); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_CGROUP_CONTROL).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_CGROUP_CONTROL, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  CHECK(e.target_cgroup == beta.id());
  CHECK(run_in(&alpha, [&] { return open_for_writing(beta.path() + "/cgroup.kill"); }).err == EPERM);

  auto below = run_in(&alpha, [&] { return open_for_writing(beta_sub.path() + "/cgroup.freeze"); });
  CHECK(below.err == EPERM);
  auto b = only_event(drain_events(), SYVA_HOOK_CGROUP_CONTROL, below.pid);
  CHECK(b.target_zone == kBeta);
  CHECK(b.target_cgroup == beta_sub.id());

  auto to_host = run_in(&alpha, [&] { return open_for_writing(host.path() + "/cgroup.freeze"); });
  CHECK(to_host.err == EPERM);
  auto h = only_event(drain_events(), SYVA_HOOK_CGROUP_CONTROL, to_host.pid);
  CHECK(h.target_zone == SYVA_ZONE_NONE);
  CHECK(h.target_cgroup == host.id());

  // A writable descriptor opened outside the zone and passed in.
  CHECK(receive_writable(&alpha, beta_freeze).err == EPERM);
  CHECK(counters(SYVA_HOOK_CGROUP_CONTROL).deny - before.deny == 5);

  CHECK(run_in(&alpha, [&] { return open_for_writing(alpha.path() + "/cgroup.freeze"); }).err == 0);   // own
  CHECK(run_in(&alpha, [&] { return open_for_writing(alpha2.path() + "/cgroup.kill"); }).err == 0);    // own zone
  CHECK(run_in(&alpha, [&] { return open_file(beta_freeze); }).err == 0);        // reading is not judged
  CHECK(run_in(nullptr, [&] { return open_for_writing(beta_freeze); }).err == 0);  // unzoned
  apply_policy(true);
  CHECK(run_in(&alpha, [&] { return open_for_writing(beta_freeze); }).err == 0);  // allowed pair
  CHECK(run_in(&alpha, [&] { return open_for_writing(host.path() + "/cgroup.freeze"); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_CGROUP_CONTROL).deny - before.deny == 6);
  drain_events();
}
