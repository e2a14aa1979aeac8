// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <filesystem>

#include <fmt/format.h>

#include "enforcer/kernel_ids.h"
#include "policy/compiled_policy.h"
#include "policy/egress_rule.h"
#include "policy/egress_table.h"
#include "policy/policy_loader.h"
#include "unit/policy_test_util.h"

using namespace syva;

namespace {

bool has_pair(const CompiledPolicy& p, uint32_t a, uint32_t b) {
  for (const auto& x : p.pairs)
    if (x.a == a && x.b == b) return true;
  return false;
}

}  // namespace

TEST_CASE("zone ids are 1-based in name order", "[compile]") {
  test::PolicyDir dir;
  dir.write("zeta.toml", "");
  dir.write("alpha.toml", "");
  dir.write("mid.toml", "");
  auto p = compile_policy(load_policy_dir(dir.path()));
  CHECK(p.id_of("alpha") == 1);
  CHECK(p.id_of("mid") == 2);
  CHECK(p.id_of("zeta") == 3);
  CHECK(p.id_of("nope") == SYVA_ZONE_NONE);
  CHECK(p.zone_values[0].flags & SYVA_ZONE_F_DEFINED);
}

TEST_CASE("a pair is allowed only when both zones list each other", "[compile]") {
  test::PolicyDir dir;
  dir.write("a.toml", "[network]\nallowed_zones = [\"b\", \"c\"]\n");
  dir.write("b.toml", "[network]\nallowed_zones = [\"a\"]\n");
  dir.write("c.toml", "");  // c does not list a back
  auto p = compile_policy(load_policy_dir(dir.path()));
  CHECK(p.pairs.size() == 2);
  CHECK(has_pair(p, 1, 2));
  CHECK(has_pair(p, 2, 1));
  CHECK_FALSE(has_pair(p, 1, 3));
  CHECK_FALSE(has_pair(p, 3, 1));
}

TEST_CASE("host paths are tagged by (kernel dev, ino), recursively", "[compile]") {
  test::PolicyDir dir;
  test::PolicyDir owned;
  std::filesystem::create_directories(owned.path() + "/sub");
  owned.write("sub/secret", "x");
  std::filesystem::create_symlink("/etc/passwd", owned.path() + "/link");  // not followed
  dir.write("db.toml", "[filesystem]\nhost_paths = [\"" + owned.path() + "\", \"/nonexistent/syva\"]\n");
  auto p = compile_policy(load_policy_dir(dir.path()));
  REQUIRE(p.inodes.size() == 4);  // dir, sub, sub/secret, link
  struct stat st;
  REQUIRE(stat((owned.path() + "/sub/secret").c_str(), &st) == 0);
  bool found = false;
  for (const auto& [key, zone] : p.inodes)
    if (key.dev == kernel_dev(st.st_dev) && key.ino == st.st_ino) found = zone == 1;
  CHECK(found);
  struct stat passwd;
  REQUIRE(stat("/etc/passwd", &passwd) == 0);
  for (const auto& [key, zone] : p.inodes)
    CHECK_FALSE((key.ino == passwd.st_ino && key.dev == kernel_dev(passwd.st_dev)));
}

TEST_CASE("host path tagging refuses conflicts; at its limit it owns what fits and says so", "[compile]") {
  test::PolicyDir dir;
  test::PolicyDir owned;
  for (int i = 0; i < 10; ++i) owned.write("f" + std::to_string(i), "");
  dir.write("a.toml", "[filesystem]\nhost_paths = [\"" + owned.path() + "\"]\n");
  // Too many files on the node is not the policy's fault: the rest of it is
  // enforced, and what did not fit is named.
  const auto limited = compile_policy(load_policy_dir(dir.path()), 5);
  CHECK(limited.inodes.size() == 5);
  REQUIRE(limited.degraded.size() == 1);
  CHECK_THAT(limited.degraded[0], Catch::Contains("a.toml:2: [filesystem] host_paths: more than 5 inodes"));
  CHECK(compile_policy(load_policy_dir(dir.path())).degraded.empty());
  dir.write("b.toml", "\n\n[filesystem]\nhost_paths = [\"" + owned.path() + "/f3\"]\n");
  CHECK_THROWS_WITH(
      compile_policy(load_policy_dir(dir.path())),
      Catch::Contains("b.toml:4: [filesystem] host_paths: '" + owned.path() + "/f3' is also owned by zone 'a'"));
}

