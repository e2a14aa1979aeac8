// SPDX-License-Identifier: Apache-2.0
// The containerd watcher against a real containerd (Debian's, started here on
// a private socket) and real pinned BPF maps. This host's kernel refuses
// BPF-LSM programs, so the Enforcer runs maps-only: the zone_membership map
// checked here is the real pinned one the kernel programs read.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <grpcpp/grpcpp.h>

#include "containerd/services/containers/v1/containers.grpc.pb.h"
#include "enforcer/enforcer.h"
#include "enforcer/kernel_ids.h"
#include "host/watcher_support.h"
#include "policy/compiled_policy.h"
#include "policy/policy_loader.h"
#include "support/files.h"
#include "support/private_containerd.h"
#include "support/skip.h"
#include "watcher/containerd_watcher.h"
#include "watcher/enforcer_sink.h"

extern char** environ;

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using syva::test::fast_options;
using syva::test::LogCapture;
using syva::test::pin_path;
using syva::test::PrivateContainerd;
using syva::test::read_file;
using syva::test::read_pinned_membership;
using syva::test::read_pinned_superblocks;
using syva::test::started_and_settled;
using syva::test::test_policy;
using syva::test::wait_until;

namespace {

using Map = std::map<uint64_t, uint32_t>;

// The agent's sink, observed: after each real map write it records which
// processes the cgroup held at that moment. A container's init process is
// runc's own ("runc:[2:INIT]") until the task is started and execs the
// container's command, so a write seen while only runc's init is there was
// made before the container's command ran.
class ObservedSink : public syva::MembershipSink {
 public:
  struct Write {
    uint64_t cgroup;
    uint32_t zone;
    std::string cgroup_dir;          // found by inode under the watched roots
    std::vector<std::string> comms;  // of every process in the cgroup, just after the write
  };

  ObservedSink(syva::MembershipSink& real, std::vector<std::string> roots) : real_(real), roots_(std::move(roots)) {}

  syva::ZoneSlot zone_for(const std::string& zone) override { return real_.zone_for(zone); }
  void remove_member(uint64_t cgroup) override { real_.remove_member(cgroup); }
  bool clear_pending(uint64_t cgroup) override { return real_.clear_pending(cgroup); }
  Map members() override { return real_.members(); }
  void set_superblock_owner(uint64_t dev, uint32_t zone) override { real_.set_superblock_owner(dev, zone); }
  void remove_superblock_owner(uint64_t dev) override { real_.remove_superblock_owner(dev); }
  Map superblock_owners() override { return real_.superblock_owners(); }
  syva_zone_policy zone_policy(uint32_t zone) override { return real_.zone_policy(zone); }
  void limits_failed(const std::string& why) override { real_.limits_failed(why); }
  void set_member(uint64_t cgroup, uint32_t zone) override {
    real_.set_member(cgroup, zone);
    Write w{cgroup, zone, "", {}};
    std::error_code ec;
    for (const auto& root : roots_)
      for (const auto& d : fs::directory_iterator(root, ec)) {
        struct stat st {};
        if (d.is_directory(ec) && stat(d.path().c_str(), &st) == 0 && st.st_ino == cgroup) w.cgroup_dir = d.path();
      }
    if (!w.cgroup_dir.empty()) {
      std::istringstream procs(read_file(w.cgroup_dir + "/cgroup.procs"));
      for (std::string pid; std::getline(procs, pid);) {
        std::string comm = read_file("/proc/" + pid + "/comm");
        while (!comm.empty() && comm.back() == '\n') comm.pop_back();
        w.comms.push_back(comm);
      }
    }
    std::lock_guard lock(mutex_);
    writes_.push_back(w);
  }

  std::vector<Write> writes_to(const std::string& cgroup_dir) const {
    std::lock_guard lock(mutex_);
    std::vector<Write> out;
    for (const auto& w : writes_)
      if (w.cgroup_dir == cgroup_dir) out.push_back(w);
    return out;
  }
  bool ever_wrote(uint64_t cgroup) const {
    std::lock_guard lock(mutex_);
    for (const auto& w : writes_)
      if (w.cgroup == cgroup) return true;
    return false;
  }

