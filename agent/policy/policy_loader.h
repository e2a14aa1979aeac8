// SPDX-License-Identifier: Apache-2.0
// Reads a policy directory: one `<zone>.toml` per zone, the file name being
// the zone's name. Every file is checked in full before anything is
// returned, so a caller never acts on half a policy.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "policy/zone_policy.h"

namespace syva {

// All problems found, each "file:line: [section] field: what is wrong".
class PolicyError : public std::runtime_error {
 public:
  explicit PolicyError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

bool valid_zone_name(std::string_view name);

// Parses one file; problems are appended to `problems`.
ZonePolicy parse_zone_policy(const std::string& path, std::vector<std::string>& problems);

// Loads and cross-checks a whole directory; zones come back sorted by name.
// Throws PolicyError listing every problem.
std::vector<ZonePolicy> load_policy_dir(const std::string& dir);

}  // namespace syva
