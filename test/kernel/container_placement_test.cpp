// SPDX-License-Identifier: Apache-2.0
// Membership decided by the platform, end to end: the real agent, a real
// containerd and runc, and the kernel's answer to what each container's own
// command tries first.
//   - While the agent is stopped (SIGSTOP) or not running at all, a new
//     container under a guarded root is pending from its first instruction:
//     another zone's file, process and socket are refused every time.
//   - Every claim that cannot be honoured is quarantined, said in the log and
//     in `syva status`; a container that names no zone follows --unzoned.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "enforcer/kernel_ids.h"
#include "kernel/agent_process.h"
#include "kernel/zone_fixture.h"
#include "support/files.h"
#include "support/private_containerd.h"
#include "support/shell.h"

using namespace syva::ktest;
using syva::test::PrivateContainerd;
using syva::test::read_file;
using syva::test::read_pinned_membership;
using syva::test::shell;
namespace fs = std::filesystem;

namespace {

const std::string kPin = "/sys/fs/bpf/syva-placement-test";

// database owns `dir`/owned; both zones admit the test's containerd
// namespaces matching `admit`.
void write_policies(const std::string& dir, const std::string& admit) {
  fs::create_directories(dir + "/policies");
  fs::create_directories(dir + "/owned");
  fs::create_directories(dir + "/shared");
  std::ofstream(dir + "/owned/secret") << "records\n";
  const std::string zone = fmt::format("[zone]\ncontainerd_namespaces = [\"{}\"]\n", admit);
  std::ofstream(dir + "/policies/database.toml") << zone << "[filesystem]\nhost_paths = [\"" << dir << "/owned\"]\n";
  std::ofstream(dir + "/policies/frontend.toml") << zone;
}

std::string mounts(const std::string& dir) {
  return fmt::format("--no-pivot --with-ns pid:/proc/1/ns/pid "
                     "--mount type=bind,src={0}/shared,dst=/shared,options=rbind:rw "
                     "--mount type=bind,src={0}/owned,dst=/owned,options=rbind:ro "
                     "--mount type=bind,src={1},dst=/probe,options=rbind:ro",
                     dir, zone_probe_binary());
}

// A container whose command, as its very first act, tries database's file,
// process and socket, and writes the three answers (errno, 0 = allowed).
std::string race(PrivateContainerd& cd, const std::string& ns, const std::string& dir, const std::string& id,
                 pid_t db_pid) {
  const std::string out = "/shared/" + id;
  cd.ctr(ns, fmt::format("run --rm --null-io --runc-root {}/runc --label syva.dev/zone=frontend {} {} {} "
                         "sh -c '/probe open /owned/secret; a=$?; /probe kill {}; b=$?; "
                         "/probe connect /shared/db.sock; c=$?; echo $a $b $c > {}'",
                         cd.dir(), mounts(dir), PrivateContainerd::kImage, id, db_pid, out));
  return read_file(dir + out);
}

int probe(PrivateContainerd& cd, const std::string& ns, const std::string& id, const std::string& action,
          const std::string& arg) {
  static int execs = 0;
  auto r = shell(fmt::format("ctr --address {} -n {} task exec --exec-id p{} {} /probe {} {}", cd.socket(), ns,
                             ++execs, id, action, arg));
  INFO(r.output);
  return r.exit_code;
}

std::string zone_name(uint32_t id) {
  auto r = shell(syva_binary() + " status --json --pin-path " + kPin);
  const auto status = nlohmann::json::parse(r.output);
  for (const auto& z : status["zones"])
    if (z["id"] == id) return z["name"];
  return "";
}

}  // namespace

