// SPDX-License-Identifier: Apache-2.0
// The agent on this host's kernel: it must refuse with a reason an operator
// can act on, and it must never leave pins behind. Where the host kernel does
// run BPF-LSM, the refusal test does not apply and says so.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

#include "enforcer/enforcer.h"
#include "support/shell.h"
#include "support/skip.h"

using syva::test::shell;

namespace {

const std::string kPin = "/sys/fs/bpf/syva-host-test";

bool host_runs_bpf_lsm() {
  try {
    syva::Enforcer probe(syva::EnforcerOptions{kPin + "-probe", true});
    return true;
  } catch (const syva::KernelUnsupported&) {
    return false;
  }
}

}  // namespace

TEST_CASE("on a kernel that refuses BPF-LSM the agent exits 3 naming the cause", "[host]") {
  if (host_runs_bpf_lsm()) SYVA_SKIP("this host's kernel loads BPF-LSM programs; the refusal path cannot be shown");
  auto r = shell(std::string(SYVA_BINARY) + " --policy-dir " + SYVA_SOURCE_DIR + "/policies --pin-path " + kPin);
  INFO(r.output);
  CHECK(r.exit_code == 3);
  CHECK(r.output.find("cannot enforce") != std::string::npos);
  CHECK(r.output.find("BPF-LSM") != std::string::npos);
  CHECK(r.output.find("syva_") != std::string::npos);  // libbpf's word on which program failed
  CHECK_FALSE(std::filesystem::exists(kPin));
}

TEST_CASE("an invalid policy stops the agent before it touches the kernel", "[host]") {
  const std::string dir = "/tmp/syva-host-bad-policy";
  std::filesystem::create_directories(dir);
  FILE* f = fopen((dir + "/web.toml").c_str(), "w");
  fputs("[network]\nmode = \"mesh\"\n", f);
  fclose(f);
  auto r = shell(std::string(SYVA_BINARY) + " --policy-dir " + dir + " --pin-path " + kPin);
  std::filesystem::remove_all(dir);
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("web.toml:2: [network] mode: 'mesh' is not one of isolated, bridged, host") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(kPin));
}

TEST_CASE("maps pin and re-adopt on this kernel; a second owner is refused", "[host]") {
  const std::string pin = kPin + "-maps";
  {
    syva::Enforcer first(syva::EnforcerOptions{pin, false});
    first.set_member(4242, 1);
    CHECK(std::filesystem::exists(pin + "/zone_membership"));
    CHECK_THROWS_WITH(syva::Enforcer(syva::EnforcerOptions{pin, false}), Catch::Contains("another syva instance"));
  }
  CHECK_FALSE(std::filesystem::exists(pin));
}

TEST_CASE("syva status with nothing pinned is INACTIVE and exits 1", "[host]") {
  auto r = shell(std::string(SYVA_BINARY) + " status --pin-path " + kPin + "-none");
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("syva: INACTIVE") != std::string::npos);
  auto j = shell(std::string(SYVA_BINARY) + " status --json --pin-path " + kPin + "-none");
  CHECK(j.exit_code == 1);
  CHECK(j.output.find("\"status\": \"INACTIVE\"") != std::string::npos);
}

TEST_CASE("--help and --version answer; a bad flag is a usage error", "[host]") {
  CHECK(shell(std::string(SYVA_BINARY) + " --version").output.find("syva 0.") == 0);
  auto h = shell(std::string(SYVA_BINARY) + " --help");
  CHECK(h.exit_code == 0);
  CHECK(h.output.find("--policy-dir") != std::string::npos);
  CHECK(shell(std::string(SYVA_BINARY) + " --frobnicate").exit_code == 64);
}
