// SPDX-License-Identifier: Apache-2.0
// io_uring personalities against [capabilities]: a request run with a
// registered personality's credentials is held to the zone's list as the
// task's own credentials are. The same through an SQPOLL ring, whose kernel
// thread runs the requests; and that thread opens no other zone's file.
#include <fcntl.h>
#include <liburing.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernel/agent_process.h"
#include "kernel/zone_fixture.h"
#include "support/exit_codes.h"

using namespace syva;
using namespace syva::ktest;

namespace {

int exec_uring_probe(const char* action, const std::string& path) {
  static const std::string probe = uring_probe_binary();
  std::vector<char*> argv{const_cast<char*>(probe.c_str()), const_cast<char*>(action),
                          const_cast<char*>(path.c_str()), nullptr};
  execv(probe.c_str(), argv.data());
  return SYVA_TEST_EXIT_EXEC_FAILED;
}

// Why this kernel makes no ring with `flags` (empty: it does).
std::string ring_unavailable(unsigned flags) {
  io_uring probe;
  io_uring_params params{};
  params.flags = flags;
  if (int rc = io_uring_queue_init_params(2, &probe, &params); rc < 0) return strerror(-rc);
  io_uring_queue_exit(&probe);
  return "";
}

// Alpha's [capabilities] list leaves out CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH; beta has no list.
void alpha_may_not_override_file_permissions() {
  syva_zone_policy alpha_rules{};
  alpha_rules.flags = SYVA_ZONE_F_CAPS;
  alpha_rules.caps_allowed = uint64_t{1} << CAP_CHOWN;
  apply_zone_rules(alpha_rules);
}

}  // namespace

TEST_CASE("io_uring: a personality's credentials are held to the zone's capabilities after capset()",
          "[kernel][io_uring]") {
  REQUIRE_BPF_LSM();
  if (std::string why = ring_unavailable(0); !why.empty())
    SYVA_SKIP("io_uring is not available on this kernel: " + why);
  alpha_may_not_override_file_permissions();
  Cgroup alpha("uring-alpha", kAlpha);
  Cgroup beta("uring-beta", kBeta);
  const std::string file = scratch_file("uring-unreadable");
  REQUIRE(chmod(file.c_str(), 0) == 0);

  drain_events();
  const auto before = counters(SYVA_HOOK_CAPABLE);
  // The zone's own rule, by open(2).
  CHECK(run_in(&alpha, [&] { return exec_uring_probe("open", file); }).err == EACCES);
  // The same open, run by io_uring with the personality's credentials.
  const Outcome denied = run_in(&alpha, [&] { return exec_uring_probe("personality-open", file); });
  CHECK(denied.err == EACCES);
  const auto after = counters(SYVA_HOOK_CAPABLE);
  CHECK(after.deny - before.deny >= 2);
  CHECK(counters(SYVA_HOOK_URING_CREDS).error == 0);
  bool seen = false;
  for (const auto& e : drain_events()) {
    if (e.hook != SYVA_HOOK_CAPABLE || static_cast<pid_t>(e.tgid) != denied.pid) continue;
    seen = true;
    CHECK(e.caller_zone == kAlpha);
    CHECK((e.aux == CAP_DAC_OVERRIDE || e.aux == CAP_DAC_READ_SEARCH));
  }
  CHECK(seen);

  // No list, and unzoned: root reads the file through the personality.
  CHECK(run_in(&beta, [&] { return exec_uring_probe("personality-open", file); }).err == 0);
  CHECK(run_in(nullptr, [&] { return exec_uring_probe("personality-open", file); }).err == 0);
  std::remove(file.c_str());
  drain_events();
}

TEST_CASE("io_uring SQPOLL: the ring's thread is held to the zone's capabilities, also under a personality and for "
          "a ring attached after capset(); it opens no other zone's file",
          "[kernel][io_uring]") {
  REQUIRE_BPF_LSM();
  if (std::string why = ring_unavailable(IORING_SETUP_SQPOLL); !why.empty())
    SYVA_SKIP("io_uring SQPOLL rings are not available on this kernel: " + why);
  alpha_may_not_override_file_permissions();
  Cgroup alpha("sqpoll-alpha", kAlpha);
  Cgroup beta("sqpoll-beta", kBeta);
  const std::string unreadable = scratch_file("sqpoll-unreadable");
  REQUIRE(chmod(unreadable.c_str(), 0) == 0);

  // Each way the thread gets credentials: its own (the ring's maker's), a
  // personality's, and those of the task when an attached ring was made,
  // which are not the thread's own. Each is the zone's and judged.
  for (const char* action : {"sqpoll-open", "sqpoll-personality-open", "sqpoll-attach-open"}) {
    INFO(action);
    drain_events();
    const auto before = counters(SYVA_HOOK_CAPABLE);
    const Outcome denied = run_in(&alpha, [&] { return exec_uring_probe(action, unreadable); });
    CHECK(denied.err == EACCES);
    CHECK(counters(SYVA_HOOK_CAPABLE).deny - before.deny >= 1);
    bool seen = false;
    for (const auto& e : drain_events()) {
      if (e.hook != SYVA_HOOK_CAPABLE || static_cast<pid_t>(e.tgid) != denied.pid) continue;
      seen = true;
      CHECK(e.caller_zone == kAlpha);
      CHECK((e.aux == CAP_DAC_OVERRIDE || e.aux == CAP_DAC_READ_SEARCH));
    }
    CHECK(seen);
    // No list, and unzoned: root reads the file.
    CHECK(run_in(&beta, [&] { return exec_uring_probe(action, unreadable); }).err == 0);
    CHECK(run_in(nullptr, [&] { return exec_uring_probe(action, unreadable); }).err == 0);
  }
  CHECK(counters(SYVA_HOOK_URING_CREDS).error == 0);
  std::remove(unreadable.c_str());

  // Across zones: the thread is in its maker's cgroup, so file_open judges
  // its opens as the maker's.
  const std::string betas = scratch_file("sqpoll-beta-file");
  const std::string alphas = scratch_file("sqpoll-alpha-file");
  apply_policy(false, {{betas, kBeta}, {alphas, kAlpha}});
  drain_events();
  const auto before = counters(SYVA_HOOK_FILE_OPEN);
  for (const char* action : {"sqpoll-open", "sqpoll-attach-open"}) {
    INFO(action);
    const Outcome denied = run_in(&alpha, [&] { return exec_uring_probe(action, betas); });
    CHECK(denied.err == EPERM);
    if (denied.err == EPERM) {
      auto e = only_event(drain_events(), SYVA_HOOK_FILE_OPEN, denied.pid);
      CHECK(e.caller_zone == kAlpha);
      CHECK(e.target_zone == kBeta);
      CHECK(e.caller_cgroup == alpha.id());
    }
    CHECK(run_in(&alpha, [&] { return exec_uring_probe(action, alphas); }).err == 0);
    CHECK(run_in(&beta, [&] { return exec_uring_probe(action, betas); }).err == 0);
    CHECK(run_in(nullptr, [&] { return exec_uring_probe(action, betas); }).err == 0);
  }
  CHECK(counters(SYVA_HOOK_FILE_OPEN).deny - before.deny == 2);
  std::remove(betas.c_str());
  std::remove(alphas.c_str());
  apply_policy(false);
  drain_events();
}
