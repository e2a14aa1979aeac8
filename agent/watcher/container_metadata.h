// SPDX-License-Identifier: Apache-2.0
// What a containerd container record says about itself beyond its labels:
// the annotations in its OCI spec, and, for Kubernetes, which CRI sandbox
// (pod) it belongs to and what that pod's own record holds.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "containerd/services/containers/v1/containers.pb.h"

namespace syva {

using Container = containerd::services::containers::v1::Container;

// Keys written by containerd's CRI plugin (1.6/1.7).
inline constexpr const char* kCriSandboxIdAnnotation = "io.kubernetes.cri.sandbox-id";
inline constexpr const char* kCriContainerTypeAnnotation = "io.kubernetes.cri.container-type";
inline constexpr const char* kCriSandboxNameAnnotation = "io.kubernetes.cri.sandbox-name";
inline constexpr const char* kCriSandboxNamespaceAnnotation = "io.kubernetes.cri.sandbox-namespace";
inline constexpr const char* kCriKindLabel = "io.cri-containerd.kind";
inline constexpr const char* kCriSandboxMetadataExtension = "io.cri-containerd.sandbox.metadata";
inline constexpr const char* kPodNameLabel = "io.kubernetes.pod.name";
inline constexpr const char* kPodNamespaceLabel = "io.kubernetes.pod.namespace";

using Annotations = std::map<std::string, std::string>;

// spec.annotations of the container's OCI spec (JSON in the `spec` Any).
// Empty when there is no spec or it is not JSON. The functions below parse
// it themselves unless given it (specs are kilobytes; reconciles read many).
Annotations spec_annotations(const Container& c);

// linux.cgroupsPath of the container's OCI spec, as written ("" if none).
std::string spec_cgroups_path(const Container& c);

// The CRI sandbox (pause) container itself. It is not zoned through its own
// pod: only a zone it names itself applies.
bool is_cri_sandbox(const Container& c);
bool is_cri_sandbox(const Container& c, const Annotations& spec);

// The sandbox a CRI container runs in: the `sandbox` field (containerd
// 1.7+), else a label or spec annotation io.kubernetes.cri.sandbox-id.
std::optional<std::string> sandbox_id_of(const Container& c);
std::optional<std::string> sandbox_id_of(const Container& c, const Annotations& spec);

struct PodRef {
  std::string name;
  std::string ns;
  bool known() const { return !name.empty(); }
};

// From the kubelet's labels or the CRI plugin's annotations.
PodRef pod_of(const Container& c);
PodRef pod_of(const Container& c, const Annotations& spec);

// The pod as the CRI plugin recorded it on the sandbox container: the
// extension io.cri-containerd.sandbox.metadata, whose value is JSON
// {"Version":"v1","Metadata":{"ID","Name","Config":<PodSandboxConfig>,...}}
// with the PodSandboxConfig's lower-case JSON names ("metadata",
// "annotations", "labels"). nullopt when absent or not in that format.
// The same record's "IP" and "AdditionalIPs" are the pod's addresses as
// its CNI plugin handed them out (empty for a host-network pod).
struct SandboxPod {
  PodRef pod;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> ips;
};
std::optional<SandboxPod> sandbox_pod(const Container& sandbox);

}  // namespace syva
