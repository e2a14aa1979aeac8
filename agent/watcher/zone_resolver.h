// SPDX-License-Identifier: Apache-2.0
// Which zone a container asks for, from the sources trusted for its kind:
//   - A Kubernetes container (made by containerd's CRI plugin: namespace
//     k8s.io, or CRI's own markers on its record) asks only through its
//     pod's annotation syva.dev/zone, read from the CRI sandbox record the
//     plugin wrote. Container labels are not trusted there: the CRI plugin
//     copies the image's LABELs into them, so an image author could choose.
//   - Any other containerd container (ctr, nerdctl, a containerd client)
//     asks through its label or its OCI spec annotation syva.dev/zone, both
//     set by whoever created it through containerd's socket (root on the
//     node). When both are set they must agree.
// Pure: the sandbox record is fetched by the caller's lookup.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "watcher/container_metadata.h"

namespace syva {

inline constexpr const char* kZoneKey = "syva.dev/zone";
// containerd's CRI plugin keeps every Kubernetes container here.
inline constexpr const char* kCriNamespace = "k8s.io";

enum class ZoneSource { none, label, annotation, pod };
std::string_view to_string(ZoneSource source);

struct ZoneClaim {
  std::string requested;  // the value as written; empty: names no zone
  ZoneSource source = ZoneSource::none;
  bool cri = false;  // a Kubernetes container: pod.ns is its Kubernetes namespace
  PodRef pod;        // the pod's record, else the container's kubelet labels or CRI annotations
  // "<containerd namespace>/<pod sandbox id>" for a Kubernetes container
  // (a pod's containers share it), "<namespace>/<container id>" otherwise:
  // the unit a zone of its own is made for.
  std::string isolation_key;
  // Non-empty: the claim cannot be trusted (sources disagree, the pod's
  // record is missing or unreadable); why, for the log.
  std::string untrusted;
  // linux.cgroupsPath of its OCI spec: where its processes are when its
  // pid cannot say (placement falls back to it only to quarantine).
  std::string cgroups_path;
  std::string image;  // the record's image reference, for events
  // A Kubernetes container's pod addresses, from its sandbox's record
  // (container_addresses.h decides what of them is mapped).
  std::vector<std::string> pod_ips;
};

// nullopt: the sandbox does not exist (any more) or cannot be read.
using SandboxLookup = std::function<std::optional<Container>(const std::string& sandbox_id)>;

ZoneClaim resolve_zone(const std::string& ns, const Container& c, const SandboxLookup& sandbox);

}  // namespace syva
