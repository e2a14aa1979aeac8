// SPDX-License-Identifier: Apache-2.0
#include "policy/admission.h"

#include <fnmatch.h>

#include <algorithm>

namespace syva {

bool valid_namespace_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.size() > 63) return false;
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '*' ||
           c == '?';
  };
  return std::all_of(pattern.begin(), pattern.end(), ok);
}

bool namespace_admitted(const std::vector<std::string>& patterns, std::string_view ns) {
  if (ns.empty()) return false;
  const std::string name(ns);
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return fnmatch(p.c_str(), name.c_str(), 0) == 0; });
}

bool reserved_zone_name(std::string_view name) {
  return name == kPendingZoneName || name == kQuarantineZoneName || name.starts_with(kIsolatedZonePrefix);
}

}  // namespace syva
