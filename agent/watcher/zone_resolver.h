// SPDX-License-Identifier: Apache-2.0
// Which zone a container belongs to. First found wins:
//   1. its label syva.dev/zone (ctr/nerdctl --label),
//   2. its OCI spec annotation syva.dev/zone (nerdctl/podman --annotation,
//      or Kubernetes through containerd's pod_annotations pass-through),
//   3. its Kubernetes pod's annotation syva.dev/zone, read from the CRI
//      sandbox record the container points at.
// Pure: the sandbox record is fetched by the caller's lookup.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "watcher/container_metadata.h"

namespace syva {

inline constexpr const char* kZoneKey = "syva.dev/zone";

enum class ZoneSource { label, annotation, pod };
std::string_view to_string(ZoneSource source);

struct ZoneResolution {
  std::string zone;       // the zone to enforce: a valid zone name
  std::string requested;  // the value as written on the container or pod
  ZoneSource source = ZoneSource::label;
  PodRef pod;  // the pod's record, else the container's kubelet labels or CRI annotations
  bool requested_valid() const { return zone == requested; }
};

// nullopt: the sandbox does not exist (any more) or cannot be read.
using SandboxLookup = std::function<std::optional<Container>(const std::string& sandbox_id)>;

// nullopt: the container names no zone (it is not enforced). An empty value
// names no zone either.
std::optional<ZoneResolution> resolve_zone(const Container& c, const SandboxLookup& sandbox);

// A value that is not a valid zone name (see valid_zone_name) cannot have a
// policy file, yet the container asked to be isolated: it gets a zone of its
// own, "invalid-" and a stable hash of the value, so distinct values never
// share a zone and the name fits the kernel's zone name field.
std::string zone_for_value(std::string_view value);

}  // namespace syva
