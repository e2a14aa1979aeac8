// SPDX-License-Identifier: Apache-2.0
#include "watcher/placement.h"

#include <cstdint>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "events/log_escape.h"
#include "policy/admission.h"
#include "policy/policy_loader.h"

namespace syva {

std::optional<UnzonedSetting> parse_unzoned(std::string_view text) {
  UnzonedSetting s;
  if (text == "unenforced") {
    s.mode = UnzonedSetting::Mode::unenforced;
  } else if (text == "isolate") {
    s.mode = UnzonedSetting::Mode::isolate;
  } else if (text.starts_with("zone:") && valid_zone_name(text.substr(5)) && !reserved_zone_name(text.substr(5))) {
    s.mode = UnzonedSetting::Mode::zone;
    s.zone = std::string(text.substr(5));
  } else {
    return std::nullopt;
  }
  return s;
}

std::string describe(const UnzonedSetting& s) {
  const std::string mode = s.mode == UnzonedSetting::Mode::unenforced ? "unenforced"
                           : s.mode == UnzonedSetting::Mode::isolate  ? "isolate"
                                                                      : "zone:" + s.zone;
  return fmt::format("{} (exempt namespaces: {})", mode, s.exempt.empty() ? "none" : fmt::format("{}", fmt::join(s.exempt, ", ")));
}

std::string_view to_string(Placement::Kind kind) {
  switch (kind) {
    case Placement::Kind::zone: return "zone";
    case Placement::Kind::isolated: return "isolated";
    case Placement::Kind::free: return "unenforced";
    case Placement::Kind::quarantine: return "quarantine";
  }
  return "?";
}

std::string isolated_zone_name(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a: stable across builds and restarts
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return fmt::format("{}{:016x}", kIsolatedZonePrefix, h);
}

namespace {

Placement quarantine(std::string why) { return {Placement::Kind::quarantine, kQuarantineZoneName, std::move(why)}; }

}  // namespace

Placement place(const ZoneClaim& claim, const std::string& ns, const AdmissionTable& zones,
                const UnzonedSetting& unzoned) {
  if (!claim.untrusted.empty()) return quarantine(claim.untrusted);
  // Whose namespace the platform's rules read: the pod's for Kubernetes.
  const std::string& where = claim.cri ? claim.pod.ns : ns;
  const char* field = claim.cri ? "namespaces" : "containerd_namespaces";
  const std::string kind = claim.cri ? "Kubernetes namespace" : "containerd namespace";

  if (!claim.requested.empty()) {
    const std::string zone = escaped(claim.requested, 80);
    if (!valid_zone_name(claim.requested))
      return quarantine(fmt::format("'{}' is not a valid zone name (1-63 of a-z, 0-9, '-')", zone));
    auto it = zones.find(claim.requested);
    if (it == zones.end()) return quarantine(fmt::format("no policy file defines zone '{}'", zone));
    const auto& admitted = claim.cri ? it->second.namespaces : it->second.containerd_namespaces;
    if (!namespace_admitted(admitted, where))
      return quarantine(fmt::format("{} '{}' may not join zone '{}' (its [zone] {} does not admit it)", kind,
                                    escaped(where, 80), zone, field));
    return {Placement::Kind::zone, claim.requested, ""};
  }

  if (namespace_admitted(unzoned.exempt, where))
    return {Placement::Kind::free, "", fmt::format("names no zone; {} '{}' is exempt", kind, escaped(where, 80))};
  switch (unzoned.mode) {
    case UnzonedSetting::Mode::unenforced:
      return {Placement::Kind::free, "", "names no zone (--unzoned unenforced)"};
    case UnzonedSetting::Mode::isolate:
      return {Placement::Kind::isolated, isolated_zone_name(claim.isolation_key), ""};
    case UnzonedSetting::Mode::zone:
      if (!zones.count(unzoned.zone))
        return quarantine(fmt::format("names no zone, and the node's default zone '{}' has no policy file",
                                      unzoned.zone));
      return {Placement::Kind::zone, unzoned.zone, ""};
  }
  return quarantine("unknown node setting");
}

}  // namespace syva
