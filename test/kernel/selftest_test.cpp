// SPDX-License-Identifier: Apache-2.0
// The startup self-test on the real kernel: it passes when the kernel's view
// matches user space's, and a forced mismatch makes it fail.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "enforcer/selftest.h"
#include "kernel/zone_fixture.h"

using namespace syva;
using namespace syva::ktest;

namespace {

std::string self_exe() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

}  // namespace

TEST_CASE("self-test: the kernel's cgroup id and inode key match user space", "[kernel][selftest]") {
  REQUIRE_BPF_LSM();
  unsetenv(kSelftestFaultEnv);
  auto r = run_selftest(enforcer(), self_exe());
  INFO(r.summary);
  CHECK(r.passed);
  CHECK(r.hits >= 1);
  CHECK(r.kernel_cgroup == r.expected_cgroup);
  CHECK(r.kernel_task_cgroup == r.expected_cgroup);
  CHECK(r.kernel_inode.ino == r.expected_inode.ino);
  CHECK(r.kernel_inode.dev == r.expected_inode.dev);
}

TEST_CASE("self-test: a forced cgroup or inode mismatch fails it", "[kernel][selftest]") {
  REQUIRE_BPF_LSM();
  for (const char* fault : {"cgroup", "inode"}) {
    setenv(kSelftestFaultEnv, fault, 1);
    auto r = run_selftest(enforcer(), self_exe());
    unsetenv(kSelftestFaultEnv);
    INFO(fault << ": " << r.summary);
    CHECK_FALSE(r.passed);
  }
}
