// SPDX-License-Identifier: Apache-2.0
// Pods on a CNI bridge, as on a Kubernetes node: each pod gets a network
// namespace and an address from containerd's CRI plugin running Debian's
// bridge and host-local plugins, and the agent, watching containerd, must
// put those addresses in address_zone so that IP between zones is the pair
// decision. Every zone here is `bridged` with no egress rule for the pods'
// subnet, except gamma, whose allowed_egress covers it: without the pods'
// addresses in the map, alpha could not reach beta's pod, gamma would reach
// alpha's, and alpha would take gamma's packets.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "enforcer/map_readers.h"
#include "kernel/agent_process.h"
#include "kernel/zone_fixture.h"
#include "support/cri_client.h"
#include "support/exit_codes.h"
#include "support/private_containerd.h"
#include "support/shell.h"
#include "syva_abi.h"

using namespace syva::ktest;
using syva::test::ContainerSpec;
using syva::test::CriClient;
using syva::test::PodOptions;
using syva::test::PrivateContainerd;
namespace fs = std::filesystem;

namespace {

const std::string kPin = "/sys/fs/bpf/syva-cni-test";
constexpr int kPort = 8080;

bool eventually(const std::function<bool()>& done, int seconds = 30) {
  for (int i = 0; i < seconds * 10; ++i, usleep(100'000))
    if (done()) return true;
  return done();
}

std::string log_line(const std::string& log, const std::string& prefix) {
  const auto at = log.find(prefix);
  return at == std::string::npos ? "" : log.substr(at, log.find('\n', at) - at);
}

std::map<std::string, uint32_t> zone_ids() {
  std::map<std::string, uint32_t> out;
  const int fd = bpf_obj_get((kPin + "/zone_names").c_str());
  if (fd < 0) return out;
  for (const auto& [id, name] : syva::read_zone_names(fd)) out[name] = id;
  close(fd);
  return out;
}

uint32_t address_zone_of(const std::string& ip) {
  const auto map = syva::test::read_pinned_addresses(kPin);
  auto it = map.find(ip);
  return it == map.end() ? UINT32_MAX : it->second;
}

// The zone probe run by a process Syva does not judge (this test's child,
// in no zone) from inside a pod's network namespace, so that its packets
// carry the pod's address and nothing stops them on the way out: what the
// receiving pod's socket does with them is zone_inbound's decision alone.
int from_pod_network(pid_t pod_pid, const std::string& action, const std::string& target) {
  const std::string probe = zone_probe_binary();
  const std::string ns = fmt::format("/proc/{}/ns/net", pod_pid);
  const pid_t child = fork();
  if (child == 0) {
    const int fd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(SYVA_TEST_EXIT_STEP1);
    execl(probe.c_str(), "zone-probe", action.c_str(), target.c_str(), nullptr);
    _exit(SYVA_TEST_EXIT_EXEC_FAILED);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) return SYVA_TEST_EXIT_STEP1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : SYVA_TEST_EXIT_CHILD_KILLED;
}

}  // namespace

TEST_CASE("cni: pods on a CNI bridge reach each other by the zone pair; the agent keeps their addresses in "
          "address_zone as they come and go",
          "[kernel][cni]") {
  REQUIRE_BPF_LSM();
  if (auto why = PrivateContainerd::unavailable({.cri = true, .cni = true}); !why.empty())
    SYVA_SKIP("no containerd with its CRI plugin and CNI plugins in this kernel test run (test/vm/run-in-vm.sh "
              "--containerd --modules \"overlay veth bridge\"): " +
              why);

  const std::string dir = kScratch + "/cni";
  fs::remove_all(dir);
  fs::create_directories(dir + "/policies");
  auto policy = [&](const std::string& zone, const std::string& network) {
    std::ofstream(fmt::format("{}/policies/{}.toml", dir, zone))
        << fmt::format("[zone]\nnamespaces = [\"{}\"]\n[network]\nmode = \"bridged\"\n{}\n", zone, network);
  };
  policy("alpha", "allowed_zones = [\"beta\"]");
  policy("beta", "allowed_zones = [\"alpha\"]");
  policy("gamma", fmt::format("allowed_egress = [\"{}\"]", PrivateContainerd::kCniSubnet));

  {
    PrivateContainerd cd("cni", {.cri = true, .cni = true});
    cd.import_cri_images();
    AgentProcess agent({"--policy-dir", dir + "/policies", "--pin-path", kPin, "--containerd-sock", cd.socket(),
                        "--guard-cgroup", cd.cri_cgroup_parent().substr(1)},
                       dir + "/agent.log");
    REQUIRE(agent.wait_for("containerd: connected"));
    CriClient cri(cd.socket(), cd.cri_cgroup_parent(), dir + "/pods");
    cri.wait_for_image(PrivateContainerd::kImage);
    cri.wait_for_image(PrivateContainerd::kPauseImage);
    const auto ids = zone_ids();
    REQUIRE(ids.count("alpha"));
    REQUIRE(ids.count("beta"));
    REQUIRE(ids.count("gamma"));

    struct Pod {
      std::string sandbox, container, ip;
      pid_t pid = 0;
    };
    // Each pod's one container serves TCP and UDP on kPort.
    auto start = [&](const std::string& name, const std::string& zone, bool host_network = false) {
      Pod p;
      p.sandbox = cri.run_pod(name, zone, {{"syva.dev/zone", zone}}, {}, PodOptions{.host_network = host_network});
      p.container =
          cri.create_container(p.sandbox, ContainerSpec{.name = "main",
                                                        .command = {"/probe", "serve-ip", std::to_string(kPort)},
                                                        .mounts = {{zone_probe_binary(), "/probe"}}});
      cri.start_container(p.container);
      p.pid = cri.container_pid(p.container);
      for (const auto& [ip, sandbox] : cd.cni_leases())
        if (sandbox == p.sandbox) p.ip = ip;
      return p;
    };
    const Pod a1 = start("a1", "alpha"), a2 = start("a2", "alpha"), b = start("b", "beta"), c = start("c", "gamma");
    INFO(agent.log());
    for (const Pod* p : {&a1, &a2, &b, &c}) REQUIRE_FALSE(p->ip.empty());
    INFO("alpha " << a1.ip << " " << a2.ip << ", beta " << b.ip << ", gamma " << c.ip);

    // The agent's map: each pod's address (from its sandbox record and its
    // namespace's interfaces) in its pod's zone, written when the pod started.
    CHECK(eventually([&] { return address_zone_of(c.ip) == ids.at("gamma"); }));
    CHECK(address_zone_of(a1.ip) == ids.at("alpha"));
    CHECK(address_zone_of(a2.ip) == ids.at("alpha"));
    CHECK(address_zone_of(b.ip) == ids.at("beta"));
    CHECK(agent.log().find("address +: " + a1.ip + " zone_id=") != std::string::npos);

    // The probe's attempts from inside `from`, in one exec (each exec is a
    // runc exec, slow under TCG): the exit status of each, in order.
    using Attempt = std::pair<std::string, const Pod*>;
    auto attempts = [&](const Pod& from, const std::vector<Attempt>& list) {
      std::string script;
      for (const auto& [action, to] : list) script += fmt::format("/probe {} {}:{}; echo $?; ", action, to->ip, kPort);
      const auto r = cri.exec(from.container, {"sh", "-c", script});
      INFO(script << ": " << r.out << r.err);
      std::vector<int> out;
      std::istringstream lines(r.out);
      for (std::string line; std::getline(lines, line);)
        if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos) out.push_back(std::stoi(line));
      CHECK(out.size() == list.size());
      out.resize(list.size(), -1);
      return out;
    };
    // Paired zones; alpha's egress has no rule for the subnet. A pod
    // reaches its own address and its own zone's other pod.
    CHECK(attempts(a1, {{"tcp-connect", &b}, {"udp-echo", &b}, {"tcp-connect", &a1}}) == std::vector<int>{0, 0, 0});
    CHECK(attempts(a2, {{"tcp-connect", &a1}}) == std::vector<int>{0});
    // gamma's allowed_egress covers alpha's pod, but alpha is another zone
    // and no pair: refused on connect and on send.
    CHECK(attempts(c, {{"tcp-connect", &a1}, {"udp-echo", &a1}}) == std::vector<int>{EPERM, EPERM});
    REQUIRE(agent.wait_for("DENY hook=zone_address", 10));
    CHECK(log_line(agent.log(), "DENY hook=zone_address").find("caller_zone=gamma target_zone=alpha") !=
          std::string::npos);

    // On receive: from gamma's pod address (sent by a process no zone
    // judges), alpha's listening and unconnected sockets take nothing;
    // from beta's they do.
    const std::string a1_target = fmt::format("{}:{}", a1.ip, kPort);
    CHECK(from_pod_network(c.pid, "tcp-connect", a1_target) == ETIMEDOUT);
    CHECK(from_pod_network(c.pid, "udp-echo", a1_target) == ETIMEDOUT);
    CHECK(from_pod_network(b.pid, "tcp-connect", a1_target) == 0);
    CHECK(from_pod_network(b.pid, "udp-echo", a1_target) == 0);
    REQUIRE(agent.wait_for("DENY hook=zone_inbound", 10));
    CHECK(log_line(agent.log(), "DENY hook=zone_inbound").find("caller_zone=alpha target_zone=gamma") !=
          std::string::npos);

    // A host-network pod of alpha has the node's addresses, which are no
    // zone's: alpha's entries stay its two pods', and the bridge's address
    // on the node stays the node's (or absent until the agent's next read).
    const Pod host = start("a-host", "alpha", true);
    REQUIRE(agent.wait_for("membership +: container=" + host.container));
    usleep(500'000);  // the addresses are synced just after the membership line
    // (IPv4 only: each pod's interface has an IPv6 link-local address too.)
    size_t alpha_entries = 0;
    for (const auto& [ip, zone] : syva::test::read_pinned_addresses(kPin))
      alpha_entries += zone == ids.at("alpha") && ip.find(':') == std::string::npos;
    CHECK(alpha_entries == 2);
    const uint32_t gateway = address_zone_of(PrivateContainerd::kCniGateway);
    CHECK((gateway == SYVA_ZONE_NONE || gateway == UINT32_MAX));
    cri.remove_pod(host.sandbox);

    // The pod goes, and its address with it.
    cri.remove_pod(c.sandbox);
    CHECK(eventually([&] { return address_zone_of(c.ip) == UINT32_MAX; }));
    CHECK(agent.log().find("address -: " + c.ip + " ") != std::string::npos);
    CHECK(address_zone_of(a1.ip) == ids.at("alpha"));

    // Every zoned pod's addresses were read: nothing degrades the status.
    CHECK(agent.log().find("ADDRESSES NOT READ") == std::string::npos);
    const auto status = syva::test::shell(fmt::format("{} status --pin-path {}", syva_binary(), kPin));
    INFO(status.output);
    CHECK(status.output.find("could not be read") == std::string::npos);

    for (const auto& p : cri.pods()) cri.remove_pod(p.id());
    CHECK(eventually([&] {
      for (const auto& [ip, zone] : syva::test::read_pinned_addresses(kPin))
        if (zone != SYVA_ZONE_NONE) return false;
      return true;
    }));
    CHECK(agent.stop(SIGTERM) == 0);
  }
  fs::remove_all(dir);
}
