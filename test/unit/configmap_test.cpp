// SPDX-License-Identifier: Apache-2.0
// The ConfigMap document: each file's bytes come back exactly from the YAML
// (test/host/deploy_manifest_test.sh parses the output with PyYAML; here
// the text itself is pinned down for the cases the chomping rules split).
#include <catch2/catch.hpp>

#include <stdexcept>

#include "cli/configmap.h"

using syva::configmap_yaml;
using syva::ConfigMapFile;

namespace {

const std::string kHeader =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: syva-policies\n  namespace: syva-system\n  labels:\n"
    "    app.kubernetes.io/name: syva\ndata:\n";

std::string one(const std::string& contents) {
  std::string doc = configmap_yaml("syva-policies", "syva-system", {{"a.toml", contents}});
  REQUIRE(doc.starts_with(kHeader));
  return doc.substr(kHeader.size());
}

}  // namespace

TEST_CASE("a file ending in one newline is a plain literal block", "[configmap]") {
  CHECK(one("[zone]\nmode = \"audit\"\n") == "  a.toml: |\n    [zone]\n    mode = \"audit\"\n");
  CHECK(one("# x\n\n[zone]\n") == "  a.toml: |\n    # x\n\n    [zone]\n");
}

TEST_CASE("the chomping indicator keeps the last newlines as they are", "[configmap]") {
  CHECK(one("[zone]") == "  a.toml: |-\n    [zone]\n");
  CHECK(one("[zone]\n\n\n") == "  a.toml: |+\n    [zone]\n\n\n");
  CHECK(one("\n") == "  a.toml: |+\n\n");
  CHECK(one("") == "  a.toml: \"\"\n");
}

TEST_CASE("a first line starting with a space states the indentation", "[configmap]") {
  CHECK(one("  # indented\n[zone]\n") == "  a.toml: |2\n      # indented\n    [zone]\n");
  CHECK(one("\n [zone]") == "  a.toml: |2-\n\n     [zone]\n");
}

TEST_CASE("tabs, trailing blanks and non-ASCII text stay in the literal block", "[configmap]") {
  CHECK(one("#\tzone \xc3\xa9t\xc3\xa9  \n") == "  a.toml: |\n    #\tzone \xc3\xa9t\xc3\xa9  \n");
}

TEST_CASE("what a literal block cannot carry goes double-quoted, escaped", "[configmap]") {
  CHECK(one("[zone]\r\nmode = \"a\\b\"\r\n") == "  a.toml: \"[zone]\\r\\nmode = \\\"a\\\\b\\\"\\r\\n\"\n");
  CHECK(one("#\x01\xc2\x85\xe2\x80\xa8\n") == "  a.toml: \"#\\x01\\u0085\\u2028\\n\"\n");
}

TEST_CASE("files come in the order given, one key each", "[configmap]") {
  auto doc = configmap_yaml("p", "ns", {{"a.toml", "1\n"}, {"b.toml", "2\n"}});
  CHECK(doc.find("  name: p\n  namespace: ns\n") != std::string::npos);
  CHECK(doc.ends_with("data:\n  a.toml: |\n    1\n  b.toml: |\n    2\n"));
  CHECK(configmap_yaml("p", "ns", {}).ends_with("data: {}\n"));
}

TEST_CASE("what Kubernetes would refuse is refused here", "[configmap]") {
  CHECK_THROWS_AS(configmap_yaml("p", "ns", {{"a.toml", "\xff\n"}}), std::invalid_argument);
  CHECK_THROWS_AS(configmap_yaml("p", "ns", {{"a b.toml", "x\n"}}), std::invalid_argument);
  CHECK_THROWS_AS(configmap_yaml("P", "ns", {}), std::invalid_argument);
  CHECK_THROWS_AS(configmap_yaml("p", "n s", {}), std::invalid_argument);
  CHECK_THROWS_AS(configmap_yaml("p", "ns", {{"a.toml", std::string(1024 * 1024 + 1, 'x')}}), std::invalid_argument);
}