 private:
  syva::MembershipSink& real_;
  std::vector<std::string> roots_;
  mutable std::mutex mutex_;
  std::vector<Write> writes_;
};

// Removes pins a killed agent left, should the test fail before an
// Enforcer adopts (and so owns) them.
struct PinSweep {
  std::string pin;
  ~PinSweep() {
    std::error_code ec;
    if (!fs::exists(pin, ec)) return;
    for (const auto& e : fs::recursive_directory_iterator(pin, ec))
      if (!e.is_directory(ec)) fs::remove(e.path(), ec);
    fs::remove(pin + "/links", ec);
    fs::remove(pin, ec);
  }
};

// A second agent process (this binary, running the hidden child case).
struct AgentChild {
  pid_t pid = -1;
  AgentChild(const std::string& pin, const std::string& socket, const std::string& policy_dir, const std::string& log) {
    std::vector<std::string> env_strings = {"SYVA_WT_CHILD_PIN=" + pin, "SYVA_WT_CHILD_SOCK=" + socket,
                                            "SYVA_WT_CHILD_POLICY=" + policy_dir};
    for (char** e = environ; *e; ++e) env_strings.push_back(*e);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string self = fs::read_symlink("/proc/self/exe");
    std::string filter = "[.watcher-agent-child]";
    char* argv[] = {self.data(), filter.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid, self.c_str(), &actions, nullptr, argv, envp.data()) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  void kill() {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    pid = -1;
  }
  ~AgentChild() { kill(); }
};

}  // namespace

TEST_CASE("zoned containers enter the pinned map before their command runs and leave it when they end",
          "[watcher][containerd]") {
  if (auto why = PrivateContainerd::unavailable(); !why.empty()) SYVA_SKIP(why);
  LogCapture logs;
  PrivateContainerd cd("order");
  const std::string a = cd.ns("a"), b = cd.ns("b");
  cd.import_image(a);
  cd.import_image(b);

  syva::Enforcer enforcer(syva::EnforcerOptions{pin_path("order"), false});
  enforcer.apply_policy(test_policy(cd.dir() + "/policies"));
  const uint32_t frontend = enforcer.zone_id("frontend"), database = enforcer.zone_id("database");
  REQUIRE(frontend != 0);
  REQUIRE(database != 0);
  syva::EnforcerSink real(enforcer);
  const std::string cg2 = syva::cgroup2_mount();
  ObservedSink sink(real, {cg2 + "/" + a, cg2 + "/" + b});
  syva::ContainerdWatcher watcher(fast_options(cd), sink);
  REQUIRE(started_and_settled(watcher));

  // Two namespaces: the one subscription must see both.
  cd.run_detached(a, "front", "--label syva.dev/zone=frontend");
  cd.run_detached(b, "db", "--annotation syva.dev/zone=database");
  cd.run_detached(b, "pay", "--label syva.dev/zone=payments");  // no payments.toml: quarantined
  cd.run_detached(a, "plain", "");
  const uint64_t front = cd.cgroup_id(a, "front"), db = cd.cgroup_id(b, "db"), pay = cd.cgroup_id(b, "pay"),
                 plain = cd.cgroup_id(a, "plain");
  const uint32_t payments = SYVA_ZONE_QUARANTINE;

  INFO("pinned map: " << fmt::format("{}", read_pinned_membership(pin_path("order"))));
  // ctr returns once the task is started: the entries must be there already.
  Map pinned = read_pinned_membership(pin_path("order"));
  CHECK(pinned.count(front));
  CHECK(pinned.count(db));
  CHECK(pinned.count(pay));
  REQUIRE(wait_until([&] { return read_pinned_membership(pin_path("order")).size() == 3; }, 5s));
  pinned = read_pinned_membership(pin_path("order"));
  CHECK(pinned[front] == frontend);
  CHECK(pinned[db] == database);
  CHECK(enforcer.zone_id("payments") == 0);
  CHECK(pinned[pay] == payments);
  CHECK_FALSE(pinned.count(plain));
  CHECK_FALSE(sink.ever_wrote(plain));

  // Before the command: at the write, the cgroup held only runc's init.
  for (const auto& [ns, id] : std::vector<std::pair<std::string, std::string>>{{a, "front"}, {b, "db"}, {b, "pay"}}) {
    auto writes = sink.writes_to(cd.cgroup_dir(ns, id));
    INFO(id);
    REQUIRE(writes.size() == 1);
    INFO("processes at the write: " << fmt::format("{}", writes[0].comms));
    REQUIRE_FALSE(writes[0].comms.empty());
    for (const auto& comm : writes[0].comms) CHECK(comm.starts_with("runc:"));
  }
  // After start, the command runs in that same cgroup.
  CHECK(read_file(fmt::format("/proc/{}/comm", cd.task_pid(a, "front"))) == "sleep\n");

  // [resources]: database's pids.max lands on its container's cgroup where
  // the pids controller serves cgroup2; where it does not (this hybrid host
  // keeps controllers on v1), the failure is logged and counted for status.
  const std::string controllers = read_file(cg2 + "/cgroup.controllers");
  if (controllers.find("pids") != std::string::npos) {
    CHECK(read_file(cd.cgroup_dir(b, "db") + "/pids.max") == "64\n");
    CHECK(logs.count({"resources: container=db", "pids.max=64"}) == 1);
  } else {
    CHECK(logs.count({"resources: container db", "NOT APPLIED", "pids.max = 64"}) == 1);
    CHECK(enforcer.state().limit_failures >= 1);
  }

  // Each overlay rootfs is owned whole by its container's zone, keyed by the
  // superblock device the kernel programs read.
  auto rootfs_dev = [&](const std::string& ns, const std::string& id) {
    struct stat st {};
    REQUIRE(stat(fmt::format("/proc/{}/root/", cd.task_pid(ns, id)).c_str(), &st) == 0);
    return syva::kernel_dev(st.st_dev);
  };
  const uint64_t front_fs = rootfs_dev(a, "front"), db_fs = rootfs_dev(b, "db"), pay_fs = rootfs_dev(b, "pay");
  // Quarantine owns nothing.
  CHECK(read_pinned_superblocks(pin_path("order")) == Map{{front_fs, frontend}, {db_fs, database}});
  CHECK(pay_fs != 0);

  // Said once each, structured, with the event-to-write latency.
  CHECK(logs.count({"membership +:", "container=front", "namespace=" + a, "zone=frontend",
                    fmt::format("cgroup={}", front), "source=label", "latency_ms="}) == 1);
  CHECK(logs.count({"membership +:", "container=db", "namespace=" + b, "zone=database", "source=annotation"}) == 1);
  CHECK(logs.count({"membership +:", "container=front", "rootfs=\"overlay dev="}) == 1);
  CHECK(logs.count({"QUARANTINE:", "container=pay", "no policy file defines zone 'payments'"}) == 1);
  CHECK(logs.count({"membership", "container=plain"}) == 0);
  CHECK(logs.count({"container=plain", "not enforced: names no zone (--unzoned unenforced)"}) == 1);

  // Leaving: a removed container, and one that runs to its end with --rm.
  cd.remove(a, "front");
  CHECK(wait_until([&] { return !read_pinned_membership(pin_path("order")).count(front); }, 5s));
  // It goes when its process ends (the kill before the delete).
  CHECK(logs.count({"membership -:", "container=front", "reason=\"task exited\""}) == 1);
  cd.ctr(b, fmt::format("run --rm --null-io --runc-root {}/runc --label syva.dev/zone=database {} brief true", cd.dir(),
                        PrivateContainerd::kImage));
  auto brief = sink.writes_to(cd.cgroup_dir(b, "brief"));
  REQUIRE(brief.size() == 1);
  CHECK(brief[0].zone == database);
  CHECK(wait_until([&] { return !read_pinned_membership(pin_path("order")).count(brief[0].cgroup); }, 5s));
  CHECK(read_pinned_membership(pin_path("order")) == Map{{db, database}, {pay, payments}});
  CHECK(read_pinned_superblocks(pin_path("order")) == Map{{db_fs, database}});
  // Said once each, whatever else the stream carried about them.
  CHECK(logs.count({"QUARANTINE:", "container=pay"}) == 1);
  CHECK(logs.count({"membership +:", "container=db"}) == 1);
  watcher.stop();
}

TEST_CASE("a Kubernetes pod's annotation zones its containers through the CRI sandbox record",
          "[watcher][containerd][cri]") {
  if (auto why = PrivateContainerd::unavailable(); !why.empty()) SYVA_SKIP(why);
  LogCapture logs;
  PrivateContainerd cd("pod");
  const std::string k8s = cd.ns("k8s");
  cd.import_image(k8s);

  // The sandbox record as containerd 1.6's CRI plugin writes it (the CRI
  // plugin itself needs CNI and kubelet, so the record is created through
  // the same containers API it uses). Its pod carries the zone annotation.
  const std::string sandbox_id = "5f0b1d2e3c4a";
  {
    auto channel = grpc::CreateChannel("unix:" + cd.socket(), grpc::InsecureChannelCredentials());
    auto stub = containerd::services::containers::v1::Containers::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.AddMetadata("containerd-namespace", k8s);
    containerd::services::containers::v1::CreateContainerRequest req;
    auto* c = req.mutable_container();
    c->set_id(sandbox_id);
    (*c->mutable_labels())["io.cri-containerd.kind"] = "sandbox";
    c->mutable_runtime()->set_name("io.containerd.runc.v2");
    c->mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Spec");
    c->mutable_spec()->set_value(
        R"({"ociVersion":"1.0.2-dev","annotations":{"io.kubernetes.cri.container-type":"sandbox",)"
        R"("io.kubernetes.cri.sandbox-id":")" +
        sandbox_id + R"(","io.kubernetes.cri.sandbox-name":"web-0"}})");
    auto& ext = (*c->mutable_extensions())["io.cri-containerd.sandbox.metadata"];
    ext.set_type_url("github.com/containerd/cri/pkg/store/sandbox/Metadata");
    ext.set_value(R"({"Version":"v1","Metadata":{"ID":")" + sandbox_id +
                  R"(","Name":"web-0_shop_6c1f2d3e_0","Config":{"metadata":{"name":"web-0","uid":"6c1f2d3e",)"
                  R"("namespace":"shop"},"hostname":"web-0","labels":{"app":"web"},"annotations":)"
                  R"({"kubernetes.io/config.source":"api","syva.dev/zone":"frontend"},"linux":{}},)"
                  R"("NetNSPath":"","IP":"10.244.0.12","AdditionalIPs":null,"RuntimeHandler":"","CNIResult":null,)"
                  R"("ProcessLabel":""}})");
    containerd::services::containers::v1::CreateContainerResponse resp;
    auto status = stub->Create(&ctx, req, &resp);
    REQUIRE(status.ok());
    // containerd stored the extension as given: what the watcher reads back.
    CHECK(resp.container().extensions().at("io.cri-containerd.sandbox.metadata").value().find("syva.dev/zone") !=
          std::string::npos);
  }

  syva::Enforcer enforcer(syva::EnforcerOptions{pin_path("pod"), false});
  enforcer.apply_policy(test_policy(cd.dir() + "/policies"));
  syva::EnforcerSink sink(enforcer);
  syva::ContainerdWatcher watcher(fast_options(cd), sink);
  REQUIRE(started_and_settled(watcher));

  // An application container of the pod, pointing at its sandbox as the CRI
  // plugin's spec annotation does; and a container claiming to be a sandbox
  // itself without the pod record a sandbox has: its claim cannot be
  // trusted, so it is quarantined.
  cd.run_detached(k8s, "app",
                  fmt::format("--annotation io.kubernetes.cri.sandbox-id={} --annotation "
                              "io.kubernetes.cri.container-type=container --label io.kubernetes.pod.name=web-0 "
                              "--label io.kubernetes.pod.namespace=shop",
                              sandbox_id));
  cd.run_detached(
      k8s, "pause",
      fmt::format("--label io.cri-containerd.kind=sandbox --annotation io.kubernetes.cri.sandbox-id={}", sandbox_id));
  const uint64_t app = cd.cgroup_id(k8s, "app"), pause = cd.cgroup_id(k8s, "pause");
  REQUIRE(wait_until([&] { return read_pinned_membership(pin_path("pod")).count(app); }, 5s));
  REQUIRE(wait_until([&] { return read_pinned_membership(pin_path("pod")).count(pause); }, 5s));
  CHECK(read_pinned_membership(pin_path("pod")) ==
        Map{{app, enforcer.zone_id("frontend")}, {pause, SYVA_ZONE_QUARANTINE}});
  CHECK(logs.count({"membership +:", "container=app", "pod=shop/web-0", "zone=frontend", "source=pod"}) == 1);
  CHECK(logs.count({"QUARANTINE:", "container=pause", "no pod record"}) == 1);

  // A label on a Kubernetes container (the CRI plugin copies the image's
  // LABELs there) is never trusted: the pod's zone stays.
  cd.ctr(k8s, "containers label app syva.dev/zone=database");
  std::this_thread::sleep_for(500ms);
  CHECK(read_pinned_membership(pin_path("pod")).at(app) == enforcer.zone_id("frontend"));
  CHECK(logs.count({"membership ~:", "container=app"}) == 0);
  watcher.stop();
}

