// SPDX-License-Identifier: Apache-2.0
// [network] mode and allowed_egress against the real kernel: IPv4 and IPv6
// connect() and sendto() of zoned processes, to addresses this test puts on
// the VM's loopback device so that an allowed connection really succeeds;
// the sockets that write their own packets; loopback in the node's network
// namespace and in one of the process's own.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "kernel/zone_fixture.h"
#include "support/ip_address.h"
#include "support/exit_codes.h"
#include "policy/egress_rule.h"

using namespace syva;
using namespace syva::ktest;
using syva::test::address_of;

namespace {

// An address on lo for the test's lifetime.
struct LoopbackAddress {
  std::string cidr;
  bool added;
  explicit LoopbackAddress(std::string c) : cidr(std::move(c)) {
    added = system(("ip addr add " + cidr + " dev lo 2>/dev/null").c_str()) == 0;
  }
  ~LoopbackAddress() {
    if (added) [[maybe_unused]]
      int rc = system(("ip addr del " + cidr + " dev lo 2>/dev/null").c_str());
  }
};

// A listening TCP socket on every address, owned by the (unzoned) test.
struct Listener {
  int fd;
  Listener(int family, uint16_t port) {
    fd = socket(family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(port);
      len = sizeof(*a);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(port);
      int v6only = 1;
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
      len = sizeof(*a);
    }
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0);
    REQUIRE(listen(fd, 64) == 0);
  }
  ~Listener() { close(fd); }
};

int tcp_connect(const char* ip, uint16_t port) {
  socklen_t len;
  auto ss = syva::test::ip_sockaddr(ip, port, len);
  int fd = socket(ss.ss_family, SOCK_STREAM, 0);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 ? 0 : errno;
  close(fd);
  return rc;
}

int udp_sendto(const char* ip, uint16_t port) {
  socklen_t len;
  auto ss = syva::test::ip_sockaddr(ip, port, len);
  int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
  int rc = sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&ss), len) == 1 ? 0 : errno;
  close(fd);
  return rc;
}

std::vector<EgressEntry> rules_for(uint32_t zone, std::initializer_list<const char*> texts) {
  std::vector<EgressRule> rules;
  std::string error;
  for (const char* t : texts) rules.push_back(*parse_egress_rule(t, error));
  std::vector<std::string> problems;
  return egress_entries(zone, rules, "test", problems);
}

syva_zone_policy mode(uint32_t network_mode) {
  syva_zone_policy v{};
  v.network_mode = network_mode;
  return v;
}

// Runs `action` in a new network namespace whose lo is up: a pod's own.
int in_own_netns(const std::function<int()>& action) {
  if (unshare(CLONE_NEWNET) != 0) return SYVA_TEST_EXIT_STEP1;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  strcpy(ifr.ifr_name, "lo");
  ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
  const bool up = fd >= 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  close(fd);
  return up ? action() : SYVA_TEST_EXIT_STEP2;
}

// sendto() of one datagram on `fd` to ip:port written as family `family`
// (AF_UNSPEC: what udp_sendmsg and raw_sendmsg read as AF_INET).
int sendto_as(int fd, int family, const char* ip, uint16_t port, const void* data, size_t size) {
  sockaddr_in a{};
  a.sin_family = family;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return sendto(fd, data, size, 0, reinterpret_cast<sockaddr*>(&a), sizeof(a)) >= 0 ? 0 : errno;
}

// A TCP listener on every IPv4 address, for a forked child (no REQUIRE
// there); -1 when it cannot listen. The child's exit closes it.
int listen_any(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd, 8) != 0) return -1;
  return fd;
}

// An ICMP echo request: raw ICMP sockets read the type from the payload,
// ping sockets want the whole header.
const icmphdr kEcho = [] {
  icmphdr h{};
  h.type = ICMP_ECHO;
  return h;
}();

