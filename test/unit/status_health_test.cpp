// SPDX-License-Identifier: Apache-2.0
// `syva status`'s verdict from what it read: a readiness probe trusts exit 0,
// so anything that leaves containers unplaced must not read as healthy.
#include <catch2/catch.hpp>

#include <string>

#include "cli/status.h"

using namespace syva;

namespace {

// Enforcing, agent running, containerd followed: nothing amiss.
StatusReport enforcing() {
  StatusReport r;
  r.active = true;
  r.enforcing_programs = 1;
  r.attached = {"syva_file_open"};
  r.agent_running = true;
  r.agent_state.containerd = SYVA_CONTAINERD_CONNECTED;
  return r;
}

bool has_reason(const StatusReport& r, const std::string& text) {
  for (const auto& why : r.health_reasons)
    if (why.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("status: enforcing with containerd followed is healthy", "[status]") {
  auto r = enforcing();
  judge_health(r);
  CHECK(r.health == Health::healthy);
  CHECK(r.health_reasons.empty());
  CHECK(status_exit_code(r) == 0);
}

TEST_CASE("status: a running agent not following containerd is degraded", "[status]") {
  const auto [link, reason] = GENERATE(table<uint32_t, std::string>({
      {SYVA_CONTAINERD_UNKNOWN, "containerd not linked yet"},
      {SYVA_CONTAINERD_UNREACHABLE, "containerd unreachable"},
  }));
  auto r = enforcing();
  r.agent_state.containerd = link;
  judge_health(r);
  CHECK(r.health == Health::degraded);
  CHECK(has_reason(r, reason));
  CHECK(status_exit_code(r) == 2);
}

TEST_CASE("status: no agent is degraded whatever link state it left", "[status]") {
  auto r = enforcing();
  r.agent_running = false;
  judge_health(r);
  CHECK(r.health == Health::degraded);
  CHECK(has_reason(r, "agent not running"));
  CHECK_FALSE(has_reason(r, "containerd"));
}

TEST_CASE("status: not every link pinned is unsafe", "[status]") {
  auto r = enforcing();
  r.enforcing_programs = 2;
  r.active = false;
  judge_health(r);
  CHECK(r.health == Health::unsafe);
  CHECK(status_exit_code(r) == 1);
}