TEST_CASE("containerd killed and restarted: what is known stays enforced, and the map is exact after reconnect",
          "[watcher][containerd]") {
  if (auto why = PrivateContainerd::unavailable(); !why.empty()) SYVA_SKIP(why);
  LogCapture logs;
  PrivateContainerd cd("restart");
  const std::string ns = cd.ns("x");
  cd.import_image(ns);
  syva::Enforcer enforcer(syva::EnforcerOptions{pin_path("restart"), false});
  enforcer.apply_policy(test_policy(cd.dir() + "/policies"));
  const uint32_t frontend = enforcer.zone_id("frontend"), database = enforcer.zone_id("database");
  syva::EnforcerSink sink(enforcer);
  syva::ContainerdWatcher watcher(fast_options(cd), sink);
  REQUIRE(started_and_settled(watcher));

  cd.run_detached(ns, "keeps", "--label syva.dev/zone=frontend");
  cd.run_detached(ns, "dies", "--label syva.dev/zone=database");
  const uint64_t keeps = cd.cgroup_id(ns, "keeps"), dies = cd.cgroup_id(ns, "dies");
  REQUIRE(wait_until([&] { return read_pinned_membership(pin_path("restart")).size() == 2; }, 5s));
  const pid_t dies_pid = cd.task_pid(ns, "dies");

  cd.kill();
  REQUIRE(wait_until([&] { return logs.count({"containerd: connection to", "lost"}) == 1; }, 5s));
  // While containerd is away a container dies: no event can say so.
  ::kill(dies_pid, SIGKILL);
  std::this_thread::sleep_for(1500ms);  // several reconnect attempts
  CHECK(read_pinned_membership(pin_path("restart")) == Map{{keeps, frontend}, {dies, database}});
  CHECK(logs.count({"containerd: connection to", "lost"}) == 1);
  CHECK(logs.count({"not reachable"}) == 0);

  cd.start();
  REQUIRE(wait_until([&] { return watcher.connections() >= 2; }));
  CHECK(logs.count({"containerd: reconnected"}) == 1);
  CHECK(read_pinned_membership(pin_path("restart")) == Map{{keeps, frontend}});
  CHECK(logs.count({"membership -:", "container=dies", "reconcile: no longer running"}) == 1);

  // And events flow again on the new connection.
  cd.run_detached(ns, "after", "--annotation syva.dev/zone=database");
  const uint64_t after = cd.cgroup_id(ns, "after");
  cd.remove(ns, "keeps");
  CHECK(wait_until([&] { return read_pinned_membership(pin_path("restart")) == Map{{after, database}}; }, 5s));
  watcher.stop();
}

