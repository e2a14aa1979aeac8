// SPDX-License-Identifier: Apache-2.0
// Who may join a zone: `[zone] namespaces` (Kubernetes namespaces whose
// pods may ask for it) and `[zone] containerd_namespaces` (containerd
// namespaces whose other containers may), as shell-style patterns ('*' and
// '?'). A zone that lists neither admits no container.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace syva {

struct ZoneAdmission {
  std::vector<std::string> namespaces;             // Kubernetes
  std::vector<std::string> containerd_namespaces;  // other containerd clients
};
// Every zone a policy file defines, by name.
using AdmissionTable = std::map<std::string, ZoneAdmission>;

// 1-63 of a-z, 0-9, '-', '.', '_' (containerd namespaces allow the last
// two), '*' and '?'.
bool valid_namespace_pattern(std::string_view pattern);

bool namespace_admitted(const std::vector<std::string>& patterns, std::string_view ns);

// Zone names that are states, not zones, or are made by the agent for
// containers that name none: no policy file may take them.
bool reserved_zone_name(std::string_view name);
inline constexpr const char* kIsolatedZonePrefix = "isolated-";
inline constexpr const char* kPendingZoneName = "pending";
inline constexpr const char* kQuarantineZoneName = "quarantine";

}  // namespace syva
