// SPDX-License-Identifier: Apache-2.0
// End to end, the strongest proof: the real agent, a real containerd and
// runc, real containers in zones, each attempt made from inside a container
// and answered by the kernel. The attacker runs in the node's PID namespace
// (as a hostPID pod would), so every other container's processes are in
// plain sight: only Syva stands in the way.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "kernel/agent_process.h"
#include "kernel/zone_fixture.h"
#include "support/files.h"
#include "support/private_containerd.h"
#include "support/shell.h"

using namespace syva::ktest;
using syva::test::PrivateContainerd;
using syva::test::read_file;
using syva::test::shell;
namespace fs = std::filesystem;

namespace {

const std::string kPin = "/sys/fs/bpf/syva-containers-test";

class Containers {
 public:
  Containers(PrivateContainerd& cd, std::string ns, std::string shared)
      : cd_(cd), ns_(std::move(ns)), shared_(std::move(shared)) {}

  // Every container shares /shared (for the Unix socket), carries the probe
  // at /probe, and sees the node's processes. --no-pivot: the test VM's root
  // is the initramfs, which pivot_root refuses; runc then moves the rootfs
  // mount and chroots instead.
  void run(const std::string& id, const std::string& zone_flag, const std::string& command = "sleep 300") {
    const std::string probe = zone_probe_binary();
    cd_.run_detached(ns_, id,
                     fmt::format("{} --no-pivot --with-ns pid:/proc/1/ns/pid "
                                 "--mount type=bind,src={},dst=/shared,options=rbind:rw "
                                 "--mount type=bind,src={},dst=/probe,options=rbind:ro",
                                 zone_flag, shared_, probe),
                     command);
  }
  // The kernel's answer to one action from inside container `id`: 0 or errno.
  int probe(const std::string& id, const std::string& action, const std::string& arg) {
    auto r = shell(fmt::format("ctr --address {} -n {} task exec --exec-id p{} {} /probe {} {}", cd_.socket(), ns_,
                               ++execs_, id, action, arg));
    INFO(r.output);
    return r.exit_code;
  }

 private:
  PrivateContainerd& cd_;
  std::string ns_;
  std::string shared_;
  int execs_ = 0;
};

}  // namespace

