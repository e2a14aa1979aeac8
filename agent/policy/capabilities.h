// SPDX-License-Identifier: Apache-2.0
// Linux capability names (`[capabilities] allowed`), as in <linux/capability.h>.
#pragma once

#include <optional>
#include <string_view>

namespace syva {

// "CAP_CHOWN" -> 0. Unknown names give nullopt.
std::optional<int> capability_number(std::string_view name);
// 0 -> "CAP_CHOWN"; numbers this build does not know give "".
std::string_view capability_name(int number);

}  // namespace syva