int socket_errno(int family, int type, int protocol) {
  int fd = socket(family, type, protocol);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

// The VM's ping sockets for every group, restored afterwards.
struct PingForAll {
  std::string saved;
  PingForAll() {
    FILE* f = fopen("/proc/sys/net/ipv4/ping_group_range", "r");
    char line[64] = "";
    if (f) {
      if (!fgets(line, sizeof(line), f)) line[0] = 0;
      fclose(f);
    }
    saved = line;
    write("0 2147483647");
  }
  ~PingForAll() {
    if (!saved.empty()) write(saved);
  }
  static void write(const std::string& value) {
    FILE* f = fopen("/proc/sys/net/ipv4/ping_group_range", "w");
    if (!f) return;
    fputs(value.c_str(), f);
    fclose(f);
  }
};

}  // namespace

TEST_CASE("egress: IPv4 connect and sendto outside the zone's allowance are EPERM; loopback and host mode are not",
          "[kernel][egress]") {
  REQUIRE_BPF_LSM();
  LoopbackAddress ten("10.1.2.3/8");
  REQUIRE(ten.added);
  Listener db(AF_INET, 5432), web(AF_INET, 8080);
  // alpha: bridged, 10/8 port 5432 only. beta: isolated.
  apply_zone_rules(mode(1), mode(0), rules_for(kAlpha, {"10.0.0.0/8:5432"}));
  Cgroup alpha("egress-alpha", kAlpha);
  Cgroup beta("egress-beta", kBeta);

  const auto before = counters(SYVA_HOOK_SOCKET_CONNECT);
  drain_events();
  CHECK(run_in(&alpha, [] { return tcp_connect("10.1.2.3", 5432); }).err == 0);  // allowed
  auto denied = run_in(&alpha, [] { return tcp_connect("10.1.2.3", 8080); });    // wrong port
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_SOCKET_CONNECT).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_SOCKET_CONNECT, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.family == AF_INET);
  CHECK(e.port == 8080);
  CHECK((e.addr[10] == 0xff && e.addr[11] == 0xff && e.addr[12] == 10 && e.addr[15] == 3));

  CHECK(run_in(&beta, [] { return tcp_connect("10.1.2.3", 5432); }).err == EPERM);  // isolated
  CHECK(run_in(nullptr, [] { return tcp_connect("10.1.2.3", 8080); }).err == 0);    // unzoned

  const auto send_before = counters(SYVA_HOOK_SOCKET_SENDMSG);
  CHECK(run_in(&alpha, [] { return udp_sendto("10.1.2.3", 5432); }).err == 0);
  CHECK(run_in(&alpha, [] { return udp_sendto("10.1.2.3", 53); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_SOCKET_SENDMSG).deny - send_before.deny == 1);

  // host mode: the node's network, not Syva's to restrict.
  apply_zone_rules(mode(2), mode(0));
  CHECK(run_in(&alpha, [] { return tcp_connect("10.1.2.3", 8080); }).err == 0);
  CHECK(counters(SYVA_HOOK_SOCKET_CONNECT).deny - before.deny == 2);
  drain_events();
}

TEST_CASE("egress: IPv6 destinations, longest prefix with the ports of the rules that cover it", "[kernel][egress]") {
  REQUIRE_BPF_LSM();
  LoopbackAddress v6("fd00::1/128");
  if (!v6.added) SYVA_SKIP("cannot add an IPv6 address to lo in this kernel (no IPv6?)");
  Listener db(AF_INET6, 5432), web(AF_INET6, 8080);
  apply_zone_rules(mode(1), mode(0), rules_for(kAlpha, {"fd00::/16:5432", "fd00::1/128:8080"}));
  Cgroup alpha("egress6-alpha", kAlpha);
  const auto before = counters(SYVA_HOOK_SOCKET_CONNECT);
  CHECK(run_in(&alpha, [] { return tcp_connect("fd00::1", 8080); }).err == 0);  // the /128 rule
  CHECK(run_in(&alpha, [] { return tcp_connect("fd00::1", 5432); }).err == 0);  // the /16 rule, folded in
  CHECK(run_in(&alpha, [] { return tcp_connect("fd00::1", 9999); }).err == EPERM);
  CHECK(run_in(&alpha, [] { return tcp_connect("::1", 9999); }).err == EPERM);  // the node's loopback
  CHECK(run_in(&alpha, [] { return in_own_netns([] { return tcp_connect("::1", 9999); }); }).err ==
        ECONNREFUSED);  // its own loopback: allowed, no one there
  CHECK(counters(SYVA_HOOK_SOCKET_CONNECT).deny - before.deny == 2);
  drain_events();
}

