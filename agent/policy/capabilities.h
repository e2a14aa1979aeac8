// Linux capability names (`[capabilities] allowed`), as in <linux/capability.h>.
#pragma once

#include <optional>
#include <string_view>

namespace syva {

// "CAP_CHOWN" -> 0. Unknown names give nullopt.
std::optional<int> capability_number(std::string_view name);

}  // namespace syva
