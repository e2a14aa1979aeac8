// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: zone resolution from containerd container records
// (container_metadata, zone_resolver): OCI spec JSON, labels, and the CRI
// plugin's sandbox metadata JSON.
//
// The input is the wire bytes of a containerd ListContainersResponse: the
// first container is resolved, the others are the records the sandbox lookup
// can find by id (as the watcher's lookup asks containerd). Bytes protobuf
// cannot parse are rejected. Contract: nothing thrown, no memory error or
// undefined behaviour (ASan/UBSan); a resolved zone is a valid zone name
// (what the kernel map and policy files can hold), and it equals the value
// asked for exactly when that value is a valid name.
#include <cstdint>
#include <optional>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "fuzz/fuzz_util.h"
#include "policy/policy_loader.h"
#include "watcher/container_metadata.h"
#include "watcher/placement.h"
#include "watcher/zone_resolver.h"

using namespace syva;
using containerd::services::containers::v1::ListContainersResponse;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // protobuf logs every string field that is not UTF-8; the parse fails
  // either way, and the log would drown libFuzzer's own output.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ListContainersResponse records;
  if (!records.ParseFromArray(data, static_cast<int>(size)) || records.containers_size() == 0) return -1;
  try {
    for (const Container& c : records.containers()) {
      const Annotations annotations = spec_annotations(c);
      SYVA_FUZZ_EXPECT(is_cri_sandbox(c) == is_cri_sandbox(c, annotations));
      SYVA_FUZZ_EXPECT(sandbox_id_of(c) == sandbox_id_of(c, annotations));
      if (auto id = sandbox_id_of(c)) SYVA_FUZZ_EXPECT(!id->empty());
      (void)pod_of(c, annotations);
      (void)sandbox_pod(c);
    }
    int lookups = 0;
    const SandboxLookup lookup = [&](const std::string& id) -> std::optional<Container> {
      ++lookups;
      for (int i = 1; i < records.containers_size(); ++i)
        if (records.containers(i).id() == id) return records.containers(i);
      return std::nullopt;
    };
    for (const char* ns : {"default", "k8s.io"}) {
      lookups = 0;
      const ZoneClaim claim = resolve_zone(ns, records.containers(0), lookup);
      SYVA_FUZZ_EXPECT(lookups <= 1);
      SYVA_FUZZ_EXPECT(!claim.isolation_key.empty());
      SYVA_FUZZ_EXPECT(claim.requested.empty() == (claim.source == ZoneSource::none) || !claim.untrusted.empty());
      // Whatever the records say, the placement is one of the four, and a
      // claim that is not a zone name never becomes a zone.
      const Placement p = place(claim, ns, {{"frontend", {{"*"}, {"*"}}}}, *parse_unzoned("isolate"));
      if (p.kind == Placement::Kind::zone) SYVA_FUZZ_EXPECT(p.zone == "frontend");
      if (p.kind == Placement::Kind::isolated) SYVA_FUZZ_EXPECT(valid_zone_name(p.zone));
      SYVA_FUZZ_EXPECT(p.why.find('\n') == std::string::npos);
    }
  } catch (const std::exception& e) {
    fuzz::fail("zone resolution threw", e.what());
  } catch (...) {
    fuzz::fail("zone resolution threw a non-exception");
  }
  return 0;
}