TEST_CASE("egress: a destination is read in the socket's family, whatever family the caller wrote into it",
          "[kernel][egress]") {
  REQUIRE_BPF_LSM();
  LoopbackAddress ten("10.1.2.3/8");
  REQUIRE(ten.added);
  apply_zone_rules(mode(1), mode(0), rules_for(kAlpha, {"10.0.0.0/8:5432", "fd00::/16:5432"}));
  Cgroup alpha("unspec-alpha", kAlpha);
  const auto before = counters(SYVA_HOOK_SOCKET_SENDMSG);
  drain_events();

  // udp_sendmsg takes AF_UNSPEC as AF_INET and sends to the address inside.
  auto udp_as = [](int family, uint16_t port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int rc = sendto_as(fd, family, "10.1.2.3", port, "x", 1);
    close(fd);
    return rc;
  };
  CHECK(run_in(&alpha, [&] { return udp_as(AF_UNSPEC, 5432); }).err == 0);
  auto denied = run_in(&alpha, [&] { return udp_as(AF_UNSPEC, 53); });
  CHECK(denied.err == EPERM);
  auto e = only_event(drain_events(), SYVA_HOOK_SOCKET_SENDMSG, denied.pid);
  CHECK(e.family == AF_INET);
  CHECK(e.port == 53);
  CHECK((e.addr[10] == 0xff && e.addr[12] == 10 && e.addr[15] == 3));
  // A family udp_sendmsg refuses is refused here first; the test's own
  // (unzoned) attempt shows what the kernel says without Syva.
  CHECK(run_in(&alpha, [&] { return udp_as(AF_PACKET, 53); }).err == EPERM);
  CHECK(run_in(nullptr, [&] { return udp_as(AF_PACKET, 53); }).err == EAFNOSUPPORT);
  CHECK(run_in(nullptr, [&] { return udp_as(AF_UNSPEC, 53); }).err == 0);

  // An IPv6 UDP socket sends an AF_INET address over IPv4, and reads
  // AF_UNSPEC as "to the connected peer", which connect() judged.
  LoopbackAddress v6("fd00::1/128");
  CHECK(run_in(&alpha, [] {
          int fd = socket(AF_INET6, SOCK_DGRAM, 0);
          int rc = sendto_as(fd, AF_INET, "10.1.2.3", 53, "x", 1);
          close(fd);
          return rc;
        }).err == EPERM);
  CHECK(run_in(&alpha, [] {
          int fd = socket(AF_INET6, SOCK_DGRAM, 0);
          sockaddr_in6 peer{};
          peer.sin6_family = AF_INET6;
          peer.sin6_port = htons(5432);
          inet_pton(AF_INET6, "fd00::1", &peer.sin6_addr);
          if (connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof(peer)) != 0) return SYVA_TEST_EXIT_STEP1;
          sockaddr_in6 unspec{};
          unspec.sin6_family = AF_UNSPEC;
          int rc = sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&unspec), sizeof(unspec)) == 1 ? 0 : errno;
          close(fd);
          return rc;
        }).err == (v6.added ? 0 : SYVA_TEST_EXIT_STEP1));

  // connect(AF_UNSPEC) disconnects: allowed.
  CHECK(run_in(&alpha, [] {
          int fd = socket(AF_INET, SOCK_DGRAM, 0);
          sockaddr_in a{};
          a.sin_family = AF_UNSPEC;
          int rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 ? 0 : errno;
          close(fd);
          return rc;
        }).err == 0);

  // A raw socket made by the (unzoned) test and inherited by alpha: raw_sendmsg
  // takes AF_UNSPEC as AF_INET too.
  int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  REQUIRE(raw >= 0);
  CHECK(run_in(&alpha, [&] { return sendto_as(raw, AF_UNSPEC, "10.1.2.3", 0, &kEcho, sizeof(kEcho)); }).err == EPERM);
  CHECK(run_in(nullptr, [&] { return sendto_as(raw, AF_UNSPEC, "10.1.2.3", 0, &kEcho, sizeof(kEcho)); }).err == 0);
  close(raw);
  CHECK(counters(SYVA_HOOK_SOCKET_SENDMSG).deny - before.deny == 4);
  drain_events();
}

