// SPDX-License-Identifier: Apache-2.0
// The checks Syva makes, as user space sees them: ebpf/syva_abi.h's
// SYVA_CHECKS table, row for row, so a check is named in one place.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "syva_abi.h"

namespace syva {

struct CheckInfo {
  uint32_t number;
  std::string_view name;
  syva_check_kind kind;
  // The LSM hooks whose programs make the check, space separated.
  std::string_view hooks;
};

#define SYVA_CHECK_INFO_ROW(id, name, kind, hooks) CheckInfo{SYVA_HOOK_##id, name, SYVA_KIND_##kind, hooks},
inline constexpr std::array<CheckInfo, SYVA_HOOK_COUNT> kChecks = {SYVA_CHECKS(SYVA_CHECK_INFO_ROW)};
#undef SYVA_CHECK_INFO_ROW

consteval bool rows_in_number_order() {
  for (uint32_t i = 0; i < kChecks.size(); ++i)
    if (kChecks[i].number != i || kChecks[i].name.empty() || kChecks[i].hooks.empty()) return false;
  return true;
}
static_assert(rows_in_number_order(), "every check has its number as its row, a name and a hook");

inline std::string_view hook_name(uint32_t hook) {
  return hook < kChecks.size() ? kChecks[hook].name : std::string_view("unknown");
}

// Events of a cross-zone check name the zone reached; the others concern
// the caller's own zone.
inline bool is_cross_zone(uint32_t hook) { return hook < kChecks.size() && kChecks[hook].kind == SYVA_KIND_CROSS_ZONE; }

}  // namespace syva