TEST_CASE("containers: frontend is denied the database container's files, process and socket; "
          "same zone and allowed pairs are not",
          "[kernel][containers]") {
  REQUIRE_BPF_LSM();
  if (auto why = PrivateContainerd::unavailable(); !why.empty())
    SYVA_SKIP("no containerd in this kernel test run (test/vm/run-in-vm.sh --containerd): " + why);

  const std::string dir = kScratch + "/containers";
  fs::remove_all(dir);
  fs::create_directories(dir + "/policies");
  fs::create_directories(dir + "/shared");
  // database and monitoring list each other; frontend lists nobody. Each
  // admits the test's containerd namespaces.
  const std::string admit = "[zone]\ncontainerd_namespaces = [\"syva-wt-*\"]\n";
  std::ofstream(dir + "/policies/database.toml")
      << admit << "[network]\nallowed_zones = [\"monitoring\"]\n"
      << "[resources]\ncpu_shares = 512\nmemory_limit = 67108864\npids_max = 64\n";
  std::ofstream(dir + "/policies/monitoring.toml") << admit << "[network]\nallowed_zones = [\"database\"]\n";
  std::ofstream(dir + "/policies/frontend.toml") << admit << "[network]\nmode = \"bridged\"\n";

  PrivateContainerd cd("e2e");
  const std::string ns = cd.ns("k8s");
  cd.import_image(ns);
  AgentProcess agent({"--policy-dir", dir + "/policies", "--pin-path", kPin, "--containerd-sock", cd.socket()},
                     dir + "/agent.log");
  REQUIRE(agent.wait_for("containerd: connected"));

  Containers c(cd, ns, dir + "/shared");
  c.run("db", "--label syva.dev/zone=database", "sh -c 'echo records >/secret; exec /probe listen /shared/db.sock'");
  c.run("db2", "--label syva.dev/zone=database");
  c.run("web", "--label syva.dev/zone=frontend");
  c.run("mon", "--annotation syva.dev/zone=monitoring");
  for (int i = 0; i < 100 && !fs::exists(dir + "/shared/db.sock"); ++i) usleep(100'000);
  REQUIRE(fs::exists(dir + "/shared/db.sock"));
  const std::string db_pid = std::to_string(cd.task_pid(ns, "db"));
  const std::string db_file = "/proc/" + db_pid + "/root/secret";
  INFO(agent.log());

  // frontend -> database: every way in is refused by the kernel. Following
  // /proc/PID/root needs ptrace read access, which proc reports as EACCES.
  CHECK(c.probe("web", "open", db_file) == EACCES);
  CHECK(c.probe("web", "kill", db_pid) == EPERM);
  CHECK(c.probe("web", "ptrace", db_pid) == EPERM);
  CHECK(c.probe("web", "connect", "/shared/db.sock") == EPERM);

  // database -> database: the same zone.
  CHECK(c.probe("db2", "open", db_file) == 0);
  CHECK(c.probe("db2", "kill", db_pid) == 0);
  CHECK(c.probe("db2", "ptrace", db_pid) == 0);
  CHECK(c.probe("db2", "connect", "/shared/db.sock") == 0);

  // monitoring -> database: both list each other.
  CHECK(c.probe("mon", "open", db_file) == 0);
  CHECK(c.probe("mon", "kill", db_pid) == 0);
  CHECK(c.probe("mon", "connect", "/shared/db.sock") == 0);

  // [resources] landed on the database containers' cgroups as cgroup v2
  // values (cpu.weight from shares as runc converts them).
  for (const char* id : {"db", "db2"}) {
    INFO(id);
    CHECK(read_file(cd.cgroup_dir(ns, id) + "/cpu.weight") == "20\n");
    CHECK(read_file(cd.cgroup_dir(ns, id) + "/memory.max") == "67108864\n");
    CHECK(read_file(cd.cgroup_dir(ns, id) + "/pids.max") == "64\n");
  }
  CHECK(read_file(cd.cgroup_dir(ns, "web") + "/pids.max") == "max\n");  // frontend sets none

  // A reload that changes them reaches the running containers.
  {
    std::ofstream(dir + "/database.toml.new")
        << admit << "[network]\nallowed_zones = [\"monitoring\"]\n"
        << "[resources]\ncpu_shares = 512\nmemory_limit = 67108864\npids_max = 32\n";
    fs::rename(dir + "/database.toml.new", dir + "/policies/database.toml");
    REQUIRE(agent.wait_for("policy reloaded"));
    for (const char* id : {"db", "db2"}) {
      INFO(id);
      bool applied = false;
      for (int i = 0; i < 50 && !applied; ++i, usleep(100'000))
        applied = read_file(cd.cgroup_dir(ns, id) + "/pids.max") == "32\n";
      CHECK(applied);
      CHECK(read_file(cd.cgroup_dir(ns, id) + "/memory.max") == "67108864\n");
    }
    CHECK(read_file(cd.cgroup_dir(ns, "web") + "/pids.max") == "max\n");
  }

  // The node itself is not a zone and is not enforced.
  CHECK(std::ifstream(db_file).good());

  // Each denial logged once with both zone names.
  for (const char* hook : {"ptrace_access_check", "task_kill", "unix_stream_connect"})
    CHECK(agent.wait_for(fmt::format("DENY hook={}", hook), 5));
  const std::string log = agent.log();
  size_t denials = 0;
  for (size_t at = log.find("DENY hook="); at != std::string::npos; at = log.find("DENY hook=", at + 1)) {
    const std::string line = log.substr(at, log.find('\n', at) - at);
    INFO(line);
    CHECK(line.find("caller_zone=frontend target_zone=database") != std::string::npos);
    ++denials;
  }
  // open (its ptrace check), kill, ptrace attach, connect.
  CHECK(denials == 4);

  CHECK(agent.stop(SIGTERM) == 0);
  fs::remove_all(dir);
}