TEST_CASE("a watcher started while containerd is away catches up with what changed while none watched",
          "[watcher][containerd]") {
  if (auto why = PrivateContainerd::unavailable(); !why.empty()) SYVA_SKIP(why);
  LogCapture logs;
  PrivateContainerd cd("catchup");
  const std::string ns = cd.ns("x");
  cd.import_image(ns);
  syva::Enforcer enforcer(syva::EnforcerOptions{pin_path("catchup"), false});
  enforcer.apply_policy(test_policy(cd.dir() + "/policies"));
  const uint32_t frontend = enforcer.zone_id("frontend"), database = enforcer.zone_id("database");
  syva::EnforcerSink sink(enforcer);
  {
    syva::ContainerdWatcher first(fast_options(cd), sink);
    REQUIRE(started_and_settled(first));
    cd.run_detached(ns, "gone", "--label syva.dev/zone=frontend");
    cd.run_detached(ns, "stays", "--label syva.dev/zone=database");
    REQUIRE(wait_until([&] { return read_pinned_membership(pin_path("catchup")).size() == 2; }, 5s));
  }
  const uint64_t gone = cd.cgroup_id(ns, "gone"), stays = cd.cgroup_id(ns, "stays");

  // Nobody watches: one container goes, one comes, and an entry no
  // container accounts for is in the map.
  cd.remove(ns, "gone");
  cd.run_detached(ns, "new", "--label syva.dev/zone=frontend");
  const uint64_t fresh = cd.cgroup_id(ns, "new");
  enforcer.set_member(4242, frontend);
  cd.kill();

  auto options = fast_options(cd);
  options.resync = 300ms;
  syva::ContainerdWatcher second(options, sink);
  second.start();
  REQUIRE(wait_until([&] { return logs.count({"is not reachable"}) == 1; }, 5s));
  std::this_thread::sleep_for(800ms);
  CHECK(logs.count({"is not reachable"}) == 1);
  // Nothing is dropped while containerd cannot be asked.
  CHECK(read_pinned_membership(pin_path("catchup")) == Map{{gone, frontend}, {stays, database}, {4242, frontend}});

  cd.start();
  REQUIRE(wait_until([&] { return second.connections() >= 1; }));
  CHECK(read_pinned_membership(pin_path("catchup")) == Map{{stays, database}, {fresh, frontend}});
  CHECK(logs.count({"containerd: connected to"}) == 2);

  // An entry no event explains (as if containerd lost one) goes at the next
  // resync, and the watcher reports the correction.
  enforcer.set_member(4343, database);
  CHECK(wait_until([&] { return !read_pinned_membership(pin_path("catchup")).count(4343); }, 3s));
  CHECK(logs.count({"resync corrected the map (+0 -1)"}) >= 1);
  CHECK(read_pinned_membership(pin_path("catchup")) == Map{{stays, database}, {fresh, frontend}});
  second.stop();
}