TEST_CASE("egress: raw IP, packet and XDP sockets only in host mode; a raw or ping destination has no port",
          "[kernel][egress]") {
  REQUIRE_BPF_LSM();
  LoopbackAddress ten("10.1.2.3/8");
  REQUIRE(ten.added);
  PingForAll ping;
  apply_zone_rules(mode(1), mode(0), rules_for(kAlpha, {"10.0.0.0/8:5432", "10.1.2.3/32:1"}));
  Cgroup alpha("raw-alpha", kAlpha);
  Cgroup beta("raw-beta", kBeta);
  const auto before = counters(SYVA_HOOK_SOCKET_CREATE);
  drain_events();

  auto denied = run_in(&alpha, [] { return socket_errno(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)); });
  CHECK(denied.err == EPERM);
  auto e = only_event(drain_events(), SYVA_HOOK_SOCKET_CREATE, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.family == AF_PACKET);
  CHECK(e.aux == SOCK_RAW);
  CHECK(run_in(&alpha, [] { return socket_errno(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP)); }).err == EPERM);
  CHECK(run_in(&alpha, [] { return socket_errno(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP); }).err == EPERM);
  CHECK(run_in(&beta, [] { return socket_errno(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6); }).err == EPERM);
  CHECK(run_in(&beta, [] { return socket_errno(AF_INET, SOCK_RAW, IPPROTO_RAW); }).err == EPERM);
  CHECK(run_in(&alpha, [] { return socket_errno(AF_XDP, SOCK_RAW, 0); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_SOCKET_CREATE).deny - before.deny == 6);
  // Not raw: ping, UDP, TCP, Unix; and the unzoned test itself.
  CHECK(run_in(&alpha, [] { return socket_errno(AF_INET, SOCK_DGRAM, IPPROTO_ICMP); }).err == 0);
  CHECK(run_in(&alpha, [] { return socket_errno(AF_INET6, SOCK_DGRAM, 0); }).err == 0);
  CHECK(run_in(&alpha, [] { return socket_errno(AF_UNIX, SOCK_STREAM, 0); }).err == 0);
  CHECK(run_in(nullptr, [] { return socket_errno(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)); }).err == 0);

  // A raw socket's "port" (the protocol for raw IPv6, ignored for IPv4) and
  // a ping socket's are not ports: 10/8:5432 and 10.1.2.3:1 do not cover them.
  int raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  REQUIRE(raw >= 0);
  CHECK(run_in(&alpha, [&] { return sendto_as(raw, AF_INET, "10.1.2.3", 5432, &kEcho, sizeof(kEcho)); }).err == EPERM);
  CHECK(run_in(&alpha, [&] { return sendto_as(raw, AF_INET, "10.1.2.3", 1, &kEcho, sizeof(kEcho)); }).err == EPERM);
  CHECK(run_in(&alpha, [&] {
          int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
          if (fd < 0) return SYVA_TEST_EXIT_STEP1;
          int rc = sendto_as(fd, AF_INET, "10.1.2.3", 5432, &kEcho, sizeof(kEcho));
          close(fd);
          return rc;
        }).err == EPERM);
  // A prefix with every port covers them.
  apply_zone_rules(mode(1), mode(0), rules_for(kAlpha, {"10.0.0.0/8"}));
  CHECK(run_in(&alpha, [&] { return sendto_as(raw, AF_INET, "10.1.2.3", 5432, &kEcho, sizeof(kEcho)); }).err == 0);
  CHECK(run_in(&alpha, [&] {
          int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
          if (fd < 0) return SYVA_TEST_EXIT_STEP1;
          int rc = sendto_as(fd, AF_INET, "10.1.2.3", 0, &kEcho, sizeof(kEcho));
          close(fd);
          return rc;
        }).err == 0);
  close(raw);

  // host mode: the node's network.
  apply_zone_rules(mode(2), mode(0));
  CHECK(run_in(&alpha, [] { return socket_errno(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)); }).err == 0);
  CHECK(run_in(&alpha, [] { return socket_errno(AF_INET, SOCK_RAW, IPPROTO_ICMP); }).err == 0);
  CHECK(counters(SYVA_HOOK_SOCKET_CREATE).deny - before.deny == 6);
  drain_events();
}

