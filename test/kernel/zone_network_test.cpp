// SPDX-License-Identifier: Apache-2.0
// Inbound IP between zones against the real kernel: two pods' network
// namespaces joined by a veth pair, and the second joined to the node by
// another; real TCP connections and UDP datagrams over IPv4 and IPv6. The
// receiving sockets belong to a process of zone beta; the test takes them
// (pidfd_getfd) to see what arrives. Senders are processes of zone alpha,
// and unzoned processes whose egress Syva does not judge, so that what the
// receiving side decides is seen on its own.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <bpf/bpf.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "kernel/agent_process.h"
#include "kernel/zone_fixture.h"
#include "support/ip_address.h"
#include "support/exit_codes.h"

using namespace syva;
using namespace syva::ktest;
using syva::test::address_of;

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace {

constexpr uint16_t kTcpPort = 7000;
constexpr uint16_t kUdpPort = 7001;
constexpr int kListenFd = 100;
constexpr int kUdpFd = 101;

// A network namespace held open by a sleeping child, its lo up.
void new_netns_with_lo() {
  if (unshare(CLONE_NEWNET) != 0) _exit(SYVA_TEST_EXIT_STEP1);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  strcpy(ifr.ifr_name, "lo");
  ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) _exit(SYVA_TEST_EXIT_STEP2);
  close(fd);
}

struct NetNs {
  Target holder{nullptr, new_netns_with_lo};  // its interfaces (and their veth peers) go with it
  int fd = -1;
  NetNs() {
    fd = open(path().c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
  }
  ~NetNs() { close(fd); }
  pid_t pid() const { return holder.pid(); }
  std::string path() const { return "/proc/" + std::to_string(pid()) + "/ns/net"; }
  // In a child: joins this namespace; false on failure. The descriptor is
  // the parent's, so a zoned child opens nothing of the holder's.
  bool enter() const { return fd >= 0 && setns(fd, CLONE_NEWNET) == 0; }
  // Runs a shell command inside the namespace: 0 when it succeeded.
  int sh(const std::string& command) const {
    return run_in(nullptr,
                  [&] {
                    if (!enter()) return SYVA_TEST_EXIT_STEP1;
                    return system(command.c_str()) == 0 ? 0 : SYVA_TEST_EXIT_STEP2;
                  })
        .err;
  }
};

int sh(const std::string& command) { return system(command.c_str()) == 0 ? 0 : 1; }

// iproute2's ip by its path: busybox's sh runs its own applet for a bare
// "ip", and busybox's ip cannot name a veth peer. The VM runner stages it
// in /opt/syva/bin.
std::string ip_tool() {
  for (const char* path : {"/opt/syva/bin/ip", "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"})
    if (access(path, X_OK) == 0) return path;
  return "ip";
}

// pod A (10.77.0.1, fd77::1) -- veth -- pod B (10.77.0.2, fd77::2; and
// 10.78.0.2, fd78::2) -- veth -- the node (10.78.0.1, fd78::1).
struct Pods {
  NetNs a, b;
  bool ok = false;
  Pods() {
    const std::string ip = ip_tool();
    // Links a failed run may have left; the namespaces took the rest.
    sh(ip + " link del syva-zn-n 2>/dev/null; " + ip + " link del syva-zn-a 2>/dev/null");
    auto in = [&](const std::string& dev, const char* v4, const char* v6) {
      return ip + " addr add " + v4 + " dev " + dev + " && " + ip + " -6 addr add " + v6 + " dev " + dev +
             " nodad && " + ip + " link set " + dev + " up";
    };
    ok = sh(ip + " link add syva-zn-a type veth peer name syva-zn-b") == 0 &&
         sh(ip + " link set syva-zn-a netns " + std::to_string(a.pid())) == 0 &&
         sh(ip + " link set syva-zn-b netns " + std::to_string(b.pid())) == 0 &&
         sh(ip + " link add syva-zn-n type veth peer name syva-zn-nb") == 0 &&
         sh(ip + " link set syva-zn-nb netns " + std::to_string(b.pid())) == 0 &&
         sh(in("syva-zn-n", "10.78.0.1/24", "fd78::1/64")) == 0 &&
         a.sh(in("syva-zn-a", "10.77.0.1/24", "fd77::1/64")) == 0 &&
         b.sh(in("syva-zn-b", "10.77.0.2/24", "fd77::2/64") + " && " +
              in("syva-zn-nb", "10.78.0.2/24", "fd78::2/64")) == 0;
  }
  // A veth left in the node's namespace by a setup that stopped half-way;
  // the rest goes with the namespaces.
  ~Pods() { sh(ip_tool() + " link del syva-zn-n 2>/dev/null; " + ip_tool() + " link del syva-zn-a 2>/dev/null"); }
};

// address_zone entries for the test's lifetime, as the agent keeps them.
struct Owned {
  std::vector<syva_address> addresses;
  Owned(std::initializer_list<const char*> ips, uint32_t zone) {
    for (const char* ip : ips) {
      addresses.push_back(address_of(ip));
      enforcer().set_address_owner(addresses.back(), zone);
    }
  }
  ~Owned() {
    for (const auto& a : addresses) enforcer().remove_address_owner(a);
  }
};

// The node's addresses in address_zone for the test's lifetime.
struct NodeAddresses {
  explicit NodeAddresses(const std::vector<syva_address>& addresses) { enforcer().set_node_addresses(addresses); }
  ~NodeAddresses() { enforcer().set_node_addresses({}); }
};

// A TCP connect from namespace `ns` (null: the node's): 0 when the handshake
// completed, EPERM when the sender's side refused, ETIMEDOUT when no answer
// came (the receiving side dropped the request).
int tcp_connect(const NetNs* ns, const char* ip) {
  if (ns && !ns->enter()) return SYVA_TEST_EXIT_STEP1;
  socklen_t len;
  auto ss = syva::test::ip_sockaddr(ip, kTcpPort, len);
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  pollfd p{fd, POLLOUT, 0};
  if (poll(&p, 1, 1500) != 1) return ETIMEDOUT;
  int err = 0;
  socklen_t size = sizeof(err);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &size);
  return err;
}

