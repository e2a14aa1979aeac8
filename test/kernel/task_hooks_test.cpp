// SPDX-License-Identifier: Apache-2.0
// ptrace_access_check and task_kill against the real kernel.
#include <signal.h>
#include <sys/ptrace.h>

#include <catch2/catch.hpp>
#include <cerrno>

#include "kernel/zone_fixture.h"

using namespace syva;
using namespace syva::ktest;

namespace {

int attach(pid_t pid) {
  // SEIZE does not stop the target; the tracer's exit detaches it.
  return ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) == 0 ? 0 : errno;
}

int signal_cont(pid_t pid) { return kill(pid, SIGCONT) == 0 ? 0 : errno; }

}  // namespace

TEST_CASE("ptrace_access_check: attaching to another zone's process is EPERM", "[kernel][ptrace_access_check]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("ptrace-alpha", kAlpha);
  Cgroup alpha2("ptrace-alpha-2", kAlpha);
  Cgroup beta("ptrace-beta", kBeta);
  Target beta_task(&beta);
  Target alpha_task(&alpha2);

  const auto before = counters(SYVA_HOOK_PTRACE);
  drain_events();
  auto denied = run_in(&alpha, [&] { return attach(beta_task.pid()); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_PTRACE).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_PTRACE, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  CHECK(e.target_pid == static_cast<uint32_t>(beta_task.pid()));
  CHECK(e.target_cgroup == beta.id());

  CHECK(run_in(&alpha, [&] { return attach(alpha_task.pid()); }).err == 0);  // (2) same zone, other cgroup
  CHECK(run_in(nullptr, [&] { return attach(beta_task.pid()); }).err == 0);  // (4)
  apply_policy(true);
  CHECK(run_in(&alpha, [&] { return attach(beta_task.pid()); }).err == 0);  // (3)
  CHECK(counters(SYVA_HOOK_PTRACE).deny - before.deny == 1);
}

TEST_CASE("task_kill: signalling another zone's or the host's process is EPERM", "[kernel][task_kill]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("kill-alpha", kAlpha);
  Cgroup alpha2("kill-alpha-2", kAlpha);
  Cgroup beta("kill-beta", kBeta);
  Target beta_task(&beta);
  Target alpha_task(&alpha2);
  Target host_task(nullptr);

  const auto before = counters(SYVA_HOOK_TASK_KILL);
  drain_events();
  auto denied = run_in(&alpha, [&] { return signal_cont(beta_task.pid()); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_TASK_KILL).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_TASK_KILL, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  CHECK(e.target_pid == static_cast<uint32_t>(beta_task.pid()));
  CHECK(e.signal == SIGCONT);

  // The host is not a zone: a zoned process may not signal it.
  auto to_host = run_in(&alpha, [&] { return signal_cont(host_task.pid()); });
  CHECK(to_host.err == EPERM);
  auto h = only_event(drain_events(), SYVA_HOOK_TASK_KILL, to_host.pid);
  CHECK(h.target_zone == SYVA_ZONE_NONE);

  CHECK(run_in(&alpha, [&] { return signal_cont(alpha_task.pid()); }).err == 0);  // (2)
  CHECK(run_in(nullptr, [&] { return signal_cont(beta_task.pid()); }).err == 0);  // (4)
  apply_policy(true);
  CHECK(run_in(&alpha, [&] { return signal_cont(beta_task.pid()); }).err == 0);  // (3)
  CHECK(counters(SYVA_HOOK_TASK_KILL).deny - before.deny == 2);
}
