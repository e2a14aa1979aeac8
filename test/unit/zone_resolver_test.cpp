// SPDX-License-Identifier: Apache-2.0
// Zone resolution on containerd records shaped like the real ones: ctr and
// nerdctl labels, OCI spec annotations, and the CRI plugin's sandbox record
// (containerd 1.6/1.7 write the pod's config as JSON in an extension).
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "support/containerd_records.h"
#include "watcher/container_metadata.h"
#include "watcher/zone_resolver.h"

using namespace syva;
using syva::test::container;
using syva::test::cri_container;
using syva::test::cri_sandbox;
using syva::test::set_spec;

namespace {

struct Sandboxes {
  std::map<std::string, Container> records;
  int lookups = 0;
  SandboxLookup lookup() {
    return [this](const std::string& id) -> std::optional<Container> {
      ++lookups;
      auto it = records.find(id);
      return it == records.end() ? std::nullopt : std::optional<Container>(it->second);
    };
  }
};

}  // namespace

TEST_CASE("a label names the zone", "[zone]") {
  Container c = container("c1");
  (*c.mutable_labels())["syva.dev/zone"] = "frontend";
  auto r = resolve_zone(c, nullptr);
  REQUIRE(r);
  CHECK(r->zone == "frontend");
  CHECK(r->source == ZoneSource::label);
  CHECK(r->requested_valid());
}

TEST_CASE("an OCI spec annotation names the zone when no label does", "[zone]") {
  Container c = container("c2");
  (*c.mutable_labels())["other"] = "x";
  set_spec(c, R"({"syva.dev/zone":"database","org.example":"1"})");
  auto r = resolve_zone(c, nullptr);
  REQUIRE(r);
  CHECK(r->zone == "database");
  CHECK(r->source == ZoneSource::annotation);
}

TEST_CASE("the label wins over the annotation; an empty label names nothing", "[zone]") {
  Container c = container("c3");
  set_spec(c, R"({"syva.dev/zone":"database"})");
  (*c.mutable_labels())["syva.dev/zone"] = "frontend";
  CHECK(resolve_zone(c, nullptr)->zone == "frontend");
  (*c.mutable_labels())["syva.dev/zone"] = "";
  auto r = resolve_zone(c, nullptr);
  CHECK(r->zone == "database");
  CHECK(r->source == ZoneSource::annotation);
}

TEST_CASE("a container naming no zone is not zoned, whatever else its spec holds", "[zone]") {
  Container bare = container("bare");
  CHECK_FALSE(resolve_zone(bare, nullptr));
  Container c = container("c4");
  set_spec(c, R"({"org.example":"syva.dev/zone"})");
  CHECK_FALSE(resolve_zone(c, nullptr));
  Container broken = container("c5");
  broken.mutable_spec()->set_value("{not json");
  CHECK_FALSE(resolve_zone(broken, nullptr));
  CHECK(spec_annotations(broken).empty());
}

TEST_CASE("a pod's annotation reaches its containers through the CRI sandbox record", "[zone][cri]") {
  Sandboxes sb;
  sb.records["5f0b1d"] = cri_sandbox("5f0b1d", R"({"kubernetes.io/config.source":"api","syva.dev/zone":"frontend"})");
  Container app = cri_container("9e8d7c", "5f0b1d");
  auto r = resolve_zone(app, sb.lookup());
  REQUIRE(r);
  CHECK(r->zone == "frontend");
  CHECK(r->source == ZoneSource::pod);
  CHECK(r->pod.name == "web-0");
  CHECK(r->pod.ns == "shop");
  CHECK(sb.lookups == 1);
}

TEST_CASE("the container's own label or annotation wins over its pod's", "[zone][cri]") {
  Sandboxes sb;
  sb.records["5f0b1d"] = cri_sandbox("5f0b1d", R"({"syva.dev/zone":"frontend"})");
  Container app = cri_container("9e8d7c", "5f0b1d");
  (*app.mutable_labels())["syva.dev/zone"] = "monitoring";
  auto r = resolve_zone(app, sb.lookup());
  CHECK(r->zone == "monitoring");
  CHECK(r->source == ZoneSource::label);
  CHECK(r->pod.name == "web-0");  // from the CRI annotations: the log still names the pod
  CHECK(sb.lookups == 0);
}

