// SPDX-License-Identifier: Apache-2.0
// [network] mode and allowed_egress against the real kernel: IPv4 and IPv6
// connect() and sendto() of zoned processes, to addresses this test puts on
// the VM's loopback device so that an allowed connection really succeeds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "kernel/zone_fixture.h"
#include "policy/egress_rule.h"

using namespace syva;
using namespace syva::ktest;

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

sockaddr_storage address(const char* ip, uint16_t port, socklen_t& len) {
  sockaddr_storage ss{};
  if (strchr(ip, ':')) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a->sin6_addr);
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, ip, &a->sin_addr);
    len = sizeof(*a);
  }
  return ss;
}

int tcp_connect(const char* ip, uint16_t port) {
  socklen_t len;
  auto ss = address(ip, port, len);
  int fd = socket(ss.ss_family, SOCK_STREAM, 0);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 ? 0 : errno;
  close(fd);
  return rc;
}

int udp_sendto(const char* ip, uint16_t port) {
  socklen_t len;
  auto ss = address(ip, port, len);
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

  CHECK(run_in(&alpha, [] { return tcp_connect("127.0.0.1", 8080); }).err == 0);    // loopback stays allowed
  CHECK(run_in(&beta, [] { return tcp_connect("10.1.2.3", 5432); }).err == EPERM);  // isolated
  CHECK(run_in(&beta, [] { return tcp_connect("127.0.0.1", 5432); }).err == 0);
  CHECK(run_in(nullptr, [] { return tcp_connect("10.1.2.3", 8080); }).err == 0);  // unzoned

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
  CHECK(run_in(&alpha, [] { return tcp_connect("::1", 9999); }).err ==
        ECONNREFUSED);  // loopback: allowed, no one there
  CHECK(counters(SYVA_HOOK_SOCKET_CONNECT).deny - before.deny == 1);
  drain_events();
}
