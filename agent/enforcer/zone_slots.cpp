// SPDX-License-Identifier: Apache-2.0
#include "enforcer/zone_slots.h"

#include <algorithm>

namespace syva {

std::vector<std::string> assign_zone_ids(const std::vector<std::string>& current,
                                         const std::vector<std::string>& wanted, const std::set<std::string>& in_use) {
  const std::set<std::string> wanted_set(wanted.begin(), wanted.end());
  std::vector<std::string> slots = current;
  for (auto& name : slots)
    if (!name.empty() && !wanted_set.count(name) && !in_use.count(name)) name.clear();

  size_t next_free = 0;
  for (const auto& name : wanted) {
    if (std::find(slots.begin(), slots.end(), name) != slots.end()) continue;
    while (next_free < slots.size() && !slots[next_free].empty()) ++next_free;
    if (next_free == slots.size()) slots.emplace_back();
    slots[next_free] = name;
  }
  while (!slots.empty() && slots.back().empty()) slots.pop_back();
  return slots;
}

}  // namespace syva