int udp_send(const NetNs* ns, const char* ip) {
  if (ns && !ns->enter()) return SYVA_TEST_EXIT_STEP1;
  socklen_t len;
  auto ss = syva::test::ip_sockaddr(ip, kUdpPort, len);
  int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
  return sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&ss), len) == 1 ? 0 : errno;
}

// Zones alpha (bridged) and beta (`beta_mode`); beta takes the node's
// packets when `from_node`; optionally paired.
void apply_zones(uint32_t beta_mode, bool from_node, bool paired) {
  CompiledPolicy p;
  p.zone_names = {"alpha", "beta"};
  p.zone_values.resize(2);
  p.zone_values[0].network_mode = SYVA_NET_BRIDGED;
  p.zone_values[1].network_mode = beta_mode;
  for (auto& v : p.zone_values) v.flags |= SYVA_ZONE_F_DEFINED;
  if (from_node) p.zone_values[1].flags |= SYVA_ZONE_F_FROM_NODE;
  if (paired) p.pairs = {{kAlpha, kBeta}, {kBeta, kAlpha}};
  enforcer().apply_policy(p);
}

// Beta's pod: a dual-stack TCP listener and UDP socket in pod B's namespace,
// made by a process of zone beta and taken by the test.
struct BetaServer {
  Target process;
  int listener = -1, udp = -1;
  BetaServer(const Cgroup& beta, const NetNs& ns)
      : process(&beta, [&] {
          auto bound = [](int type, uint16_t port, int as) {
            int fd = socket(AF_INET6, type, 0);
            int zero = 0, one = 1;
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            sockaddr_in6 a{};
            a.sin6_family = AF_INET6;
            a.sin6_port = htons(port);
            if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
                (type == SOCK_STREAM && listen(fd, 64) != 0) || dup2(fd, as) != as)
              _exit(SYVA_TEST_EXIT_TARGET_SETUP);
          };
          if (!ns.enter()) _exit(SYVA_TEST_EXIT_TARGET_SETUP);
          bound(SOCK_STREAM, kTcpPort, kListenFd);
          bound(SOCK_DGRAM, kUdpPort, kUdpFd);
        }) {
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, process.pid(), 0));
    REQUIRE(pidfd >= 0);
    listener = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, kListenFd, 0));
    udp = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, kUdpFd, 0));
    close(pidfd);
    REQUIRE((listener >= 0 && udp >= 0));
    // accept_all() takes what is there and does not wait.
    REQUIRE(fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK) == 0);
  }
  ~BetaServer() {
    close(listener);
    close(udp);
  }
  // Connections that completed, accepted and closed.
  int accept_all() {
    int n = 0;
    for (int fd; (fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0; ++n) close(fd);
    return n;
  }
  // Whether a datagram arrived (within half a second); drains them.
  bool datagram() {
    pollfd p{udp, POLLIN, 0};
    const bool got = poll(&p, 1, 500) == 1;
    char buf[16];
    while (recv(udp, buf, sizeof(buf), MSG_DONTWAIT) >= 0) {
    }
    return got;
  }
};

}  // namespace

