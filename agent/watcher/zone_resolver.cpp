// SPDX-License-Identifier: Apache-2.0
#include "watcher/zone_resolver.h"

#include <fmt/format.h>

#include "events/log_escape.h"

namespace syva {

std::string_view to_string(ZoneSource source) {
  switch (source) {
    case ZoneSource::none: return "none";
    case ZoneSource::label: return "label";
    case ZoneSource::annotation: return "annotation";
    case ZoneSource::pod: return "pod";
  }
  return "?";
}

namespace {

std::string value_of(const std::map<std::string, std::string>& m) {
  auto it = m.find(kZoneKey);
  return it == m.end() ? "" : it->second;
}

std::string value_of(const google::protobuf::Map<std::string, std::string>& m) {
  auto it = m.find(kZoneKey);
  return it == m.end() ? "" : it->second;
}

ZoneClaim cri_claim(const std::string& ns, const Container& c, const Annotations& annotations,
                    const SandboxLookup& sandbox) {
  ZoneClaim claim;
  claim.cri = true;
  claim.pod = pod_of(c, annotations);
  std::optional<Container> record;
  std::string sandbox_id;
  if (is_cri_sandbox(c, annotations)) {
    sandbox_id = c.id();
    record = c;
  } else if (auto id = sandbox_id_of(c, annotations)) {
    sandbox_id = *id;
    if (sandbox) record = sandbox(*id);
  }
  claim.isolation_key = ns + "/" + (sandbox_id.empty() ? c.id() : sandbox_id);
  if (sandbox_id.empty()) {
    claim.untrusted = "a Kubernetes container that names no pod sandbox";
    return claim;
  }
  if (!record) {
    claim.untrusted = fmt::format("its pod sandbox {} cannot be read", escaped(sandbox_id));
    return claim;
  }
  const auto pod = sandbox_pod(*record);
  if (!pod || pod->pod.ns.empty()) {
    claim.untrusted = fmt::format("its pod sandbox {} holds no pod record this agent can read", escaped(sandbox_id));
    return claim;
  }
  claim.pod = pod->pod;
  claim.pod_ips = pod->ips;
  claim.requested = value_of(pod->annotations);
  if (!claim.requested.empty()) claim.source = ZoneSource::pod;
  return claim;
}

ZoneClaim containerd_claim(const std::string& ns, const Container& c, const Annotations& annotations) {
  ZoneClaim claim;
  claim.pod = pod_of(c, annotations);
  claim.isolation_key = ns + "/" + c.id();
  const std::string label = value_of(c.labels()), annotation = value_of(annotations);
  if (!label.empty() && !annotation.empty() && label != annotation) {
    claim.requested = label;
    claim.source = ZoneSource::label;
    claim.untrusted = fmt::format("its label names zone '{}' and its annotation zone '{}'", escaped(label),
                                  escaped(annotation));
  } else if (!label.empty()) {
    claim.requested = label;
    claim.source = ZoneSource::label;
  } else if (!annotation.empty()) {
    claim.requested = annotation;
    claim.source = ZoneSource::annotation;
  }
  return claim;
}

}  // namespace

ZoneClaim resolve_zone(const std::string& ns, const Container& c, const SandboxLookup& sandbox) {
  const auto annotations = spec_annotations(c);
  ZoneClaim claim = ns == kCriNamespace || is_cri_sandbox(c, annotations) || sandbox_id_of(c, annotations)
                        ? cri_claim(ns, c, annotations, sandbox)
                        : containerd_claim(ns, c, annotations);
  claim.cgroups_path = spec_cgroups_path(c);
  claim.image = c.image();
  return claim;
}

}  // namespace syva