TEST_CASE("containers started while the agent is stopped or down are confined from their first instruction",
          "[kernel][containers][placement]") {
  REQUIRE_BPF_LSM();
  if (auto why = PrivateContainerd::unavailable(); !why.empty())
    SYVA_SKIP("no containerd in this kernel test run (test/vm/run-in-vm.sh --containerd): " + why);
  const std::string dir = kScratch + "/race";
  fs::remove_all(dir);
  write_policies(dir, "syva-wt-*");
  PrivateContainerd cd("race");
  const std::string ns = cd.ns("r");
  cd.import_image(ns);
  const std::vector<std::string> args = {"--policy-dir", dir + "/policies", "--pin-path", kPin, "--containerd-sock",
                                         cd.socket(), "--guard-cgroup", ns};
  auto agent = std::make_unique<AgentProcess>(args, dir + "/agent.log");
  REQUIRE(agent->wait_for("containerd: connected"));

  cd.run_detached(ns, "db", "--label syva.dev/zone=database " + mounts(dir), "/probe listen /shared/db.sock");
  for (int i = 0; i < 100 && !fs::exists(dir + "/shared/db.sock"); ++i) usleep(100'000);
  REQUIRE(fs::exists(dir + "/shared/db.sock"));
  const pid_t db_pid = cd.task_pid(ns, "db");
  const uint64_t db = cd.cgroup_id(ns, "db");
  REQUIRE(agent->wait_for("container=db "));
  const uint32_t database = read_pinned_membership(kPin).at(db);
  INFO(agent->log());

  // Stopped: containerd's events wait in the agent's stream.
  REQUIRE(agent->signal(SIGSTOP));
  constexpr int kStarts = 100;
  int refused = 0;
  for (int i = 0; i < kStarts; ++i) {
    const std::string answers = race(cd, ns, dir, fmt::format("s{:03}", i), db_pid);
    INFO("start " << i << ": open kill connect = " << answers);
    CHECK(answers == fmt::format("{} {} {}\n", EPERM, EPERM, EPERM));
    refused += answers == fmt::format("{} {} {}\n", EPERM, EPERM, EPERM);
  }
  CHECK(refused == kStarts);
  cd.run_detached(ns, "last", "--label syva.dev/zone=frontend " + mounts(dir));
  const uint64_t last = cd.cgroup_id(ns, "last");
  CHECK(read_pinned_membership(kPin).at(last) == SYVA_ZONE_PENDING);

  // Continued: it catches up, and the map is exact: the racers' cgroups went
  // with them, the one still running is in its zone.
  REQUIRE(agent->signal(SIGCONT));
  REQUIRE(agent->wait_for("container=last "));
  const auto map = read_pinned_membership(kPin);
  CHECK(map.size() == 2);
  CHECK(map.at(db) == database);
  CHECK(zone_name(map.at(last)) == "frontend");
  CHECK(agent->log().find("CANNOT PLACE") == std::string::npos);

  // Down: no agent at all (killed, its programs and pins left as a crash
  // leaves them).
  agent->stop(SIGKILL);
  agent.reset();
  for (int i = 0; i < 10; ++i) {
    const std::string answers = race(cd, ns, dir, fmt::format("d{:03}", i), db_pid);
    INFO("start " << i << " with no agent: " << answers);
    CHECK(answers == fmt::format("{} {} {}\n", EPERM, EPERM, EPERM));
  }
  cd.run_detached(ns, "after", "--label syva.dev/zone=frontend " + mounts(dir));
  const uint64_t after = cd.cgroup_id(ns, "after");
  CHECK(read_pinned_membership(kPin).at(after) == SYVA_ZONE_PENDING);
  CHECK(probe(cd, ns, "after", "open", "/owned/secret") == EPERM);

  // The next agent adopts the pins and places what runs.
  agent = std::make_unique<AgentProcess>(args, dir + "/agent2.log");
  REQUIRE(agent->wait_for("containerd: connected"));
  CHECK(zone_name(read_pinned_membership(kPin).at(after)) == "frontend");
  CHECK(probe(cd, ns, "after", "open", "/owned/secret") == EPERM);  // frontend: still another zone's file
  CHECK(probe(cd, ns, "db", "open", "/owned/secret") == 0);
  CHECK(agent->stop(SIGTERM) == 0);
  fs::remove_all(dir);
}

TEST_CASE("every claim that cannot be honoured is quarantined, logged and degrades status; unzoned follows --unzoned",
          "[kernel][containers][placement][quarantine]") {
  REQUIRE_BPF_LSM();
  if (auto why = PrivateContainerd::unavailable(); !why.empty())
    SYVA_SKIP("no containerd in this kernel test run (test/vm/run-in-vm.sh --containerd): " + why);
  const std::string dir = kScratch + "/quarantine";
  fs::remove_all(dir);
  PrivateContainerd cd("q");
  const std::string admitted = cd.ns("in"), refused = cd.ns("out"), exempt = cd.ns("sys");
  write_policies(dir, admitted);
  for (const auto& ns : {admitted, refused, exempt}) cd.import_image(ns);
  AgentProcess agent({"--policy-dir", dir + "/policies", "--pin-path", kPin, "--containerd-sock", cd.socket(),
                      "--unzoned", "isolate", "--exempt-namespace", exempt},
                     dir + "/agent.log");
  REQUIRE(agent.wait_for("containerd: connected"));
  INFO(agent.log());

  struct Case {
    std::string ns, id, flags, reason;
  };
  const std::vector<Case> cases = {
      {refused, "refused", "--label syva.dev/zone=database", "may not join zone 'database'"},
      // ctr copies --label into the spec's annotations too, so the label that
      // disagrees is set on the running container (below).
      {admitted, "disagree", "--annotation syva.dev/zone=database",
       "its label names zone 'frontend' and its annotation zone 'database'"},
      {admitted, "invalid", "--label syva.dev/zone=Not_A_Zone", "'Not_A_Zone' is not a valid zone name"},
      {admitted, "nopolicy", "--label syva.dev/zone=payments", "no policy file defines zone 'payments'"},
  };
  for (const auto& c : cases) cd.run_detached(c.ns, c.id, c.flags + " " + mounts(dir));
  cd.ctr(admitted, "containers label disagree syva.dev/zone=frontend");
  cd.run_detached(admitted, "placed", "--label syva.dev/zone=database " + mounts(dir));
  cd.run_detached(admitted, "unnamed", mounts(dir));
  cd.run_detached(exempt, "system", mounts(dir));
  REQUIRE(agent.wait_for("container=unnamed"));
  REQUIRE(agent.wait_for("container=system"));

  const auto map = read_pinned_membership(kPin);
  for (const auto& c : cases) {
    INFO(c.id);
    CHECK(map.at(cd.cgroup_id(c.ns, c.id)) == SYVA_ZONE_QUARANTINE);
    CHECK(agent.wait_for(fmt::format("container={} namespace={}", c.id, c.ns), 5));
    const std::string log = agent.log();
    const size_t at = log.find(fmt::format("QUARANTINE: container={} ", c.id));
    REQUIRE(at != std::string::npos);
    CHECK(log.substr(at, log.find('\n', at) - at).find(c.reason) != std::string::npos);
    // Reaches nothing: not database's files.
    CHECK(probe(cd, c.ns, c.id, "open", "/owned/secret") == EPERM);
  }
  CHECK(agent.wait_for("DENY hook=file_open", 5));
  CHECK(agent.log().find("caller_zone=quarantine target_zone=database") != std::string::npos);

  // Placed where it may be: database's own file is its own.
  CHECK(probe(cd, admitted, "placed", "open", "/owned/secret") == 0);
  // --unzoned isolate: a zone of its own; exempt: not in the map at all.
  const uint32_t own = map.at(cd.cgroup_id(admitted, "unnamed"));
  CHECK(zone_name(own).starts_with("isolated-"));
  CHECK(probe(cd, admitted, "unnamed", "open", "/owned/secret") == EPERM);
  CHECK(probe(cd, admitted, "unnamed", "kill", std::to_string(cd.task_pid(admitted, "placed"))) == EPERM);
  CHECK_FALSE(map.count(cd.cgroup_id(exempt, "system")));
  CHECK(probe(cd, exempt, "system", "open", "/owned/secret") == 0);

  // Status: degraded, and says how many are quarantined.
  auto status = shell(syva_binary() + " status --json --pin-path " + kPin);
  CHECK(status.exit_code == 2);
  const auto j = nlohmann::json::parse(status.output);
  CHECK(j["quarantined"] == cases.size());
  CHECK(status.output.find("quarantine") != std::string::npos);

  CHECK(agent.stop(SIGTERM) == 0);
  fs::remove_all(dir);
}

TEST_CASE("a container its pid cannot vouch for is quarantined in the cgroup its spec names",
          "[kernel][containers][placement][quarantine]") {
  REQUIRE_BPF_LSM();
  if (auto why = PrivateContainerd::unavailable(); !why.empty())
    SYVA_SKIP("no containerd in this kernel test run (test/vm/run-in-vm.sh --containerd): " + why);
  const std::string dir = kScratch + "/unvouched";
  const std::string elsewhere = "/sys/fs/cgroup/syva-test-elsewhere", agent_root = "/sys/fs/cgroup/syva-test-agent";
  fs::remove_all(dir);
  PrivateContainerd cd("u");
  const std::string ns = cd.ns("u");
  write_policies(dir, ns);
  cd.import_image(ns);
  const std::vector<std::string> args = {"--policy-dir", dir + "/policies", "--pin-path", kPin, "--containerd-sock",
                                         cd.socket(), "--guard-cgroup", ns};
  fs::create_directories(elsewhere);
  pid_t moved_pid = -1;
  {
    // The event's pid names a process in another cgroup by the time the
    // agent reads it (as a reused pid would): that cgroup is not placed,
    // the container's own is quarantined.
    AgentProcess agent(args, dir + "/agent.log");
    REQUIRE(agent.wait_for("containerd: connected"));
    REQUIRE(agent.signal(SIGSTOP));
    cd.run_detached(ns, "moved", "--label syva.dev/zone=database " + mounts(dir), "sh -c 'sleep 600 & exec sleep 601'");
    const uint64_t own = cd.cgroup_id(ns, "moved");
    moved_pid = cd.task_pid(ns, "moved");
    std::ofstream(elsewhere + "/cgroup.procs") << moved_pid << "\n";
    REQUIRE(agent.signal(SIGCONT));
    REQUIRE(agent.wait_for("container=moved "));
    INFO(agent.log());
    const auto map = read_pinned_membership(kPin);
    CHECK(map.at(own) == SYVA_ZONE_QUARANTINE);
    CHECK_FALSE(map.count(syva::cgroup_id_of(elsewhere)));
    const std::string log = agent.log();
    const size_t at = log.find("QUARANTINE: container=moved ");
    REQUIRE(at != std::string::npos);
    CHECK(log.substr(at, log.find('\n', at) - at).find("which is not the container's") != std::string::npos);
    // Not database's, though it asked for database: database's own file is refused.
    CHECK(probe(cd, ns, "moved", "open", "/owned/secret") == EPERM);
    CHECK(agent.stop(SIGTERM) == 0);
  }
  {
    // An agent whose cgroup namespace hides the node's cgroups cannot read
    // any container's cgroup from its pid.
    AgentProcess agent(args, dir + "/agent2.log", nullptr, agent_root);
    REQUIRE(agent.wait_for("containerd: connected"));
    INFO(agent.log());
    cd.run_detached(ns, "hidden", "--label syva.dev/zone=database " + mounts(dir));
    REQUIRE(agent.wait_for("container=hidden "));
    CHECK(read_pinned_membership(kPin).at(cd.cgroup_id(ns, "hidden")) == SYVA_ZONE_QUARANTINE);
    const std::string log = agent.log();
    const size_t at = log.find("QUARANTINE: container=hidden ");
    REQUIRE(at != std::string::npos);
    CHECK(log.substr(at, log.find('\n', at) - at).find("cannot read the cgroup of its pid") != std::string::npos);
    CHECK(probe(cd, ns, "hidden", "open", "/owned/secret") == EPERM);
    CHECK(agent.wait_for("DENY hook=file_open", 5));
    CHECK(agent.log().find("caller_zone=quarantine target_zone=database") != std::string::npos);
    auto status = shell(syva_binary() + " status --json --pin-path " + kPin);
    CHECK(status.exit_code == 2);
    CHECK(nlohmann::json::parse(status.output)["quarantined"] == 2);
    CHECK(agent.stop(SIGTERM) == 0);
  }
  if (moved_pid > 0) kill(moved_pid, SIGKILL);
  for (int i = 0; i < 50 && (rmdir(elsewhere.c_str()) != 0 || rmdir(agent_root.c_str()) != 0); ++i) usleep(100'000);
  CHECK_FALSE(fs::exists(elsewhere));
  CHECK_FALSE(fs::exists(agent_root));
  fs::remove_all(dir);
}

TEST_CASE("a container whose zone cannot be made in a full zone table is quarantined",
          "[kernel][containers][placement][quarantine]") {
  REQUIRE_BPF_LSM();
  if (auto why = PrivateContainerd::unavailable(); !why.empty())
    SYVA_SKIP("no containerd in this kernel test run (test/vm/run-in-vm.sh --containerd): " + why);
  const std::string dir = kScratch + "/full";
  fs::remove_all(dir);
  PrivateContainerd cd("f");
  const std::string ns = cd.ns("f");
  write_policies(dir, ns);
  // Every id policies can have, with database and frontend.
  for (uint32_t i = 3; i < SYVA_FIRST_STATE_ZONE; ++i)
    std::ofstream(fmt::format("{}/policies/filler-{:05}.toml", dir, i)) << "[zone]\n";
  cd.import_image(ns);
  AgentProcess agent({"--policy-dir", dir + "/policies", "--pin-path", kPin, "--containerd-sock", cd.socket(),
                      "--unzoned", "isolate"},
                     dir + "/agent.log");
  REQUIRE(agent.wait_for("containerd: connected", 300));
  INFO(agent.log().substr(0, 4000));
  cd.run_detached(ns, "placed", "--label syva.dev/zone=database " + mounts(dir));
  cd.run_detached(ns, "unnamed", mounts(dir));
  REQUIRE(agent.wait_for("container=placed "));
  REQUIRE(agent.wait_for("container=unnamed "));
  const auto map = read_pinned_membership(kPin);
  CHECK(zone_name(map.at(cd.cgroup_id(ns, "placed"))) == "database");
  CHECK(map.at(cd.cgroup_id(ns, "unnamed")) == SYVA_ZONE_QUARANTINE);
  const std::string log = agent.log();
  const size_t at = log.find("QUARANTINE: container=unnamed ");
  REQUIRE(at != std::string::npos);
  CHECK(log.substr(at, log.find('\n', at) - at).find("zone table full") != std::string::npos);
  CHECK(probe(cd, ns, "unnamed", "open", "/owned/secret") == EPERM);
  CHECK(probe(cd, ns, "placed", "open", "/owned/secret") == 0);
  auto status = shell(syva_binary() + " status --pin-path " + kPin);
  CHECK(status.exit_code == 2);
  CHECK(status.output.find("1 container cgroup(s) in quarantine") != std::string::npos);
  CHECK(agent.stop(SIGTERM) == 0);
  fs::remove_all(dir);
}

TEST_CASE("with --log-format json every line is JSON and a denial names the container it came from",
          "[kernel][containers][placement][json]") {
  REQUIRE_BPF_LSM();
  if (auto why = PrivateContainerd::unavailable(); !why.empty())
    SYVA_SKIP("no containerd in this kernel test run (test/vm/run-in-vm.sh --containerd): " + why);
  const std::string dir = kScratch + "/json";
  fs::remove_all(dir);
  PrivateContainerd cd("j");
  const std::string ns = cd.ns("j");
  write_policies(dir, ns);
  cd.import_image(ns);
  AgentProcess agent({"--policy-dir", dir + "/policies", "--pin-path", kPin, "--containerd-sock", cd.socket(),
                      "--log-format", "json"},
                     dir + "/agent.log");
  REQUIRE(agent.wait_for("containerd: connected"));
  cd.run_detached(ns, "web", "--label syva.dev/zone=frontend " + mounts(dir));
  REQUIRE(agent.wait_for("container=web "));
  CHECK(probe(cd, ns, "web", "open", "/owned/secret") == EPERM);
  REQUIRE(agent.wait_for("DENY hook=file_open", 10));
  CHECK(agent.stop(SIGTERM) == 0);

  std::istringstream lines(agent.log());
  int parsed = 0, found = 0;
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    REQUIRE_FALSE(j.is_discarded());
    ++parsed;
    if (j.value("event", "") != "deny" || j.value("hook", "") != "file_open") continue;
    ++found;
    CHECK(j["caller_zone"] == "frontend");
    CHECK(j["target_zone"] == "database");
    const auto& c = j["caller_container"];
    REQUIRE(c.is_object());
    CHECK(c["id"] == "web");
    CHECK(c["namespace"] == ns);
    CHECK(c["image"] == PrivateContainerd::kImage);
    CHECK(c["pod_name"].is_null());
  }
  CHECK(parsed > 5);
  CHECK(found >= 1);
  fs::remove_all(dir);
}
