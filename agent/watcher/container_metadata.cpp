// SPDX-License-Identifier: Apache-2.0
#include "watcher/container_metadata.h"

#include <nlohmann/json.hpp>

namespace syva {

namespace {

using nlohmann::json;

std::map<std::string, std::string> string_map(const json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

std::string string_at(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string label(const Container& c, const char* key) {
  auto it = c.labels().find(key);
  return it == c.labels().end() ? "" : it->second;
}

}  // namespace

Annotations spec_annotations(const Container& c) {
  if (!c.has_spec()) return {};
  const json spec = json::parse(c.spec().value(), nullptr, /*allow_exceptions=*/false);
  if (!spec.is_object()) return {};
  auto it = spec.find("annotations");
  return it == spec.end() ? std::map<std::string, std::string>{} : string_map(*it);
}

std::string spec_cgroups_path(const Container& c) {
  if (!c.has_spec()) return "";
  const json spec = json::parse(c.spec().value(), nullptr, /*allow_exceptions=*/false);
  if (!spec.is_object()) return "";
  auto section = spec.find("linux");
  return section == spec.end() ? "" : string_at(*section, "cgroupsPath");
}

bool is_cri_sandbox(const Container& c) { return is_cri_sandbox(c, spec_annotations(c)); }

bool is_cri_sandbox(const Container& c, const Annotations& annotations) {
  if (label(c, kCriKindLabel) == "sandbox") return true;
  auto type = annotations.find(kCriContainerTypeAnnotation);
  if (type != annotations.end() && type->second == "sandbox") return true;
  auto id = annotations.find(kCriSandboxIdAnnotation);
  return id != annotations.end() && id->second == c.id();
}

std::optional<std::string> sandbox_id_of(const Container& c) { return sandbox_id_of(c, spec_annotations(c)); }

std::optional<std::string> sandbox_id_of(const Container& c, const Annotations& annotations) {
  if (!c.sandbox().empty()) return c.sandbox();
  if (auto l = label(c, kCriSandboxIdAnnotation); !l.empty()) return l;
  auto it = annotations.find(kCriSandboxIdAnnotation);
  if (it != annotations.end() && !it->second.empty()) return it->second;
  return std::nullopt;
}

PodRef pod_of(const Container& c) { return pod_of(c, spec_annotations(c)); }

PodRef pod_of(const Container& c, const Annotations& annotations) {
  PodRef pod{label(c, kPodNameLabel), label(c, kPodNamespaceLabel)};
  if (pod.known()) return pod;
  auto name = annotations.find(kCriSandboxNameAnnotation);
  auto ns = annotations.find(kCriSandboxNamespaceAnnotation);
  if (name != annotations.end()) pod.name = name->second;
  if (ns != annotations.end()) pod.ns = ns->second;
  return pod;
}

std::optional<SandboxPod> sandbox_pod(const Container& sandbox) {
  auto ext = sandbox.extensions().find(kCriSandboxMetadataExtension);
  if (ext == sandbox.extensions().end()) return std::nullopt;
  const json doc = json::parse(ext->second.value(), nullptr, /*allow_exceptions=*/false);
  // Only version "v1" exists (containerd 1.6 to 2.x); another version is a
  // format this code has not seen, so it reads nothing rather than guess.
  if (!doc.is_object() || string_at(doc, "Version") != "v1") return std::nullopt;
  auto meta = doc.find("Metadata");
  if (meta == doc.end() || !meta->is_object()) return std::nullopt;
  SandboxPod out;
  auto config = meta->find("Config");
  if (config != meta->end() && config->is_object()) {
    if (auto a = config->find("annotations"); a != config->end()) out.annotations = string_map(*a);
    if (auto m = config->find("metadata"); m != config->end()) {
      out.pod.name = string_at(*m, "name");
      out.pod.ns = string_at(*m, "namespace");
    }
  }
  if (auto ip = string_at(*meta, "IP"); !ip.empty()) out.ips.push_back(ip);
  if (auto more = meta->find("AdditionalIPs"); more != meta->end() && more->is_array())
    for (const auto& ip : *more)
      if (ip.is_string() && !ip.get<std::string>().empty()) out.ips.push_back(ip.get<std::string>());
  return out;
}

}  // namespace syva