TEST_CASE("zone network: a zone's pods take connections and datagrams from their own zone, allowed pairs and the node",
          "[kernel][zone_network]") {
  REQUIRE_BPF_LSM();
  Pods pods;
  if (!pods.ok) SYVA_SKIP("cannot make veth pairs between network namespaces (no veth module, or no iproute2 ip?)");
  Owned alpha_addresses({"10.77.0.1", "fd77::1"}, kAlpha);
  Owned beta_addresses({"10.77.0.2", "fd77::2", "10.78.0.2", "fd78::2"}, kBeta);
  NodeAddresses node({address_of("10.78.0.1"), address_of("fd78::1")});
  apply_zones(SYVA_NET_ISOLATED, true, false);
  Cgroup alpha("zn-alpha", kAlpha);
  Cgroup beta("zn-beta", kBeta);
  BetaServer server(beta, pods.b);
  const NetNs* a = &pods.a;
  const NetNs* b = &pods.b;
  const auto before = counters(SYVA_HOOK_ZONE_INBOUND);
  drain_events();

  // Not paired. alpha's own side refuses first (zone_address) ...
  for (const char* ip : {"10.77.0.2", "fd77::2"}) {
    CHECK(run_in(&alpha, [&] { return tcp_connect(a, ip); }).err == EPERM);
    CHECK(run_in(&alpha, [&] { return udp_send(a, ip); }).err == EPERM);
  }
  // ... and beta's: from alpha's address by a sender Syva does not judge,
  // the connection request and the datagram are dropped on arrival.
  auto dropped = run_in(nullptr, [&] { return tcp_connect(a, "10.77.0.2"); });
  CHECK(dropped.err == ETIMEDOUT);
  CHECK(run_in(nullptr, [&] { return tcp_connect(a, "fd77::2"); }).err == ETIMEDOUT);
  CHECK(run_in(nullptr, [&] { return udp_send(a, "10.77.0.2"); }).err == 0);
  CHECK_FALSE(server.datagram());
  CHECK(run_in(nullptr, [&] { return udp_send(a, "fd77::2"); }).err == 0);
  CHECK_FALSE(server.datagram());
  CHECK(server.accept_all() == 0);
  // A dropped SYN is sent again within the wait: at least one denial each.
  CHECK(counters(SYVA_HOOK_ZONE_INBOUND).deny - before.deny >= 4);
  bool found = false;
  for (const auto& e : drain_events()) {
    if (e.hook != SYVA_HOOK_ZONE_INBOUND || e.family != AF_INET || e.port != kTcpPort) continue;
    found = true;
    CHECK(e.caller_zone == kBeta);
    CHECK(e.target_zone == kAlpha);
    CHECK((e.addr[10] == 0xff && e.addr[12] == 10 && e.addr[13] == 77 && e.addr[15] == 1));
  }
  CHECK(found);

  // Its own zone: from its own addresses and its own loopback.
  for (const char* ip : {"10.77.0.2", "fd77::2", "127.0.0.1", "::1"}) {
    CHECK(run_in(&beta, [&] { return tcp_connect(b, ip); }).err == 0);
    CHECK(run_in(&beta, [&] { return udp_send(b, ip); }).err == 0);
    CHECK(server.datagram());
  }
  CHECK(server.accept_all() == 4);

  // The node (its address on the veth) with accept_from_node; not without.
  for (const char* ip : {"10.78.0.2", "fd78::2"}) {
    CHECK(run_in(nullptr, [&] { return tcp_connect(nullptr, ip); }).err == 0);
    CHECK(run_in(nullptr, [&] { return udp_send(nullptr, ip); }).err == 0);
    CHECK(server.datagram());
  }
  CHECK(server.accept_all() == 2);
  apply_zones(SYVA_NET_ISOLATED, false, false);
  const auto node_before = counters(SYVA_HOOK_ZONE_INBOUND);
  for (const char* ip : {"10.78.0.2", "fd78::2"}) {
    CHECK(run_in(nullptr, [&] { return tcp_connect(nullptr, ip); }).err == ETIMEDOUT);
    CHECK(run_in(nullptr, [&] { return udp_send(nullptr, ip); }).err == 0);
    CHECK_FALSE(server.datagram());
  }
  CHECK(counters(SYVA_HOOK_ZONE_INBOUND).deny - node_before.deny >= 4);

  // Paired: alpha reaches beta's pod both ways of judging.
  apply_zones(SYVA_NET_ISOLATED, true, true);
  for (const char* ip : {"10.77.0.2", "fd77::2"}) {
    CHECK(run_in(&alpha, [&] { return tcp_connect(a, ip); }).err == 0);
    CHECK(run_in(nullptr, [&] { return tcp_connect(a, ip); }).err == 0);
    CHECK(run_in(&alpha, [&] { return udp_send(a, ip); }).err == 0);
    CHECK(server.datagram());
  }
  CHECK(server.accept_all() == 4);
  // A reply reaches alpha's connected socket whatever alpha's own inbound
  // rules say: a connected socket's peer was judged when it connected.
  drain_events();
}

