// SPDX-License-Identifier: Apache-2.0
#include "watcher/zone_resolver.h"

#include <cstdint>

#include <fmt/format.h>

#include "policy/policy_loader.h"

namespace syva {

namespace {

std::optional<ZoneResolution> found(const std::string& value, ZoneSource source, PodRef pod = {}) {
  if (value.empty()) return std::nullopt;
  return ZoneResolution{zone_for_value(value), value, source, std::move(pod)};
}

}  // namespace

std::string_view to_string(ZoneSource source) {
  switch (source) {
    case ZoneSource::label: return "label";
    case ZoneSource::annotation: return "annotation";
    case ZoneSource::pod: return "pod";
  }
  return "?";
}

std::string zone_for_value(std::string_view value) {
  if (valid_zone_name(value)) return std::string(value);
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a: stable across builds and restarts
  for (unsigned char c : value) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return fmt::format("invalid-{:016x}", h);
}

std::optional<ZoneResolution> resolve_zone(const Container& c, const SandboxLookup& sandbox) {
  const auto annotations = spec_annotations(c);
  auto own = [&](std::optional<ZoneResolution> r) {
    if (r) r->pod = pod_of(c, annotations);
    return r;
  };
  if (auto it = c.labels().find(kZoneKey); it != c.labels().end())
    if (auto r = found(it->second, ZoneSource::label)) return own(r);
  if (auto it = annotations.find(kZoneKey); it != annotations.end())
    if (auto r = found(it->second, ZoneSource::annotation)) return own(r);

  if (is_cri_sandbox(c, annotations)) return std::nullopt;
  const auto sandbox_id = sandbox_id_of(c, annotations);
  if (!sandbox_id || !sandbox) return std::nullopt;
  const auto record = sandbox(*sandbox_id);
  if (!record) return std::nullopt;
  const auto pod = sandbox_pod(*record);
  if (!pod) return std::nullopt;
  auto it = pod->annotations.find(kZoneKey);
  if (it == pod->annotations.end()) return std::nullopt;
  return found(it->second, ZoneSource::pod, pod->pod.known() ? pod->pod : pod_of(c, annotations));
}

}  // namespace syva
