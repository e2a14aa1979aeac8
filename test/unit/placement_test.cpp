// SPDX-License-Identifier: Apache-2.0
// Who joins which zone: admission by namespace pattern, the node's setting
// for containers that name no zone, quarantine for every claim that cannot
// be honoured, and the escaping of what containers wrote.
#include <catch2/catch.hpp>

#include <string>

#include "events/log_escape.h"
#include "policy/admission.h"
#include "watcher/placement.h"

using namespace syva;

namespace {

const AdmissionTable kZones = {
    {"database", {{"db", "db-*"}, {"default"}}},
    {"frontend", {{"web"}, {}}},
    {"nobody", {}},
};

ZoneClaim pod_claim(const std::string& ns, const std::string& zone) {
  ZoneClaim c;
  c.cri = true;
  c.pod = {"p-0", ns};
  c.requested = zone;
  c.source = zone.empty() ? ZoneSource::none : ZoneSource::pod;
  c.isolation_key = "sandbox-" + ns;
  return c;
}

ZoneClaim plain_claim(const std::string& zone) {
  ZoneClaim c;
  c.requested = zone;
  c.source = zone.empty() ? ZoneSource::none : ZoneSource::label;
  c.isolation_key = "ctr/c1";
  return c;
}

}  // namespace

TEST_CASE("namespace patterns: exact names and shell globs, nothing else", "[admission]") {
  CHECK(namespace_admitted({"db", "db-*"}, "db"));
  CHECK(namespace_admitted({"db", "db-*"}, "db-eu"));
  CHECK_FALSE(namespace_admitted({"db", "db-*"}, "dbx"));
  CHECK_FALSE(namespace_admitted({"db", "db-*"}, "prod-db"));
  CHECK(namespace_admitted({"team-?"}, "team-a"));
  CHECK_FALSE(namespace_admitted({"team-?"}, "team-ab"));
  CHECK_FALSE(namespace_admitted({}, "db"));
  CHECK_FALSE(namespace_admitted({"*"}, ""));  // an unknown namespace is never admitted
  CHECK(valid_namespace_pattern("kube-system"));
  CHECK(valid_namespace_pattern("db-*"));
  CHECK_FALSE(valid_namespace_pattern("db/x"));
  CHECK_FALSE(valid_namespace_pattern("[a-z]*"));
  CHECK_FALSE(valid_namespace_pattern(""));
  CHECK_FALSE(valid_namespace_pattern(std::string(64, 'a')));
}

TEST_CASE("a pod joins a zone only from a namespace the zone admits", "[admission]") {
  const UnzonedSetting unzoned;
  auto p = place(pod_claim("db-eu", "database"), "k8s.io", kZones, unzoned);
  CHECK(p.kind == Placement::Kind::zone);
  CHECK(p.zone == "database");

  p = place(pod_claim("shop", "database"), "k8s.io", kZones, unzoned);
  CHECK(p.kind == Placement::Kind::quarantine);
  CHECK(p.zone == "quarantine");
  CHECK(p.why.find("'shop'") != std::string::npos);
  CHECK(p.why.find("namespaces") != std::string::npos);

  // The containerd namespace of a Kubernetes container is k8s.io; admission
  // reads the pod's.
  CHECK(place(pod_claim("default", "database"), "default", kZones, unzoned).kind == Placement::Kind::quarantine);
  CHECK(place(pod_claim("db", "nobody"), "k8s.io", kZones, unzoned).kind == Placement::Kind::quarantine);
}

TEST_CASE("other containers join from the containerd namespaces the zone admits", "[admission]") {
  const UnzonedSetting unzoned;
  CHECK(place(plain_claim("database"), "default", kZones, unzoned).kind == Placement::Kind::zone);
  CHECK(place(plain_claim("database"), "db", kZones, unzoned).kind == Placement::Kind::quarantine);
  CHECK(place(plain_claim("frontend"), "default", kZones, unzoned).kind == Placement::Kind::quarantine);
}

TEST_CASE("every claim that cannot be honoured is quarantined, never left free", "[admission][quarantine]") {
  const UnzonedSetting unzoned;
  auto untrusted = plain_claim("database");
  untrusted.untrusted = "its label names zone 'a' and its annotation zone 'b'";
  auto p = place(untrusted, "default", kZones, unzoned);
  CHECK(p.kind == Placement::Kind::quarantine);
  CHECK(p.why == untrusted.untrusted);
  p = place(plain_claim("Front End"), "default", kZones, unzoned);
  CHECK(p.kind == Placement::Kind::quarantine);
  CHECK(p.why.find("not a valid zone name") != std::string::npos);
  p = place(plain_claim("payments"), "default", kZones, unzoned);
  CHECK(p.kind == Placement::Kind::quarantine);
  CHECK(p.why.find("no policy file defines zone 'payments'") != std::string::npos);
  // A forged log field stays inside the reason.
  p = place(plain_claim("x\" zone=database\nDENY"), "default", kZones, unzoned);
  CHECK(p.why.find('\n') == std::string::npos);
  CHECK(p.why.find("\\\" zone=database\\x0aDENY") != std::string::npos);
}

TEST_CASE("containers that name no zone follow the node's setting; exempt namespaces are left alone",
          "[admission][unzoned]") {
  auto isolate = *parse_unzoned("isolate");
  isolate.exempt = {"kube-system", "syva-*"};
  auto p = place(pod_claim("shop", ""), "k8s.io", kZones, isolate);
  CHECK(p.kind == Placement::Kind::isolated);
  CHECK(p.zone == isolated_zone_name("sandbox-shop"));
  CHECK(p.zone.starts_with("isolated-"));
  CHECK(p.zone.size() <= 63);
  CHECK(isolated_zone_name("a") != isolated_zone_name("b"));
  CHECK(place(pod_claim("kube-system", ""), "k8s.io", kZones, isolate).kind == Placement::Kind::free);
  CHECK(place(pod_claim("syva-system", ""), "k8s.io", kZones, isolate).kind == Placement::Kind::free);
  // Exemption is for containers that name no zone: a claim is still judged.
  CHECK(place(pod_claim("kube-system", "database"), "k8s.io", kZones, isolate).kind ==
        Placement::Kind::quarantine);

  CHECK(place(plain_claim(""), "default", kZones, UnzonedSetting{}).kind == Placement::Kind::free);

  auto fallback = *parse_unzoned("zone:frontend");
  p = place(plain_claim(""), "default", kZones, fallback);
  CHECK(p.kind == Placement::Kind::zone);
  CHECK(p.zone == "frontend");
  fallback = *parse_unzoned("zone:gone");
  CHECK(place(plain_claim(""), "default", kZones, fallback).kind == Placement::Kind::quarantine);

  CHECK_FALSE(parse_unzoned("zone:"));
  CHECK_FALSE(parse_unzoned("zone:quarantine"));
  CHECK_FALSE(parse_unzoned("isolated"));
  CHECK(reserved_zone_name("pending"));
  CHECK(reserved_zone_name("isolated-00ff"));
  CHECK_FALSE(reserved_zone_name("database"));
}

TEST_CASE("text from containers cannot end a log line or forge a field", "[escape]") {
  CHECK(escaped("database") == "database");
  CHECK(escaped("a\"b\\c") == "a\\\"b\\\\c");
  CHECK(escaped("x\ny\r\x1b[31m") == "x\\x0ay\\x0d\\x1b[31m");
  CHECK(escaped("\xff") == "\\xff");
  CHECK(escaped(std::string(300, 'a')).size() == 256 + 3);
}
