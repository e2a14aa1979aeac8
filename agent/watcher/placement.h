// SPDX-License-Identifier: Apache-2.0
// Where a container goes, decided by the platform: its claim (see
// zone_resolver.h) is admitted only from the namespaces the zone's policy
// names; a container that names no zone follows the node's setting; a claim
// that cannot be honoured puts the container in quarantine, never leaves it
// free. Pure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/admission.h"
#include "watcher/zone_resolver.h"

namespace syva {

// What happens to containers that name no zone (--unzoned).
struct UnzonedSetting {
  enum class Mode { unenforced, isolate, zone };
  Mode mode = Mode::unenforced;
  std::string zone;  // Mode::zone: the zone they join
  // Namespaces (Kubernetes for pods, containerd for other containers) whose
  // containers the setting leaves alone (--exempt-namespace).
  std::vector<std::string> exempt;
};
// "unenforced", "isolate" or "zone:NAME"; nullopt otherwise.
std::optional<UnzonedSetting> parse_unzoned(std::string_view text);
std::string describe(const UnzonedSetting& setting);

struct Placement {
  enum class Kind { zone, isolated, free, quarantine };
  Kind kind = Kind::free;
  std::string zone;  // zone, isolated: its name; quarantine: "quarantine"
  std::string why;   // free and quarantine: the reason, for the log
};
std::string_view to_string(Placement::Kind kind);

// `ns`: the container's containerd namespace.
Placement place(const ZoneClaim& claim, const std::string& ns, const AdmissionTable& zones,
                const UnzonedSetting& unzoned);

// The zone of its own a container (or pod) gets under `isolate`: a stable
// hash of its isolation key, so it is the same after an agent restart.
std::string isolated_zone_name(std::string_view isolation_key);

}  // namespace syva