TEST_CASE("egress: loopback is a zone's own only in a network namespace of its own; in the node's it is judged",
          "[kernel][egress]") {
  REQUIRE_BPF_LSM();
  Listener web(AF_INET, 8080);
  // alpha: bridged, may reach the node's 127.0.0.1:8080 only. beta: isolated.
  apply_zone_rules(mode(1), mode(0), rules_for(kAlpha, {"127.0.0.1/32:8080"}));
  Cgroup alpha("loopback-alpha", kAlpha);
  Cgroup beta("loopback-beta", kBeta);
  const auto before = counters(SYVA_HOOK_SOCKET_CONNECT);
  const auto send_before = counters(SYVA_HOOK_SOCKET_SENDMSG);
  drain_events();

  // In the node's namespace (hostNetwork): every node daemon's loopback.
  CHECK(run_in(&alpha, [] { return tcp_connect("127.0.0.1", 8080); }).err == 0);  // listed
  auto denied = run_in(&alpha, [] { return tcp_connect("127.0.0.2", 8080); });
  CHECK(denied.err == EPERM);
  auto e = only_event(drain_events(), SYVA_HOOK_SOCKET_CONNECT, denied.pid);
  CHECK((e.addr[12] == 127 && e.addr[15] == 2 && e.port == 8080));
  CHECK(run_in(&alpha, [] { return tcp_connect("0.0.0.0", 8080); }).err == EPERM);  // the host itself
  CHECK(run_in(&beta, [] { return tcp_connect("127.0.0.1", 8080); }).err == EPERM);
  CHECK(run_in(&beta, [] { return udp_sendto("127.0.0.1", 53); }).err == EPERM);
  CHECK(run_in(nullptr, [] { return tcp_connect("127.0.0.1", 8080); }).err == 0);

  // In a namespace of its own: its own loopback, for the isolated zone too.
  auto own_service = [] {
    return in_own_netns([] {
      if (listen_any(9090) < 0) return SYVA_TEST_EXIT_STEP3;
      const int v4 = tcp_connect("127.0.0.1", 9090), any = tcp_connect("0.0.0.0", 9090);
      const int udp = udp_sendto("127.0.0.1", 53);
      return v4 ? v4 : any ? any : udp;
    });
  };
  CHECK(run_in(&beta, own_service).err == 0);
  CHECK(run_in(&alpha, own_service).err == 0);

  // host mode: the node's loopback is its own.
  apply_zone_rules(mode(1), mode(2));
  CHECK(run_in(&beta, [] { return tcp_connect("127.0.0.1", 8080); }).err == 0);
  CHECK(counters(SYVA_HOOK_SOCKET_CONNECT).deny - before.deny == 3);
  CHECK(counters(SYVA_HOOK_SOCKET_SENDMSG).deny - send_before.deny == 1);
  drain_events();
}