TEST_CASE("an agent killed and restarted re-adopts the pins and the running containers", "[watcher][containerd]") {
  if (auto why = PrivateContainerd::unavailable(); !why.empty()) SYVA_SKIP(why);
  LogCapture logs;
  PrivateContainerd cd("adopt");
  const std::string ns = cd.ns("x");
  cd.import_image(ns);
  const std::string pin = pin_path("adopt"), policies = cd.dir() + "/policies";
  PinSweep sweep{pin};
  test_policy(policies);

  cd.run_detached(ns, "before", "--label syva.dev/zone=frontend");
  const uint64_t before = cd.cgroup_id(ns, "before");
  AgentChild agent(pin, cd.socket(), policies, cd.dir() + "/agent-child.log");
  REQUIRE(agent.pid > 0);
  INFO("child agent log:\n" << read_file(cd.dir() + "/agent-child.log"));
  REQUIRE(wait_until([&] {
    try {
      return read_pinned_membership(pin).count(before) == 1;
    } catch (const std::exception&) {
      return false;
    }
  }));
  cd.run_detached(ns, "during", "--label syva.dev/zone=database");
  const uint64_t during = cd.cgroup_id(ns, "during");
  REQUIRE(wait_until([&] { return read_pinned_membership(pin).count(during) == 1; }, 5s));
  const Map at_crash = read_pinned_membership(pin);

  agent.kill();  // no destructor runs: the pins stay, as after a crash
  REQUIRE(fs::exists(pin + "/zone_membership"));
  cd.remove(ns, "before");
  cd.run_detached(ns, "later", "--label syva.dev/zone=frontend");
  const uint64_t later = cd.cgroup_id(ns, "later");

  syva::Enforcer enforcer(syva::EnforcerOptions{pin, false});
  CHECK(enforcer.members() == at_crash);  // re-adopted as the dead agent left them
  enforcer.apply_policy(test_policy(policies));
  syva::EnforcerSink sink(enforcer);
  syva::ContainerdWatcher watcher(fast_options(cd), sink);
  REQUIRE(started_and_settled(watcher));
  CHECK(read_pinned_membership(pin) ==
        Map{{during, enforcer.zone_id("database")}, {later, enforcer.zone_id("frontend")}});
  CHECK(at_crash.at(during) == enforcer.zone_id("database"));
  watcher.stop();
}

