// SPDX-License-Identifier: Apache-2.0
// The one-line, structured form of a deny event, with zone names.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "syva_abi.h"

namespace syva {

// Zone id -> name; 0 is the host.
using ZoneNameLookup = std::function<std::string(uint32_t)>;

// The container a zoned cgroup belongs to, as the agent placed it.
struct ContainerOrigin {
  std::string id;
  std::string ns;  // containerd namespace
  std::string pod_namespace;
  std::string pod_name;
  std::string image;
};
// Cgroup id -> its container; nullopt for a cgroup no container of the agent's is in.
using OriginLookup = std::function<std::optional<ContainerOrigin>(uint64_t cgroup)>;

// "DENY hook=file_open pid=12 tgid=12 comm=cat caller_zone=frontend
//  target_zone=database dev=8:1 ino=4242"
std::string format_deny(const syva_event& event, const ZoneNameLookup& zone_name);

// What the operation reached, as the line says it ("dev=8:1 ino=4242",
// "target_pid=1 target_cgroup=5 signal=9"); empty for hooks that name none.
std::string format_target(const syva_event& event);

// The event as the members of a JSON log line: event, hook, verdict,
// caller_zone, target_zone (null for zone rules), pid, tgid, comm,
// caller_cgroup, target (format_target's text), and caller_container /
// target_container ({id, namespace, pod_namespace, pod_name, image}, null
// when no container is known for the cgroup).
nlohmann::ordered_json deny_fields(const syva_event& event, const ZoneNameLookup& zone_name,
                                   const OriginLookup& origin = nullptr);

// One warning line: the text line, carrying deny_fields with --log-format json.
void log_deny(const syva_event& event, const ZoneNameLookup& zone_name, const OriginLookup& origin = nullptr);

}  // namespace syva
