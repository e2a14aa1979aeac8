// SPDX-License-Identifier: Apache-2.0
// Zone ids across policy changes: what stays keeps its id, what is new takes
// a free one, and nothing in use is ever renumbered.
#include <catch2/catch.hpp>

#include "enforcer/zone_slots.h"

using syva::assign_zone_ids;
using Names = std::vector<std::string>;

TEST_CASE("a first start gives ids in name order", "[zone-ids]") {
  CHECK(assign_zone_ids({}, {"database", "frontend", "monitoring"}, {}) == Names{"database", "frontend", "monitoring"});
}

TEST_CASE("a zone added before the others in name order does not move them", "[zone-ids]") {
  CHECK(assign_zone_ids({"database", "frontend"}, {"analytics", "database", "frontend"}, {}) ==
        Names{"database", "frontend", "analytics"});
}

TEST_CASE("a removed zone frees its id unless containers are still in it", "[zone-ids]") {
  const Names current{"database", "frontend", "monitoring"};
  CHECK(assign_zone_ids(current, {"database", "monitoring"}, {}) == Names{"database", "", "monitoring"});
  CHECK(assign_zone_ids(current, {"database", "monitoring"}, {"frontend"}) == current);
  CHECK(assign_zone_ids(current, {"database", "frontend"}, {}) == Names{"database", "frontend"});  // trailing id freed
}

TEST_CASE("new zones fill freed ids first, lowest first", "[zone-ids]") {
  CHECK(assign_zone_ids({"a", "", "c", ""}, {"a", "c", "x", "y", "z"}, {}) == Names{"a", "x", "c", "y", "z"});
}

TEST_CASE("a zone made for a container without a policy file keeps its id when a policy defines it", "[zone-ids]") {
  CHECK(assign_zone_ids({"database", "frontend", "payments"}, {"database", "frontend", "payments"}, {"payments"}) ==
        Names{"database", "frontend", "payments"});
}