// The agent process the test above kills: maps-only Enforcer, policy,
// watcher, then it waits to be killed. Hidden: runs only when asked for.
TEST_CASE("agent child for the re-adoption test", "[.watcher-agent-child]") {
  const char* pin = getenv("SYVA_WT_CHILD_PIN");
  const char* sock = getenv("SYVA_WT_CHILD_SOCK");
  const char* policy = getenv("SYVA_WT_CHILD_POLICY");
  if (!pin || !sock || !policy) return;
  syva::Enforcer enforcer(syva::EnforcerOptions{pin, false});
  const auto compiled = syva::compile_policy(syva::load_policy_dir(policy));
  enforcer.apply_policy(compiled);
  syva::EnforcerSink sink(enforcer);
  syva::WatcherOptions options;
  options.socket = sock;
  options.admission = compiled.admission;
  options.backoff_first = 50ms;
  options.backoff_max = 400ms;
  syva::ContainerdWatcher watcher(options, sink);
  watcher.start();
  for (;;) pause();
}

TEST_CASE("a container whose command exits leaves the map, unless it left processes running in its cgroup",
          "[watcher][containerd]") {
  if (auto why = PrivateContainerd::unavailable(); !why.empty()) SYVA_SKIP(why);
  LogCapture logs;
  PrivateContainerd cd("exit");
  const std::string ns = cd.ns("x");
  cd.import_image(ns);
  syva::Enforcer enforcer(syva::EnforcerOptions{pin_path("exit"), false});
  enforcer.apply_policy(test_policy(cd.dir() + "/policies"));
  const uint32_t frontend = enforcer.zone_id("frontend");
  syva::EnforcerSink sink(enforcer);
  syva::ContainerdWatcher watcher(fast_options(cd), sink);
  REQUIRE(started_and_settled(watcher));
  auto stopped = [&](const std::string& id) {
    auto tasks = cd.tasks(ns);
    return tasks.count(id) && tasks.at(id).status == "STOPPED";
  };

  // Its own PID namespace: the command's end ends everything in it.
  cd.run_detached(ns, "done", "--label syva.dev/zone=frontend", "sh -c 'sleep 1'");
  const uint64_t done = cd.cgroup_id(ns, "done");
  REQUIRE(read_pinned_membership(pin_path("exit")).count(done));
  REQUIRE(wait_until([&] { return stopped("done"); }));
  CHECK(wait_until([&] { return !read_pinned_membership(pin_path("exit")).count(done); }, 5s));
  CHECK(logs.count({"membership -:", "container=done", "reason=\"task exited\""}) == 1);

  // A process from outside the container's PID namespace in its cgroup
  // (as one moved in by another tool would be) outlives the command: the
  // cgroup stays zoned until the task is deleted, across a reconnect's
  // reconcile too.
  cd.run_detached(ns, "leaves", "--label syva.dev/zone=frontend", "sh -c 'sleep 2'");
  const uint64_t leaves = cd.cgroup_id(ns, "leaves");
  const std::string leaves_dir = cd.cgroup_dir(ns, "leaves");
  const pid_t left = fork();
  if (left == 0) {
    std::ofstream(leaves_dir + "/cgroup.procs") << getpid() << std::endl;
    for (;;) pause();
  }
  REQUIRE(left > 0);
  REQUIRE(
      wait_until([&] { return read_file(fmt::format("/proc/{}/cgroup", left)).find("/leaves") != std::string::npos; }));
  REQUIRE(wait_until([&] { return stopped("leaves"); }));
  CHECK(wait_until([&] { return logs.count({"membership =:", "container=leaves", "still holds processes"}) == 1; }));
  CHECK(read_pinned_membership(pin_path("exit")) == Map{{leaves, frontend}});
  cd.kill();
  cd.start();
  REQUIRE(wait_until([&] { return watcher.connections() >= 2; }));
  CHECK(read_pinned_membership(pin_path("exit")) == Map{{leaves, frontend}});
  ::kill(left, SIGKILL);
  waitpid(left, nullptr, 0);
  cd.remove(ns, "leaves");
  CHECK(wait_until([&] { return read_pinned_membership(pin_path("exit")).empty(); }, 5s));
  watcher.stop();
}
