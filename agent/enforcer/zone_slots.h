// SPDX-License-Identifier: Apache-2.0
// Kernel zone ids across policy changes. Maps hold zone ids, not names, so
// an id must keep meaning the same zone for as long as anything refers to
// it: a zone that stays keeps its id, and a new one never takes an id that
// a member or an owned filesystem still uses.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace syva {

// `current`: the kernel's zones by id ([id - 1], "" for a free id).
// `wanted`: the new policy's zones. `in_use`: zones something still refers
// to. Returns the new table: zones of `current` that are wanted or in use
// keep their id, other ids are freed, and wanted zones not yet present take
// the lowest free ids in the order given (so a first start gives name order).
// Trailing free ids are dropped.
std::vector<std::string> assign_zone_ids(const std::vector<std::string>& current,
                                         const std::vector<std::string>& wanted, const std::set<std::string>& in_use);

}  // namespace syva
