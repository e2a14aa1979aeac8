// SPDX-License-Identifier: Apache-2.0
// file_open, bprm_check_security and mmap_file against the real kernel.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>

#include "enforcer/kernel_ids.h"
#include "kernel/zone_fixture.h"

using namespace syva;
using namespace syva::ktest;

namespace {

// A copy of a real program, so that its inode can be owned by a zone.
std::string program_copy(const std::string& name) {
  const auto source = std::filesystem::canonical("/bin/true");
  const std::string dest = kScratch + "/" + name;
  std::filesystem::copy_file(source, dest, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(dest, std::filesystem::perms::owner_all);
  return dest;
}

int exec_program(const std::string& path) {
  // argv[0] "true" also picks busybox's applet when /bin/true is busybox.
  char* const argv[] = {const_cast<char*>("true"), nullptr};
  execv(path.c_str(), argv);
  return errno;
}

int mmap_exec(int fd, int prot) {
  void* p = mmap(nullptr, 4096, prot, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return errno;
  munmap(p, 4096);
  return 0;
}

}  // namespace

TEST_CASE("file_open: cross-zone open is EPERM, same zone, allowed pair and unzoned succeed", "[kernel][file_open]") {
  REQUIRE_BPF_LSM();
  const auto alpha_file = scratch_file("alpha-data");
  const auto beta_file = scratch_file("beta-data");
  const auto shared_file = scratch_file("unowned-data");
  apply_policy(false, {{alpha_file, kAlpha}, {beta_file, kBeta}});
  Cgroup alpha("file-alpha", kAlpha);

  const auto before = counters(SYVA_HOOK_FILE_OPEN);
  drain_events();
  auto denied = run_in(&alpha, [&] { return open_file(beta_file); });
  CHECK(denied.err == EPERM);
  const auto after = counters(SYVA_HOOK_FILE_OPEN);
  CHECK(after.deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_FILE_OPEN, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  CHECK(e.caller_cgroup == alpha.id());
  struct stat st;
  REQUIRE(stat(beta_file.c_str(), &st) == 0);
  CHECK(e.ino == st.st_ino);
  CHECK(e.dev == kernel_dev(st.st_dev));
  CHECK(std::string(e.comm).size() > 0);

  CHECK(run_in(&alpha, [&] { return open_file(alpha_file); }).err == 0);   // (2) own zone
  CHECK(run_in(&alpha, [&] { return open_file(shared_file); }).err == 0);  // a file no zone owns
  CHECK(run_in(nullptr, [&] { return open_file(beta_file); }).err == 0);   // (4) unzoned
  apply_policy(true, {{alpha_file, kAlpha}, {beta_file, kBeta}});
  CHECK(run_in(&alpha, [&] { return open_file(beta_file); }).err == 0);  // (3) allowed pair
  CHECK(counters(SYVA_HOOK_FILE_OPEN).deny - before.deny == 1);
}

TEST_CASE("bprm_check_security: exec of another zone's program is EPERM", "[kernel][bprm_check_security]") {
  REQUIRE_BPF_LSM();
  const auto alpha_bin = program_copy("alpha-true");
  const auto beta_bin = program_copy("beta-true");
  apply_policy(false, {{alpha_bin, kAlpha}, {beta_bin, kBeta}});
  Cgroup alpha("exec-alpha", kAlpha);

  const auto before = counters(SYVA_HOOK_BPRM_CHECK);
  drain_events();
  auto denied = run_in(&alpha, [&] { return exec_program(beta_bin); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_BPRM_CHECK).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_BPRM_CHECK, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  struct stat st;
  REQUIRE(stat(beta_bin.c_str(), &st) == 0);
  CHECK(e.ino == st.st_ino);

  CHECK(run_in(&alpha, [&] { return exec_program(alpha_bin); }).err == 0);  // (2)
  CHECK(run_in(nullptr, [&] { return exec_program(beta_bin); }).err == 0);  // (4)
  apply_policy(true, {{alpha_bin, kAlpha}, {beta_bin, kBeta}});
  CHECK(run_in(&alpha, [&] { return exec_program(beta_bin); }).err == 0);  // (3)
  CHECK(counters(SYVA_HOOK_BPRM_CHECK).deny - before.deny == 1);
}

TEST_CASE("mmap_file: executable mapping of another zone's file is EPERM", "[kernel][mmap_file]") {
  REQUIRE_BPF_LSM();
  const auto alpha_bin = program_copy("alpha-lib");
  const auto beta_bin = program_copy("beta-lib");
  apply_policy(false);
  // Opened before any zone owns them, as a descriptor inherited or passed
  // over a socket would be: mmap_file is the check that remains.
  int alpha_fd = open(alpha_bin.c_str(), O_RDONLY);
  int beta_fd = open(beta_bin.c_str(), O_RDONLY);
  REQUIRE(alpha_fd >= 0);
  REQUIRE(beta_fd >= 0);
  apply_policy(false, {{alpha_bin, kAlpha}, {beta_bin, kBeta}});
  Cgroup alpha("mmap-alpha", kAlpha);

  const auto before = counters(SYVA_HOOK_MMAP_FILE);
  drain_events();
  auto denied = run_in(&alpha, [&] { return mmap_exec(beta_fd, PROT_READ | PROT_EXEC); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_MMAP_FILE).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_MMAP_FILE, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  CHECK((e.aux & PROT_EXEC) != 0);

  CHECK(run_in(&alpha, [&] { return mmap_exec(beta_fd, PROT_READ); }).err == 0);               // not executable
  CHECK(run_in(&alpha, [&] { return mmap_exec(alpha_fd, PROT_READ | PROT_EXEC); }).err == 0);  // (2)
  CHECK(run_in(nullptr, [&] { return mmap_exec(beta_fd, PROT_READ | PROT_EXEC); }).err == 0);  // (4)
  apply_policy(true, {{alpha_bin, kAlpha}, {beta_bin, kBeta}});
  CHECK(run_in(&alpha, [&] { return mmap_exec(beta_fd, PROT_READ | PROT_EXEC); }).err == 0);  // (3)
  CHECK(counters(SYVA_HOOK_MMAP_FILE).deny - before.deny == 1);
  close(alpha_fd);
  close(beta_fd);
}
