// SPDX-License-Identifier: Apache-2.0
// Zoned containers' addresses: what the CRI sandbox record names, what
// address_zone should hold for a set of containers, and the writes that make
// the map so, against a sink that records them.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "support/containerd_records.h"
#include "unit/null_membership_sink.h"
#include "watcher/address_table.h"
#include "watcher/container_addresses.h"
#include "watcher/container_metadata.h"
#include "watcher/zone_resolver.h"

using namespace syva;

namespace {

syva_address at(const std::string& text) {
  auto a = parse_address(text);
  REQUIRE(a);
  return *a;
}

struct AddressSink : test::NullMembershipSink {
  AddressZones map;
  int writes = 0;
  uint32_t unread = 0;
  std::string unread_why;
  ZoneSlot zone_for(const std::string&) override { return {1, true}; }
  void set_address_owner(const syva_address& a, uint32_t zone) override {
    ++writes;
    map[a] = zone;
  }
  void remove_address_owner(const syva_address& a) override {
    ++writes;
    map.erase(a);
  }
  AddressZones address_owners() override { return map; }
  void addresses_unread(uint32_t count, const std::string& why) override {
    unread = count;
    unread_why = why;
  }
  uint32_t zone_of(const std::string& text) const {
    auto it = map.find(at(text));
    return it == map.end() ? 0 : it->second;
  }
};

Member pod(const std::string& id, uint32_t zone, std::vector<std::string> ips) {
  Member m;
  m.ns = "k8s.io";
  m.container_id = id;
  m.zone = "z" + std::to_string(zone);
  m.zone_id = zone;
  for (const auto& ip : ips) m.addresses.addresses.push_back(at(ip));
  return m;
}

}  // namespace

TEST_CASE("addresses: text to the map's key, IPv4 mapped into IPv6; loopback recognised", "[addresses]") {
  const auto v4 = at("192.0.2.7");
  CHECK(v4.addr[10] == 0xff);
  CHECK(v4.addr[11] == 0xff);
  CHECK(v4.addr[12] == 192);
  CHECK(v4.addr[15] == 7);
  CHECK(format_address(v4) == "192.0.2.7");
  CHECK(format_address(at("2001:db8::7")) == "2001:db8::7");
  CHECK_FALSE(parse_address(""));
  CHECK_FALSE(parse_address("10.0.0.0/8"));
  CHECK_FALSE(parse_address("pod-ip"));
  CHECK(is_loopback(at("127.0.0.1")));
  CHECK(is_loopback(at("127.5.6.7")));
  CHECK(is_loopback(at("::1")));
  CHECK_FALSE(is_loopback(at("192.0.2.7")));
  CHECK_FALSE(is_loopback(at("::2")));
}

TEST_CASE("addresses: a pod's IP and AdditionalIPs from its CRI sandbox record reach its containers' claims",
          "[addresses]") {
  const auto sandbox =
      test::cri_sandbox("sb1", R"({"syva.dev/zone":"frontend"})", "10.244.0.12", R"(["fd00:244::12"])");
  const auto record = sandbox_pod(sandbox);
  REQUIRE(record);
  CHECK(record->ips == std::vector<std::string>{"10.244.0.12", "fd00:244::12"});
  // A host-network pod: the CRI plugin records no IP.
  const auto host = sandbox_pod(test::cri_sandbox("sb2", "{}", "", "null"));
  REQUIRE(host);
  CHECK(host->ips.empty());

  const auto container = test::cri_container("c1", "sb1");
  const ZoneClaim claim = resolve_zone("k8s.io", container, [&](const std::string& id) -> std::optional<Container> {
    if (id == "sb1") return sandbox;
    return std::nullopt;
  });
  CHECK(claim.requested == "frontend");
  CHECK(claim.pod_ips == record->ips);
  // The sandbox's own claim carries them too.
  CHECK(resolve_zone("k8s.io", sandbox, nullptr).pod_ips == record->ips);
}

TEST_CASE("addresses: the plan maps each holder's addresses to its zone, never loopback or the node's", "[addresses]") {
  const std::vector<AddressHolder> holders{
      {"a", 3, {at("192.0.2.10"), at("127.0.0.1"), at("::1"), at("2001:db8::10")}},
      {"a-sidecar", 3, {at("192.0.2.10")}},  // same pod, same namespace: no conflict
      {"b", 4, {at("192.0.2.20"), at("198.51.100.1")}},
  };
  const auto plan = plan_addresses(holders, {at("198.51.100.1")});
  CHECK(plan.conflicts.empty());
  CHECK(plan.wanted.size() == 3);
  CHECK(plan.wanted.at(at("192.0.2.10")) == 3);
  CHECK(plan.wanted.at(at("2001:db8::10")) == 3);
  CHECK(plan.wanted.at(at("192.0.2.20")) == 4);
  CHECK_FALSE(plan.wanted.count(at("198.51.100.1")));  // the node's own
  CHECK_FALSE(plan.wanted.count(at("127.0.0.1")));
}