TEST_CASE("a pod without the annotation, or a sandbox that is gone, zones nothing", "[zone][cri]") {
  Sandboxes sb;
  sb.records["plain"] = cri_sandbox("plain", R"({"kubernetes.io/config.source":"api"})");
  CHECK_FALSE(resolve_zone(cri_container("a", "plain"), sb.lookup()));
  CHECK_FALSE(resolve_zone(cri_container("b", "gone"), sb.lookup()));
  CHECK(sb.lookups == 2);
}

TEST_CASE("the sandbox (pause) container is not zoned by its pod, only by its own annotation", "[zone][cri]") {
  Sandboxes sb;
  Container pause = cri_sandbox("5f0b1d", R"({"syva.dev/zone":"frontend"})");
  sb.records["5f0b1d"] = pause;
  CHECK(is_cri_sandbox(pause));
  CHECK_FALSE(resolve_zone(pause, sb.lookup()));

  // With containerd's pod_annotations pass-through the annotation is copied
  // into the sandbox's own spec: then it is zoned like any container.
  set_spec(pause, R"({"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"5f0b1d",)"
                  R"("syva.dev/zone":"frontend"})");
  auto r = resolve_zone(pause, sb.lookup());
  REQUIRE(r);
  CHECK(r->source == ZoneSource::annotation);
}

TEST_CASE("sandbox metadata of an unknown version or shape is not guessed at", "[zone][cri]") {
  Container s = cri_sandbox("s", R"({"syva.dev/zone":"frontend"})");
  REQUIRE(sandbox_pod(s));
  auto& ext = (*s.mutable_extensions())["io.cri-containerd.sandbox.metadata"];
  ext.set_value(R"({"Version":"v2","Metadata":{"Config":{"annotations":{"syva.dev/zone":"frontend"}}}})");
  CHECK_FALSE(sandbox_pod(s));
  ext.set_value("\x0a\x03"
                "abc");  // protobuf, not JSON
  CHECK_FALSE(sandbox_pod(s));
  s.mutable_extensions()->erase("io.cri-containerd.sandbox.metadata");
  CHECK_FALSE(sandbox_pod(s));
}

TEST_CASE("where the sandbox id comes from", "[zone][cri]") {
  Container c = container("x");
  CHECK_FALSE(sandbox_id_of(c));
  (*c.mutable_labels())["io.kubernetes.cri.sandbox-id"] = "from-label";
  CHECK(*sandbox_id_of(c) == "from-label");
  c.set_sandbox("from-field");  // containerd 1.7's Container.sandbox
  CHECK(*sandbox_id_of(c) == "from-field");
  CHECK(*sandbox_id_of(cri_container("y", "from-spec")) == "from-spec");
}

TEST_CASE("the pod is named from kubelet labels or CRI annotations", "[zone][cri]") {
  Container c = cri_container("y", "s");
  auto pod = pod_of(c);
  CHECK(pod.name == "web-0");
  CHECK(pod.ns == "shop");
  CHECK_FALSE(pod_of(container("plain")).known());
}

TEST_CASE("a value that is not a zone name still isolates, in a zone of its own", "[zone]") {
  Container c = container("c6");
  (*c.mutable_labels())["syva.dev/zone"] = "Front End";
  auto r = resolve_zone(c, nullptr);
  REQUIRE(r);
  CHECK_FALSE(r->requested_valid());
  CHECK(r->requested == "Front End");
  CHECK(r->zone.starts_with("invalid-"));
  CHECK(r->zone == zone_for_value("Front End"));
  CHECK(zone_for_value("Front End") != zone_for_value("Front-End"));
  CHECK(zone_for_value(std::string(200, 'a')).size() <= 63);
  CHECK(zone_for_value("frontend") == "frontend");
}
