// SPDX-License-Identifier: Apache-2.0
// A Kubernetes pod as the kubelet makes it: RunPodSandbox, CreateContainer
// and StartContainer through containerd's own CRI plugin. The zone is only
// in the pod's annotations, which containerd keeps in the sandbox's record,
// not on the container: the agent must follow the container to its sandbox.
// The kernel, asked from inside the container, has the last word.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>

#include <fmt/format.h>

#include "enforcer/kernel_ids.h"
#include "kernel/agent_process.h"
#include "kernel/zone_fixture.h"
#include "support/cri_client.h"
#include "support/files.h"
#include "support/private_containerd.h"
#include "syva_abi.h"
#include "watcher/cgroup_path.h"

using namespace syva::ktest;
using syva::test::ContainerSpec;
using syva::test::CriClient;
using syva::test::PrivateContainerd;
namespace fs = std::filesystem;

namespace {

const std::string kPin = "/sys/fs/bpf/syva-cri-test";

// The agent's log line that starts with `prefix`, or "".
std::string log_line(const std::string& log, const std::string& prefix) {
  const auto at = log.find(prefix);
  return at == std::string::npos ? "" : log.substr(at, log.find('\n', at) - at);
}

// Polls: the agent applies containerd's events on its own thread.
bool eventually(const std::function<bool()>& done, int seconds = 30) {
  for (int i = 0; i < seconds * 10; ++i, usleep(100'000))
    if (done()) return true;
  return done();
}

}  // namespace

TEST_CASE("cri: a pod annotated syva.dev/zone=database, run through containerd's CRI plugin, is in zone database",
          "[kernel][cri]") {
  REQUIRE_BPF_LSM();
  if (auto why = PrivateContainerd::unavailable({.cri = true}); !why.empty())
    SYVA_SKIP("no containerd with its CRI plugin in this kernel test run (test/vm/run-in-vm.sh --containerd): " + why);

  const std::string dir = kScratch + "/cri";
  fs::remove_all(dir);
  fs::create_directories(dir + "/policies");
  // Each zone owns a node directory: what the container may open tells
  // which zone the kernel puts it in, not only that it is in one.
  for (const char* zone : {"database", "frontend"}) {
    fs::create_directories(fmt::format("{}/{}-owned", dir, zone));
    std::ofstream(fmt::format("{}/{}-owned/secret", dir, zone)) << zone << "\n";
    // database admits pods of "db" and "db-*"; frontend those of "web".
    const std::string admitted = std::string(zone) == "database" ? R"(["db", "db-*"])" : R"(["web"])";
    std::ofstream(fmt::format("{}/policies/{}.toml", dir, zone))
        << fmt::format("[zone]\nnamespaces = {}\n[filesystem]\nhost_paths = [\"{}/{}-owned\"]\n", admitted, dir,
                       zone);
  }

  std::string pods_cgroup;
  {
    PrivateContainerd cd("cri", {.cri = true});
    pods_cgroup = syva::cgroup2_mount() + cd.cri_cgroup_parent();
    cd.import_cri_images();
    // As the DaemonSet runs it: pods that name no zone get one of their own,
    // kube-system is exempt, and the pods' cgroup parent is guarded.
    AgentProcess agent({"--policy-dir", dir + "/policies", "--pin-path", kPin, "--containerd-sock", cd.socket(),
                        "--unzoned", "isolate", "--exempt-namespace", "kube-system", "--guard-cgroup",
                        cd.cri_cgroup_parent().substr(1)},
                       dir + "/agent.log");
    REQUIRE(agent.wait_for("containerd: connected"));

    CriClient cri(cd.socket(), cd.cri_cgroup_parent(), dir + "/pods");
    INFO("CRI runtime " << cri.version().runtime_name() << " " << cri.version().runtime_version());
    cri.wait_for_image(PrivateContainerd::kImage);
    cri.wait_for_image(PrivateContainerd::kPauseImage);

    const std::string pod = cri.run_pod("postgres-0", "db", {{"syva.dev/zone", "database"}}, {{"app", "postgres"}});
    const std::string id = cri.create_container(pod, ContainerSpec{.name = "postgres",
                                                                   .command = {"sleep", "300"},
                                                                   .mounts = {{zone_probe_binary(), "/probe"},
                                                                              {dir + "/database-owned", "/database"},
                                                                              {dir + "/frontend-owned", "/frontend"}}});
    cri.start_container(id);
    INFO("pod " << pod << ", container " << id);

    // The agent's word: the container, found through its sandbox's annotations.
    REQUIRE(agent.wait_for("membership +: container=" + id));
    INFO(agent.log());
    const std::string added = log_line(agent.log(), "membership +: container=" + id);
    CHECK(added.find(" namespace=k8s.io pod=db/postgres-0 zone=database ") != std::string::npos);
    CHECK(added.find(" source=pod") != std::string::npos);

    // The container's cgroup is the one CRI asked runc for, and the pinned map
    // has it in the zone id the agent logged.
    const pid_t pid = cri.container_pid(id);
    const auto cgroup = syva::cgroup_of_pid(pid, syva::cgroup2_mount());
    CHECK(cgroup.path == cri.pod_cgroup(pod) + "/" + id);
    std::smatch zone_id;
    REQUIRE(std::regex_search(added, zone_id, std::regex(" zone_id=([0-9]+) ")));
    const auto members = syva::test::read_pinned_membership(kPin);
    REQUIRE(members.count(cgroup.id) == 1);
    CHECK(members.at(cgroup.id) == std::stoul(zone_id[1]));
    // The sandbox (pause) container is the pod's, in the pod's zone.
    const uint64_t sandbox_cgroup = syva::cgroup_id_of(syva::cgroup2_mount() + cri.pod_cgroup(pod) + "/" + pod);
    CHECK(eventually([&] { return syva::test::read_pinned_membership(kPin).count(sandbox_cgroup) == 1; }));
    CHECK(syva::test::read_pinned_membership(kPin).at(sandbox_cgroup) == std::stoul(zone_id[1]));

    // The kernel's word, from inside the container: its own zone's node files
    // open, frontend's are refused; the node itself is in no zone.
    auto probe = [&](const std::string& path) {
      auto r = cri.exec(id, {"/probe", "open", path});
      INFO("/probe open " << path << ": " << r.out << r.err);
      return r.exit_code;
    };
    CHECK(probe("/frontend/secret") == EPERM);
    CHECK(probe("/database/secret") == 0);
    CHECK(open_file(dir + "/frontend-owned/secret") == 0);
    CHECK(open_file(dir + "/database-owned/secret") == 0);
    REQUIRE(agent.wait_for("DENY hook=file_open", 10));
    const std::string deny = log_line(agent.log(), "DENY hook=file_open");
    CHECK(deny.find("caller_zone=database target_zone=frontend") != std::string::npos);

    // Who is in a zone is the platform's decision. Each pod below runs one
    // container that tries database's file; its cgroup's entry says where
    // the agent put it.
    auto run = [&](const std::string& name, const std::string& ns, const syva::test::StringMap& annotations,
                   const syva::test::StringMap& container_labels) {
      const std::string p = cri.run_pod(name, ns, annotations);
      const std::string c = cri.create_container(
          p, ContainerSpec{.name = "main",
                           .command = {"sleep", "300"},
                           .labels = container_labels,
                           .mounts = {{zone_probe_binary(), "/probe"}, {dir + "/database-owned", "/database"}}});
      cri.start_container(c);
      REQUIRE(agent.wait_for("container=" + c + " namespace=k8s.io"));
      const auto cg = syva::cgroup_of_pid(cri.container_pid(c), syva::cgroup2_mount());
      const auto map = syva::test::read_pinned_membership(kPin);
      const uint32_t zone = map.count(cg.id) ? map.at(cg.id) : SYVA_ZONE_NONE;
      const auto r = cri.exec(c, {"/probe", "open", "/database/secret"});
      return std::tuple{c, zone, r.exit_code};
    };
    // The same annotation from a namespace database does not admit: quarantine.
    const auto [shop, shop_zone, shop_open] = run("cart-0", "shop", {{"syva.dev/zone", "database"}}, {});
    CHECK(shop_zone == SYVA_ZONE_QUARANTINE);
    CHECK(shop_open == EPERM);
    CHECK(log_line(agent.log(), "QUARANTINE: container=" + shop).find("Kubernetes namespace 'shop' may not join zone "
                                                                      "'database'") != std::string::npos);
    // A zone label on the container (where CRI copies an image's LABELs) is
    // ignored; the pod names none, so --unzoned isolate gives it a zone of
    // its own.
    const auto [labelled, labelled_zone, labelled_open] =
        run("api-0", "db", {}, {{"syva.dev/zone", "database"}});
    CHECK(labelled_zone != SYVA_ZONE_NONE);
    CHECK(labelled_zone != std::stoul(zone_id[1]));
    CHECK(labelled_zone < SYVA_FIRST_STATE_ZONE);
    CHECK(labelled_open == EPERM);
    CHECK(log_line(agent.log(), "membership +: container=" + labelled).find(" zone=isolated-") != std::string::npos);
    // An exempt namespace's unannotated pod is left alone.
    const auto [system, system_zone, system_open] = run("dns-0", "kube-system", {}, {});
    CHECK(system_zone == SYVA_ZONE_NONE);
    CHECK(system_open == 0);
    CHECK(agent.log().find("container=" + system + " namespace=k8s.io not enforced: names no zone; Kubernetes "
                           "namespace 'kube-system' is exempt") != std::string::npos);

    for (const auto& other : cri.pods())
      if (other.id() != pod) cri.remove_pod(other.id());

    // The kubelet deletes the pod: membership and cgroups go with it.
    cri.remove_pod(pod);
    CHECK(agent.wait_for("membership -: container=" + id));
    CHECK(eventually([&] { return syva::test::read_pinned_membership(kPin).count(cgroup.id) == 0; }));
    CHECK(cri.pods().empty());
    CHECK(cri.containers().empty());
    CHECK_FALSE(fs::exists(syva::cgroup2_mount() + cri.pod_cgroup(pod)));

    CHECK(agent.stop(SIGTERM) == 0);
  }
  // containerd gone: nothing of the pods is left on the node.
  CHECK_FALSE(fs::exists(pods_cgroup));
  fs::remove_all(dir);
}