namespace {

// Zones alpha (bridged, 10/8 and fd00::/16 on any port) and beta
// (isolated), optionally an allowed pair.
void apply_paired(bool alpha_beta_allowed) {
  CompiledPolicy p;
  p.zone_names = {"alpha", "beta"};
  p.zone_values = {mode(1), mode(0)};
  for (auto& v : p.zone_values) v.flags |= SYVA_ZONE_F_DEFINED;
  p.egress = rules_for(kAlpha, {"10.0.0.0/8", "fd00::/16"});
  if (alpha_beta_allowed) p.pairs = {{kAlpha, kBeta}, {kBeta, kAlpha}};
  enforcer().apply_policy(p);
}

// An address_zone entry for the test's lifetime, as the agent keeps one per
// zoned pod address.
struct PodAddress {
  syva_address address;
  PodAddress(const char* ip, uint32_t zone) : address(address_of(ip)) { enforcer().set_address_owner(address, zone); }
  ~PodAddress() { enforcer().remove_address_owner(address); }
};

}  // namespace

TEST_CASE("egress: another zone's pod address only for an allowed pair, whatever allowed_egress says",
          "[kernel][egress]") {
  REQUIRE_BPF_LSM();
  LoopbackAddress beta_pod("10.1.2.3/8"), alpha_pod("10.1.2.4/32"), nobody("10.1.2.5/32");
  REQUIRE((beta_pod.added && alpha_pod.added && nobody.added));
  Listener db(AF_INET, 5432);
  PodAddress beta_address("10.1.2.3", kBeta), alpha_address("10.1.2.4", kAlpha);
  apply_paired(false);
  Cgroup alpha("pods-alpha", kAlpha);
  Cgroup beta("pods-beta", kBeta);
  const auto before = counters(SYVA_HOOK_ZONE_ADDRESS);
  drain_events();

  // Not paired: alpha's 10/8 rule does not reach beta's pod; alpha's own
  // pod and an address of no zone are allowed_egress's to judge.
  auto denied = run_in(&alpha, [] { return tcp_connect("10.1.2.3", 5432); });
  CHECK(denied.err == EPERM);
  auto e = only_event(drain_events(), SYVA_HOOK_ZONE_ADDRESS, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  CHECK((e.family == AF_INET && e.port == 5432 && e.addr[12] == 10 && e.addr[15] == 3));
  CHECK(run_in(&alpha, [] { return udp_sendto("10.1.2.3", 53); }).err == EPERM);
  CHECK(run_in(&alpha, [] { return tcp_connect("10.1.2.4", 5432); }).err == 0);  // its own
  CHECK(run_in(&alpha, [] { return tcp_connect("10.1.2.5", 5432); }).err == 0);  // no zone's: 10/8
  CHECK(run_in(&beta, [] { return tcp_connect("10.1.2.4", 5432); }).err == EPERM);
  CHECK(run_in(&beta, [] { return tcp_connect("10.1.2.3", 5432); }).err == 0);  // its own, though isolated
  CHECK(run_in(nullptr, [] { return tcp_connect("10.1.2.3", 5432); }).err == 0);
  CHECK(counters(SYVA_HOOK_ZONE_ADDRESS).deny - before.deny == 3);

  LoopbackAddress v6("fd00::3/128");
  if (v6.added) {
    Listener db6(AF_INET6, 5432);
    PodAddress beta_v6("fd00::3", kBeta);
    CHECK(run_in(&alpha, [] { return tcp_connect("fd00::3", 5432); }).err == EPERM);
    apply_paired(true);
    CHECK(run_in(&alpha, [] { return tcp_connect("fd00::3", 5432); }).err == 0);
  }

  // Paired: both ways, whatever the caller's mode (beta is isolated).
  apply_paired(true);
  CHECK(run_in(&alpha, [] { return tcp_connect("10.1.2.3", 5432); }).err == 0);
  CHECK(run_in(&alpha, [] { return udp_sendto("10.1.2.3", 53); }).err == 0);
  CHECK(run_in(&beta, [] { return tcp_connect("10.1.2.4", 5432); }).err == 0);
  CHECK(run_in(&beta, [] { return tcp_connect("10.1.2.5", 5432); }).err == EPERM);  // not a pod: isolated
  CHECK(counters(SYVA_HOOK_ZONE_ADDRESS).deny - before.deny == (v6.added ? 4 : 3));
  drain_events();
}
