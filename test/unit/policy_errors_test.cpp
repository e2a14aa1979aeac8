// SPDX-License-Identifier: Apache-2.0
// Every validation error names the file, the line and the field.
#include <catch2/catch.hpp>

#include "policy/policy_loader.h"
#include "support/bad_policies.h"
#include "unit/policy_test_util.h"

using namespace syva;
using syva::test::kBadPolicies;

TEST_CASE("each invalid policy gets one clear error naming file, line and field", "[policy]") {
  for (const auto& c : kBadPolicies) {
    DYNAMIC_SECTION(c.what) {
      test::PolicyDir dir;
      dir.write(c.file, c.body);
      try {
        load_policy_dir(dir.path());
        FAIL("accepted: " << c.what);
      } catch (const PolicyError& e) {
        REQUIRE(e.problems().size() == 1);
        INFO(e.problems()[0]);
        CHECK(e.problems()[0].find(c.expected) != std::string::npos);
        CHECK(e.problems()[0].find(dir.path()) == 0);
      }
    }
  }
}

TEST_CASE("all problems of all files are reported together", "[policy]") {
  test::PolicyDir dir;
  dir.write("a.toml", "[resources]\npids_max = -1\n");
  dir.write("b.toml", "[network]\nmode = \"x\"\n");
  try {
    load_policy_dir(dir.path());
    FAIL("accepted");
  } catch (const PolicyError& e) {
    CHECK(e.problems().size() == 2);
  }
}

TEST_CASE("an empty or missing directory is an error", "[policy]") {
  test::PolicyDir dir;
  CHECK_THROWS_WITH(load_policy_dir(dir.path()), Catch::Contains("no zone policies"));
  CHECK_THROWS_WITH(load_policy_dir(dir.path() + "/nope"), Catch::Contains("not a directory"));
}