TEST_CASE("addresses: an address two zones claim is quarantine's, not either zone's", "[addresses]") {
  const auto plan =
      plan_addresses({{"a", 3, {at("192.0.2.10")}}, {"b", 4, {at("192.0.2.10")}}, {"c", 3, {at("192.0.2.10")}}}, {});
  REQUIRE(plan.conflicts.size() == 1);
  CHECK(plan.conflicts[0].find("192.0.2.10 is held by a (zone id 3) and by b (zone id 4)") != std::string::npos);
  CHECK(plan.wanted.at(at("192.0.2.10")) == SYVA_ZONE_QUARANTINE);
}

TEST_CASE("addresses: the diff writes what is missing or in another zone, removes containers' entries no one "
          "holds, and leaves the node's entries",
          "[addresses]") {
  const AddressZones current{{at("192.0.2.10"), 3},                  // right
                             {at("192.0.2.11"), 5},                  // reused by a pod of zone 4
                             {at("192.0.2.12"), 3},                  // stale: its pod is gone
                             {at("198.51.100.1"), SYVA_ZONE_NONE}};  // the node's
  const AddressZones wanted{{at("192.0.2.10"), 3}, {at("192.0.2.11"), 4}, {at("192.0.2.13"), 4}};
  const auto changes = diff_addresses(wanted, current);
  CHECK(changes.write.size() == 2);
  CHECK(changes.write.at(at("192.0.2.11")) == 4);
  CHECK(changes.write.at(at("192.0.2.13")) == 4);
  REQUIRE(changes.remove.size() == 1);
  CHECK(format_address(changes.remove[0]) == "192.0.2.12");
  CHECK(diff_addresses(wanted, wanted).empty());
}

TEST_CASE("addresses: the table follows containers as they come and go, and reconcile makes the map exact",
          "[addresses]") {
  AddressSink sink;
  sink.map[at("198.51.100.1")] = SYVA_ZONE_NONE;  // the node's, written by the main loop
  sink.map[at("192.0.2.99")] = 7;                 // left by an earlier agent
  AddressTable table(sink);

  // The first sync compares with the map itself, as a reconcile does.
  table.sync({pod("a", 3, {"192.0.2.10"}), pod("b", 4, {"192.0.2.20"})}, true);
  CHECK(sink.zone_of("192.0.2.10") == 3);
  CHECK(sink.zone_of("192.0.2.20") == 4);
  CHECK_FALSE(sink.map.count(at("192.0.2.99")));
  CHECK(sink.map.at(at("198.51.100.1")) == SYVA_ZONE_NONE);

  // Nothing changed: nothing written.
  const int writes = sink.writes;
  table.sync({pod("a", 3, {"192.0.2.10"}), pod("b", 4, {"192.0.2.20"})}, false);
  CHECK(sink.writes == writes);

  // b goes; a new pod of another zone gets b's address.
  table.sync({pod("a", 3, {"192.0.2.10"})}, false);
  CHECK_FALSE(sink.map.count(at("192.0.2.20")));
  table.sync({pod("a", 3, {"192.0.2.10"}), pod("c", 5, {"192.0.2.20"})}, false);
  CHECK(sink.zone_of("192.0.2.20") == 5);

  // Something else changed the map behind the table's back: reconcile puts
  // it right even though the containers did not change.
  sink.map.erase(at("192.0.2.10"));
  sink.map[at("192.0.2.50")] = 3;
  table.sync({pod("a", 3, {"192.0.2.10"}), pod("c", 5, {"192.0.2.20"})}, true);
  CHECK(sink.zone_of("192.0.2.10") == 3);
  CHECK_FALSE(sink.map.count(at("192.0.2.50")));
  CHECK(sink.map.at(at("198.51.100.1")) == SYVA_ZONE_NONE);

  // Everyone gone: only the node's entry stays.
  table.sync({}, false);
  CHECK(sink.map.size() == 1);
}

TEST_CASE("addresses: a zoned container whose addresses could not be read is reported until it goes", "[addresses]") {
  AddressSink sink;
  AddressTable table(sink);
  Member broken = pod("a", 3, {});
  broken.addresses.error = "cannot read /proc/4242/net/fib_trie: No such file or directory";
  table.sync({broken, pod("b", 4, {"192.0.2.20"})}, true);
  CHECK(sink.unread == 1);
  CHECK(sink.unread_why.find("container a in namespace k8s.io: cannot read /proc/4242/net/fib_trie") !=
        std::string::npos);
  table.sync({pod("b", 4, {"192.0.2.20"})}, false);
  CHECK(sink.unread == 0);
}

TEST_CASE("addresses: a process in PID 1's network namespace has none of its own, the record's included",
          "[addresses]") {
  struct stat node {
  }, self{};
  if (stat("/proc/1/ns/net", &node) != 0 || stat("/proc/self/ns/net", &self) != 0) {
    WARN("cannot compare network namespaces here: " << strerror(errno));
    return;
  }
  const auto mine = read_container_addresses(getpid(), {"192.0.2.10"});
  CHECK(mine.error.empty());
  if (node.st_ino == self.st_ino) {
    CHECK(mine.node_network);
    CHECK(mine.addresses.empty());
  } else {
    CHECK_FALSE(mine.node_network);
    CHECK(std::count_if(mine.addresses.begin(), mine.addresses.end(),
                        [](const syva_address& a) { return format_address(a) == "192.0.2.10"; }) == 1);
  }
}
