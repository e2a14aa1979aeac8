// SPDX-License-Identifier: Apache-2.0
// Which zone a container asks for, from the sources trusted for its kind, on
// containerd records shaped like the real ones: ctr and nerdctl labels, OCI
// spec annotations, and the CRI plugin's sandbox record (containerd 1.6/1.7
// write the pod's config as JSON in an extension).
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

TEST_CASE("a plain containerd container asks by its label or its annotation", "[zone]") {
  Container c = container("c1");
  (*c.mutable_labels())["syva.dev/zone"] = "frontend";
  auto r = resolve_zone("default", c, nullptr);
  CHECK(r.requested == "frontend");
  CHECK(r.source == ZoneSource::label);
  CHECK_FALSE(r.cri);
  CHECK(r.untrusted.empty());
  CHECK(r.isolation_key == "default/c1");

  Container a = container("c2");
  set_spec(a, R"({"syva.dev/zone":"database","org.example":"1"})");
  r = resolve_zone("default", a, nullptr);
  CHECK(r.requested == "database");
  CHECK(r.source == ZoneSource::annotation);
  // Where its processes are, for when its pid cannot say.
  CHECK(r.cgroups_path == "/k8s.io/x");
  CHECK(resolve_zone("default", c, nullptr).cgroups_path.empty());
}

TEST_CASE("a label and an annotation that disagree are not trusted; that agree are", "[zone]") {
  Container c = container("c3");
  set_spec(c, R"({"syva.dev/zone":"database"})");
  (*c.mutable_labels())["syva.dev/zone"] = "frontend";
  auto r = resolve_zone("default", c, nullptr);
  CHECK_FALSE(r.untrusted.empty());
  CHECK(r.untrusted.find("frontend") != std::string::npos);
  CHECK(r.untrusted.find("database") != std::string::npos);
  (*c.mutable_labels())["syva.dev/zone"] = "database";
  CHECK(resolve_zone("default", c, nullptr).untrusted.empty());
  (*c.mutable_labels())["syva.dev/zone"] = "";  // an empty label names nothing
  r = resolve_zone("default", c, nullptr);
  CHECK(r.untrusted.empty());
  CHECK(r.requested == "database");
}

TEST_CASE("a container naming no zone claims nothing, whatever else its spec holds", "[zone]") {
  Container bare = container("c4");
  CHECK(resolve_zone("default", bare, nullptr).requested.empty());
  Container c = container("c5");
  set_spec(c, R"({"org.example":"syva.dev/zone"})");
  CHECK(resolve_zone("default", c, nullptr).requested.empty());
  CHECK(resolve_zone("default", c, nullptr).source == ZoneSource::none);
}

TEST_CASE("a Kubernetes container asks only through its pod's annotation", "[zone][cri]") {
  Sandboxes sb;
  sb.records["5f0b1d"] = cri_sandbox("5f0b1d", R"({"kubernetes.io/config.source":"api","syva.dev/zone":"frontend"})");
  Container app = cri_container("a1", "5f0b1d");
  auto r = resolve_zone("k8s.io", app, sb.lookup());
  CHECK(r.cri);
  CHECK(r.requested == "frontend");
  CHECK(r.source == ZoneSource::pod);
  CHECK(r.pod.name == "web-0");
  CHECK(r.pod.ns == "shop");
  CHECK(r.isolation_key == "k8s.io/5f0b1d");  // the pod's containers share it
  CHECK(r.untrusted.empty());
}

TEST_CASE("an image label (copied into the container's labels by CRI) or a container annotation is ignored",
          "[zone][cri]") {
  Sandboxes sb;
  sb.records["5f0b1d"] = cri_sandbox("5f0b1d", R"({"syva.dev/zone":"frontend"})");
  sb.records["plain"] = cri_sandbox("plain", R"({"kubernetes.io/config.source":"api"})");
  Container app = cri_container("a2", "5f0b1d");
  (*app.mutable_labels())["syva.dev/zone"] = "database";
  CHECK(resolve_zone("k8s.io", app, sb.lookup()).requested == "frontend");
  Container unannotated = cri_container("a3", "plain");
  (*unannotated.mutable_labels())["syva.dev/zone"] = "database";
  auto r = resolve_zone("k8s.io", unannotated, sb.lookup());
  CHECK(r.requested.empty());
  CHECK(r.untrusted.empty());
  // In containerd's CRI namespace even a container without CRI's markers is
  // held to the pod rule: it names no pod, so nothing it says is trusted.
  Container odd = container("a4");
  (*odd.mutable_labels())["syva.dev/zone"] = "database";
  r = resolve_zone("k8s.io", odd, sb.lookup());
  CHECK(r.cri);
  CHECK_FALSE(r.untrusted.empty());
}

TEST_CASE("a pod sandbox that is gone or unreadable makes the claim untrusted", "[zone][cri]") {
  Sandboxes sb;
  auto r = resolve_zone("k8s.io", cri_container("b", "gone"), sb.lookup());
  CHECK_FALSE(r.untrusted.empty());
  Container broken = cri_sandbox("s", R"({"syva.dev/zone":"frontend"})");
  (*broken.mutable_extensions())["io.cri-containerd.sandbox.metadata"].set_value("not json");
  sb.records["s"] = broken;
  CHECK_FALSE(resolve_zone("k8s.io", cri_container("c", "s"), sb.lookup()).untrusted.empty());
}

TEST_CASE("the sandbox (pause) container is placed by its own pod record", "[zone][cri]") {
  Sandboxes sb;
  Container pause = cri_sandbox("5f0b1d", R"({"syva.dev/zone":"frontend"})");
  CHECK(is_cri_sandbox(pause));
  auto r = resolve_zone("k8s.io", pause, sb.lookup());
  CHECK(r.requested == "frontend");
  CHECK(r.source == ZoneSource::pod);
  CHECK(r.isolation_key == "k8s.io/5f0b1d");
  CHECK(sb.lookups == 0);
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