TEST_CASE("a zone's own rules reach zone_policy: audit mode, capabilities, denied syscalls", "[compile]") {
  test::PolicyDir dir;
  dir.write("a.toml", "[zone]\nmode = \"audit\"\n[capabilities]\nallowed = [\"CAP_CHOWN\", \"CAP_KILL\"]\n"
                      "[syscalls]\ndeny = [\"mount\", \"umount2\", \"finit_module\", \"ptrace\"]\n");
  dir.write("b.toml", "[capabilities]\nallowed = []\n");
  dir.write("c.toml", "[zone]\nmode = \"enforce\"\n[network]\naccept_from_node = false\n");
  auto p = compile_policy(load_policy_dir(dir.path()));
  const auto& a = p.zone_values[p.id_of("a") - 1];
  CHECK(a.flags == (SYVA_ZONE_F_DEFINED | SYVA_ZONE_F_AUDIT | SYVA_ZONE_F_CAPS | SYVA_ZONE_F_FROM_NODE));
  CHECK(a.caps_allowed == ((1ull << 0) | (1ull << 5)));  // CAP_CHOWN 0, CAP_KILL 5
  CHECK(a.denied_ops ==
        ((1ull << SYVA_OP_MOUNT) | (1ull << SYVA_OP_UMOUNT) | (1ull << SYVA_OP_MODULE) | (1ull << SYVA_OP_PTRACE)));
  // An empty list is a list: no capability at all.
  const auto& b = p.zone_values[p.id_of("b") - 1];
  CHECK(b.flags == (SYVA_ZONE_F_DEFINED | SYVA_ZONE_F_CAPS | SYVA_ZONE_F_FROM_NODE));
  CHECK(b.caps_allowed == 0);
  // No [capabilities] section: capabilities are not Syva's to restrict.
  // accept_from_node = false: the node's packets are judged as any sender's.
  const auto& c = p.zone_values[p.id_of("c") - 1];
  CHECK(c.flags == SYVA_ZONE_F_DEFINED);
  CHECK(c.denied_ops == 0);
}

TEST_CASE("allowed_egress becomes trie entries that carry the ports of every covering rule", "[compile][egress]") {
  std::vector<std::string> problems;
  std::string error;
  auto rule = [&](const char* text) { return *parse_egress_rule(text, error); };
  auto entries =
      egress_entries(7, {rule("10.0.0.0/8:5432"), rule("10.1.0.0/16:8080"), rule("::/0:443")}, "f", problems);
  CHECK(problems.empty());
  REQUIRE(entries.size() == 3);
  auto find = [&](unsigned prefixlen) -> const syva_egress_ports* {
    for (const auto& [k, v] : entries)
      if (k.prefixlen == prefixlen && k.zone == 7) return &v;
    return nullptr;
  };
  // ::/0 (32 zone bits + 0), 10/8 as ::ffff:10.0.0.0/104, 10.1/16 as /112.
  const auto* all = find(32);
  const auto* ten = find(32 + 104);
  const auto* ten_one = find(32 + 112);
  REQUIRE(all);
  REQUIRE(ten);
  REQUIRE(ten_one);
  CHECK(all->count == 1);
  CHECK(all->ports[0] == 443);
  CHECK(ten->count == 2);  // 443 from ::/0, which covers every IPv4-mapped address, and 5432
  CHECK(ten_one->count == 3);
  CHECK_FALSE(ten_one->any);
  for (const auto& [k, v] : entries)
    if (k.prefixlen == 32 + 104) CHECK((k.addr[10] == 0xff && k.addr[11] == 0xff && k.addr[12] == 10));
}