TEST_CASE("zone network: a source that is no pod's on this node is admitted by bridged, refused by isolated",
          "[kernel][zone_network]") {
  REQUIRE_BPF_LSM();
  Pods pods;
  if (!pods.ok) SYVA_SKIP("cannot make veth pairs between network namespaces (no veth module, or no iproute2 ip?)");
  Owned beta_addresses({"10.77.0.2", "fd77::2"}, kBeta);
  NodeAddresses node({});
  apply_zones(SYVA_NET_ISOLATED, true, false);
  Cgroup beta("zn-outside-beta", kBeta);
  BetaServer server(beta, pods.b);
  const NetNs* a = &pods.a;
  const auto before = counters(SYVA_HOOK_ZONE_INBOUND);

  // pod A's address is no zone's here: as another node's pod or a client
  // outside the cluster would be.
  for (const char* ip : {"10.77.0.2", "fd77::2"}) {
    CHECK(run_in(nullptr, [&] { return tcp_connect(a, ip); }).err == ETIMEDOUT);
    CHECK(run_in(nullptr, [&] { return udp_send(a, ip); }).err == 0);
    CHECK_FALSE(server.datagram());
  }
  CHECK(counters(SYVA_HOOK_ZONE_INBOUND).deny - before.deny >= 4);
  apply_zones(SYVA_NET_BRIDGED, true, false);
  for (const char* ip : {"10.77.0.2", "fd77::2"}) {
    CHECK(run_in(nullptr, [&] { return tcp_connect(a, ip); }).err == 0);
    CHECK(run_in(nullptr, [&] { return udp_send(a, ip); }).err == 0);
    CHECK(server.datagram());
  }
  CHECK(server.accept_all() == 2);
  // host mode: not restricted, the node's loopback included.
  apply_zones(SYVA_NET_HOST, false, false);
  enforcer().set_address_owner(address_of("10.77.0.1"), kAlpha);
  CHECK(run_in(nullptr, [&] { return tcp_connect(a, "10.77.0.2"); }).err == 0);
  enforcer().remove_address_owner(address_of("10.77.0.1"));
  CHECK(server.accept_all() == 1);
  drain_events();
}

namespace {

// The zone (SYVA_ZONE_NONE for the node) a pinned address_zone gives `ip`;
// -1 when it has no entry.
long pinned_owner(const std::string& pin, const char* ip) {
  int fd = bpf_obj_get((pin + "/address_zone").c_str());
  if (fd < 0) return -2;
  syva_address key = address_of(ip);
  uint32_t zone = 0;
  const long out = bpf_map_lookup_elem(fd, &key, &zone) == 0 ? static_cast<long>(zone) : -1;
  close(fd);
  return out;
}

// Polls `pinned_owner` until it is `want`, for up to `seconds`.
bool owner_becomes(const std::string& pin, const char* ip, long want, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (pinned_owner(pin, ip) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

TEST_CASE("zone network: the agent keeps the node's addresses in address_zone as they come and go",
          "[kernel][zone_network]") {
  REQUIRE_BPF_LSM();
  Pods pods;
  if (!pods.ok) SYVA_SKIP("cannot make veth pairs between network namespaces (no veth module, or no iproute2 ip?)");
  const std::string pin = "/sys/fs/bpf/syva-zn-agent";
  const std::string dir = kScratch + "/zn-agent-policies";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/web.toml") << "[network]\nmode = \"bridged\"\n";
  AgentProcess agent({"--policy-dir", dir, "--pin-path", pin}, kScratch + "/zn-agent.log");
  REQUIRE(agent.wait_for("enforcing:"));
  // The node's side of the veth; pod B's addresses are no node's.
  CHECK(owner_becomes(pin, "10.78.0.1", SYVA_ZONE_NONE, 5));
  CHECK(owner_becomes(pin, "fd78::1", SYVA_ZONE_NONE, 5));
  CHECK(pinned_owner(pin, "10.78.0.2") == -1);
  CHECK(pinned_owner(pin, "127.0.0.1") == -1);
  // Gone from the node: gone from the map at the next reading (10 s).
  REQUIRE(sh(ip_tool() + " link del syva-zn-n") == 0);
  CHECK(owner_becomes(pin, "10.78.0.1", -1, 15));
  CHECK(owner_becomes(pin, "fd78::1", -1, 15));
  CHECK(agent.stop(SIGTERM) == 0);
  std::filesystem::remove_all(dir);
}
