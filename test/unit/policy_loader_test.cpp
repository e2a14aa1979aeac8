// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <sys/socket.h>

#include "policy/policy_loader.h"
#include "unit/policy_test_util.h"

using namespace syva;

TEST_CASE("the shipped policies load and use every section", "[policy]") {
  auto zones = load_policy_dir(std::string(SYVA_SOURCE_DIR) + "/policies");
  REQUIRE(zones.size() == 3);
  CHECK(zones[0].name == "database");
  CHECK(zones[1].name == "frontend");
  CHECK(zones[2].name == "monitoring");
  const auto& db = zones[0];
  CHECK_FALSE(db.audit);
  CHECK(db.capabilities_given);
  CHECK(db.capability_names ==
        std::vector<std::string>{"CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"});
  CHECK(db.capabilities_allowed == ((1ull << 10) | (1ull << 0) | (1ull << 6) | (1ull << 7)));
  CHECK(db.cpu_shares == 1024u);
  CHECK(db.memory_limit == 536870912ull);
  CHECK(db.pids_max == 512u);
  CHECK(db.network_mode == NetworkMode::bridged);
  CHECK(db.writable_paths == std::vector<std::string>{"/data", "/tmp", "/var/log"});
  CHECK(db.host_paths == std::vector<std::string>{"/srv/syva/database"});
  CHECK(db.syscalls_deny == std::vector<std::string>{"mount", "umount2", "pivot_root", "bpf"});
  REQUIRE(zones[1].allowed_egress.size() == 2);
  CHECK(zones[1].allowed_egress[1].family == AF_INET6);
  CHECK(zones[1].allowed_egress[1].port == 443);
  CHECK(zones[2].audit);
  CHECK_FALSE(zones[2].capabilities_given);
}

TEST_CASE("an empty file is a zone with defaults", "[policy]") {
  test::PolicyDir dir;
  dir.write("web-1.toml", "");
  auto zones = load_policy_dir(dir.path());
  REQUIRE(zones.size() == 1);
  CHECK(zones[0].name == "web-1");
  CHECK(zones[0].network_mode == NetworkMode::isolated);
  CHECK(zones[0].capabilities_allowed == 0);
  CHECK_FALSE(zones[0].memory_limit.has_value());
}

TEST_CASE("ConfigMap layout: dot entries and non-toml files are skipped", "[policy]") {
  test::PolicyDir dir;
  std::filesystem::create_directory(dir.path() + "/..2026_11_22_data");
  dir.write("..2026_11_22_data/a.toml", "");
  std::filesystem::create_directory_symlink("..2026_11_22_data", dir.path() + "/..data");
  std::filesystem::create_symlink("..data/a.toml", dir.path() + "/a.toml");
  dir.write("README", "not a policy");
  auto zones = load_policy_dir(dir.path());
  REQUIRE(zones.size() == 1);
  CHECK(zones[0].name == "a");
}

TEST_CASE("egress rules parse IPv4, IPv6 and optional ports", "[policy]") {
  std::string err;
  auto r = parse_egress_rule("10.0.0.0/8:443", err);
  REQUIRE(r);
  CHECK(r->family == AF_INET);
  CHECK(r->prefix_len == 8);
  CHECK(r->port == 443);
  r = parse_egress_rule("2001:db8::/32", err);
  REQUIRE(r);
  CHECK(r->family == AF_INET6);
  CHECK(r->prefix_len == 32);
  CHECK(r->port == 0);
  CHECK_FALSE(parse_egress_rule("10.0.0.1/8:443", err));
  CHECK(err.find("bits set beyond /8") != std::string::npos);
  CHECK_FALSE(parse_egress_rule("10.0.0.0/33", err));
  CHECK_FALSE(parse_egress_rule("10.0.0.0/8:70000", err));
  CHECK_FALSE(parse_egress_rule("example.com/8", err));
  CHECK_FALSE(parse_egress_rule("10.0.0.0", err));
}