TEST_CASE("a port-less rule allows every port of its prefix and of the prefixes it covers", "[compile][egress]") {
  std::vector<std::string> problems;
  std::string error;
  auto entries = egress_entries(
      1, {*parse_egress_rule("10.0.0.0/8", error), *parse_egress_rule("10.9.0.0/16:1", error)}, "f", problems);
  REQUIRE(entries.size() == 2);
  for (const auto& [k, v] : entries) CHECK(v.any == 1);
}

TEST_CASE("an isolated zone with allowed_egress is an error that says how to fix it", "[compile][egress]") {
  test::PolicyDir dir;
  dir.write("a.toml", "[network]\nallowed_egress = [\"10.0.0.0/8:53\"]\n");
  try {
    load_policy_dir(dir.path());
    FAIL("accepted");
  } catch (const PolicyError& e) {
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].find("a.toml:2: [network] allowed_egress: the zone is isolated") != std::string::npos);
    CHECK(e.problems()[0].find("mode = \"bridged\"") != std::string::npos);
  }
}

TEST_CASE("writable_paths are enforced only when given, as the container sees them", "[compile][writable]") {
  test::PolicyDir dir;
  dir.write("a.toml", "[filesystem]\nwritable_paths = [\"/data/\", \"/tmp\"]\n");
  dir.write("b.toml", "[filesystem]\nwritable_paths = []\n");
  dir.write("c.toml", "");
  auto p = compile_policy(load_policy_dir(dir.path()));
  CHECK((p.zone_values[p.id_of("a") - 1].flags & SYVA_ZONE_F_WRITABLE) != 0);
  CHECK((p.zone_values[p.id_of("b") - 1].flags & SYVA_ZONE_F_WRITABLE) != 0);  // nothing writable
  CHECK((p.zone_values[p.id_of("c") - 1].flags & SYVA_ZONE_F_WRITABLE) == 0);
  REQUIRE(p.writable.size() == 2);
  CHECK(p.writable[0].first == p.id_of("a"));
  CHECK(p.writable[0].second.count == 2);
  CHECK(std::string(p.writable[0].second.paths[0]) == "/data");  // normalised
  CHECK(std::string(p.writable[0].second.paths[1]) == "/tmp");
  CHECK(p.writable[1].second.count == 0);
}

TEST_CASE("a policy the kernel's maps cannot hold is refused offline, naming the file that adds most",
          "[compile][capacity]") {
  test::PolicyDir dir;
  std::string rules;
  for (uint32_t i = 0; i < SYVA_MAX_EGRESS_RULES; ++i)
    rules += fmt::format("{}\"10.{}.{}.0/24:443\"", rules.empty() ? "" : ", ", i / 256, i % 256);
  dir.write("big.toml", "[network]\nmode = \"bridged\"\nallowed_egress = [" + rules + "]\n");
  dir.write("small.toml", "[network]\nmode = \"bridged\"\nallowed_egress = [\"192.168.0.0/16:80\"]\n");
  const auto zones = load_policy_dir(dir.path());
  try {
    compile_policy(zones);
    FAIL("accepted");
  } catch (const PolicyError& e) {
    REQUIRE(e.problems().size() == 1);
    CHECK(e.problems()[0].find(fmt::format("big.toml:3: [network] allowed_egress: the policies need {} egress rules "
                                           "and the kernel map egress_rules holds {} (this file: {})",
                                           SYVA_MAX_EGRESS_RULES + 1, SYVA_MAX_EGRESS_RULES,
                                           SYVA_MAX_EGRESS_RULES)) != std::string::npos);
  }
  dir.write("small.toml", "[network]\nmode = \"bridged\"\n");
  CHECK(compile_policy(load_policy_dir(dir.path())).egress.size() == SYVA_MAX_EGRESS_RULES);
}
