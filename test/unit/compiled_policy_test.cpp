#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <filesystem>

#include "enforcer/kernel_ids.h"
#include "policy/compiled_policy.h"
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
  for (const auto& [key, zone] : p.inodes) CHECK_FALSE((key.ino == passwd.st_ino && key.dev == kernel_dev(passwd.st_dev)));
}

TEST_CASE("host path tagging refuses conflicts and stops at its limit", "[compile]") {
  test::PolicyDir dir;
  test::PolicyDir owned;
  for (int i = 0; i < 10; ++i) owned.write("f" + std::to_string(i), "");
  dir.write("a.toml", "[filesystem]\nhost_paths = [\"" + owned.path() + "\"]\n");
  CHECK_THROWS_WITH(compile_policy(load_policy_dir(dir.path()), 5),
                    Catch::Contains("a.toml:2: [filesystem] host_paths: more than 5 inodes"));
  dir.write("b.toml", "\n\n[filesystem]\nhost_paths = [\"" + owned.path() + "/f3\"]\n");
  CHECK_THROWS_WITH(compile_policy(load_policy_dir(dir.path())),
                    Catch::Contains("b.toml:4: [filesystem] host_paths: '" + owned.path() +
                                    "/f3' is also owned by zone 'a'"));
}
