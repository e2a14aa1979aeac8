// SPDX-License-Identifier: Apache-2.0
// The node's addresses from /proc/net/fib_trie and /proc/net/if_inet6 as
// Linux 6.1 writes them.
#include <catch2/catch.hpp>
#include <cstring>
#include <sstream>

#include "daemon/node_addresses.h"

using namespace syva;

namespace {

syva_address v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  syva_address out{};
  out.addr[10] = out.addr[11] = 0xff;
  out.addr[12] = a;
  out.addr[13] = b;
  out.addr[14] = c;
  out.addr[15] = d;
  return out;
}

bool same(const syva_address& a, const syva_address& b) { return memcmp(a.addr, b.addr, 16) == 0; }

}  // namespace

TEST_CASE("node addresses: the /32 host LOCAL leaves of fib_trie, once each, loopback left out", "[node_addresses]") {
  std::istringstream text(R"(Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 10.0.2.0/24 2 0 2
        |-- 10.0.2.0
           /24 link UNICAST
        |-- 10.0.2.15
           /32 host LOCAL
        |-- 10.0.2.255
           /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        |-- 127.0.0.1
           /32 host LOCAL
Local:
  +-- 0.0.0.0/0 3 0 5
     +-- 10.0.2.0/24 2 0 2
        |-- 10.0.2.15
           /32 host LOCAL
     |-- 10.88.0.1
        /32 host LOCAL
)");
  const auto found = fib_trie_local_addresses(text);
  REQUIRE(found.size() == 2);
  CHECK(same(found[0], v4(10, 0, 2, 15)));
  CHECK(same(found[1], v4(10, 88, 0, 1)));
}

TEST_CASE("node addresses: if_inet6's addresses, ::1 left out", "[node_addresses]") {
  std::istringstream text(
      "00000000000000000000000000000001 01 80 10 80       lo\n"
      "fd780000000000000000000000000001 05 40 00 80 syva-zn-n\n"
      "fe800000000000000000000000000001 05 40 20 80 syva-zn-n\n");
  const auto found = if_inet6_addresses(text);
  REQUIRE(found.size() == 2);
  CHECK((found[0].addr[0] == 0xfd && found[0].addr[1] == 0x78 && found[0].addr[15] == 1));
  CHECK((found[1].addr[0] == 0xfe && found[1].addr[1] == 0x80 && found[1].addr[15] == 1));
}
