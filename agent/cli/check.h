// SPDX-License-Identifier: Apache-2.0
// `syva check`: the agent's own policy validation and compilation, run
// offline (no kernel, no root), so a policy can be tested before it ships.
#pragma once

#include <string>

namespace syva {

// Prints each problem as the agent would (`FILE:LINE: [section] field: ...`)
// on stderr and returns 2, or a one-line summary on stdout and returns 0.
int run_check(const std::string& policy_dir);

}  // namespace syva
