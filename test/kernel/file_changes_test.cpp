// SPDX-License-Identifier: Apache-2.0
// Files changed without being opened (ebpf/file_changes.bpf.c, and
// file_mprotect in ebpf/files.bpf.c) against the real kernel: sizes,
// attributes, times, extended attributes, entries made, removed, linked and
// renamed; ownership that follows files as they are made and freed; and
// writable_paths for every way to write a file or change an entry (open
// for writing or with O_TRUNC, truncate, ftruncate, create, remove, link,
// rename).
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "enforcer/kernel_ids.h"
#include "kernel/zone_fixture.h"
#include "support/exit_codes.h"
#include "support/files.h"
#include "syva.skel.h"

using namespace syva;
using namespace syva::ktest;
namespace fs = std::filesystem;

namespace {

int result(int rc) { return rc == 0 ? 0 : errno; }

// ---- one action after an exec ---------------------------------------------
// writable_paths holds a zone's workload, the tasks that exec'd in the zone
// (and their children), not the runtime's setup before the exec. A run_in()
// child therefore execs this test binary again with the action in its
// environment; the initializer below runs it before Catch2's main and exits
// with its result, as the zone probe does for the simpler actions.
constexpr const char* kExecAction = "SYVA_KTEST_EXEC_ACTION";
constexpr const char* kExecPath = "SYVA_KTEST_EXEC_PATH";
constexpr const char* kExecPath2 = "SYVA_KTEST_EXEC_PATH2";

int exec_action(const std::string& what, const char* path, const char* path2) {
  if (!path) return SYVA_TEST_EXIT_USAGE;
  if (what == "write") {  // made if need be, one byte written
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) return errno;
    const int rc = write(fd, "w", 1) == 1 ? 0 : errno;
    close(fd);
    return rc;
  }
  if (what == "open-trunc") {  // read-only, but O_TRUNC empties it
    int fd = open(path, O_RDONLY | O_TRUNC);
    if (fd < 0) return errno;
    close(fd);
    return 0;
  }
  if (what == "truncate") return result(truncate(path, 0));
  if (what == "ftruncate") return result(ftruncate(atoi(path), 0));  // a descriptor kept across the exec
  if (what == "create") {  // O_CREAT without write access: makes the entry all the same
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) return errno;
    close(fd);
    return 0;
  }
  if (what == "mkfifo") return result(mkfifo(path, 0644));
  if (what == "mkdir") return result(mkdir(path, 0755));
  if (what == "rmdir") return result(rmdir(path));
  if (what == "unlink") return result(unlink(path));
  if (!path2) return SYVA_TEST_EXIT_USAGE;
  if (what == "rename") return result(rename(path, path2));
  if (what == "link") return result(link(path, path2));
  if (what == "symlink") return result(symlink(path, path2));
  return SYVA_TEST_EXIT_USAGE;
}

[[maybe_unused]] const int exec_action_ran = [] {
  if (const char* what = getenv(kExecAction)) _exit(exec_action(what, getenv(kExecPath), getenv(kExecPath2)));
  return 0;
}();

// In a run_in() child: exec this binary to do `what` as the zone's workload.
int exec_and(const std::string& what, const std::string& path, const std::string& path2 = "") {
  setenv(kExecAction, what.c_str(), 1);
  setenv(kExecPath, path.c_str(), 1);
  if (!path2.empty()) setenv(kExecPath2, path2.c_str(), 1);
  char* const argv[] = {const_cast<char*>("syva-kernel-tests"), nullptr};
  execv("/proc/self/exe", argv);
  return SYVA_TEST_EXIT_EXEC_FAILED;
}

// ---- helpers ----------------------------------------------------------------

// An empty directory under kScratch, made afresh.
std::string fresh_dir(const std::string& name) {
  const std::string dir = kScratch + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string make_file(const std::string& path, const std::string& content = "syva") {
  std::ofstream(path, std::ios::trunc) << content;
  return path;
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st;
}

syva_inode_key key_of(const std::string& path) {
  const auto st = stat_of(path);
  return {kernel_dev(st.st_dev), st.st_ino};
}

// The zone inode_zone gives `key`, if it has an entry.
std::optional<uint32_t> inode_owner(const syva_inode_key& key) {
  uint32_t zone = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(enforcer().skeleton()->maps.inode_zone), &key, &zone) != 0) return std::nullopt;
  return zone & ~SYVA_INODE_INHERITED;
}

void drop_caches() {
  sync();
  std::ofstream("/proc/sys/vm/drop_caches") << "2\n";
}

// The xattr name this filesystem takes for the change checks: user.* where
// it supports them (tmpfs only since 6.6), else trusted.* (the tests run as
// root); inode_setxattr is asked the same question for either. Empty when
// neither works.
std::string xattr_name_for(const std::string& dir) {
  const std::string probe = make_file(dir + "/xattr-probe");
  std::string name;
  for (const char* candidate : {"user.syva-test", "trusted.syva-test"})
    if (setxattr(probe.c_str(), candidate, "v", 1, 0) == 0) {
      name = candidate;
      break;
    }
  unlink(probe.c_str());
  return name;
}

// One way to change a file or directory without opening it, proved against
// check `hook`: refused across zones, allowed within the zone, for an allowed
// pair and for an unzoned caller.
struct Change {
  std::string name;
  syva_hook hook;
  // Makes what the change acts on in `dir` (new and empty) and returns the
  // path of what a zone owns: the file or directory the hook judges.
  std::function<std::string(const std::string& dir)> prepare;
  // In the child: 0 or the errno the change got.
  std::function<int(const std::string& dir)> act;
};

void prove(const Change& c) {
  INFO("change: " << c.name);
  Cgroup alpha("chg-" + c.name, kAlpha);
  const auto before = counters(c.hook);
  drain_events();

  // Refused: alpha changes what beta owns.
  std::string dir = fresh_dir("chg-" + c.name + "-denied");
  std::string owned = c.prepare(dir);
  apply_policy(false, {{owned, kBeta}});
  auto denied = run_in(&alpha, [&] { return c.act(dir); });
  CHECK(denied.err == EPERM);
  CHECK(counters(c.hook).deny - before.deny == 1);
  // Only when refused and counted here: else failed above, and the other
  // outcomes (and the changes after this one) still say what works.
  if (denied.err == EPERM && counters(c.hook).deny - before.deny == 1) {
    auto e = only_event(drain_events(), c.hook, denied.pid);
    CHECK(e.caller_zone == kAlpha);
    CHECK(e.target_zone == kBeta);
    CHECK(e.caller_cgroup == alpha.id());
    const auto st = stat_of(owned);  // refused: still there
    CHECK(e.ino == st.st_ino);
    CHECK(e.dev == kernel_dev(st.st_dev));
  }

  // Its own zone's.
  dir = fresh_dir("chg-" + c.name + "-own");
  owned = c.prepare(dir);
  apply_policy(false, {{owned, kAlpha}});
  CHECK(run_in(&alpha, [&] { return c.act(dir); }).err == 0);

  // An unzoned caller.
  dir = fresh_dir("chg-" + c.name + "-unzoned");
  owned = c.prepare(dir);
  apply_policy(false, {{owned, kBeta}});
  CHECK(run_in(nullptr, [&] { return c.act(dir); }).err == 0);

  // An allowed pair.
  dir = fresh_dir("chg-" + c.name + "-pair");
  owned = c.prepare(dir);
  apply_policy(true, {{owned, kBeta}});
  CHECK(run_in(&alpha, [&] { return c.act(dir); }).err == 0);

  CHECK(counters(c.hook).deny - before.deny == 1);
  drain_events();
}

std::string file_in(const std::string& dir) { return make_file(dir + "/file"); }

std::string subdir_in(const std::string& dir) {
  fs::create_directories(dir + "/owned");
  return dir + "/owned";
}

}  // namespace

TEST_CASE("inode_setattr: truncate, chmod, chown and utimensat of another zone's file are EPERM",
          "[kernel][file_changes]") {
  REQUIRE_BPF_LSM();
  prove({"truncate", SYVA_HOOK_INODE_SETATTR, file_in,
         [](const std::string& dir) { return result(truncate((dir + "/file").c_str(), 0)); }});
  prove({"chmod", SYVA_HOOK_INODE_SETATTR, file_in,
         [](const std::string& dir) { return result(chmod((dir + "/file").c_str(), 0640)); }});
  prove({"chown", SYVA_HOOK_INODE_SETATTR, file_in,
         [](const std::string& dir) { return result(chown((dir + "/file").c_str(), 0, 0)); }});
  prove({"utimensat", SYVA_HOOK_INODE_SETATTR, file_in,
         [](const std::string& dir) { return result(utimensat(AT_FDCWD, (dir + "/file").c_str(), nullptr, 0)); }});
}

TEST_CASE("inode_setattr: ftruncate through a descriptor opened before the file was owned is EPERM",
          "[kernel][file_changes]") {
  REQUIRE_BPF_LSM();
  // A writable descriptor inherited (or passed) from outside the zone:
  // opening was never judged, the truncation is.
  int fd = -1;
  prove({"ftruncate", SYVA_HOOK_INODE_SETATTR,
         [&fd](const std::string& dir) {
           if (fd >= 0) close(fd);
           const auto path = file_in(dir);
           fd = open(path.c_str(), O_RDWR);
           REQUIRE(fd >= 0);
           return path;
         },
         [&fd](const std::string&) { return result(ftruncate(fd, 0)); }});
  if (fd >= 0) close(fd);
}

TEST_CASE("inode_setxattr, inode_removexattr: another zone's file's extended attributes are not changed",
          "[kernel][file_changes]") {
  REQUIRE_BPF_LSM();
  const std::string name = xattr_name_for(kScratch);
  if (name.empty()) SYVA_SKIP("the filesystem of " + kScratch + " takes neither user.* nor trusted.* xattrs");
  if (name.rfind("user.", 0) != 0)
    WARN("user.* xattrs are not supported under " << kScratch << " (tmpfs before 6.6): testing with " << name
                                                  << ", which inode_setxattr/inode_removexattr judge alike");
  prove({"setxattr", SYVA_HOOK_INODE_XATTR, file_in, [&](const std::string& dir) {
           return result(setxattr((dir + "/file").c_str(), name.c_str(), "zone", 4, 0));
         }});
  prove({"removexattr", SYVA_HOOK_INODE_XATTR,
         [&](const std::string& dir) {
           const auto path = file_in(dir);
           REQUIRE(setxattr(path.c_str(), name.c_str(), "v", 1, 0) == 0);
           return path;
         },
         [&](const std::string& dir) { return result(removexattr((dir + "/file").c_str(), name.c_str())); }});
}

TEST_CASE("path_unlink, path_rename, path_link: another zone's file is not removed, moved, replaced or linked",
          "[kernel][file_changes]") {
  REQUIRE_BPF_LSM();
  prove({"unlink", SYVA_HOOK_PATH_UNLINK, file_in,
         [](const std::string& dir) { return result(unlink((dir + "/file").c_str())); }});
  prove({"rename-from", SYVA_HOOK_PATH_RENAME, file_in,
         [](const std::string& dir) { return result(rename((dir + "/file").c_str(), (dir + "/moved").c_str())); }});
  prove({"rename-onto", SYVA_HOOK_PATH_RENAME,
         [](const std::string& dir) {
           make_file(dir + "/mine");
           return make_file(dir + "/file");
         },
         [](const std::string& dir) { return result(rename((dir + "/mine").c_str(), (dir + "/file").c_str())); }});
  prove({"link", SYVA_HOOK_PATH_LINK, file_in,
         [](const std::string& dir) { return result(link((dir + "/file").c_str(), (dir + "/hardlink").c_str())); }});
}

TEST_CASE("path_mkdir, path_mknod, path_symlink, path_rmdir: entries of another zone's directory",
          "[kernel][file_changes]") {
  REQUIRE_BPF_LSM();
  prove({"mkdir", SYVA_HOOK_PATH_CREATE, subdir_in,
         [](const std::string& dir) { return result(mkdir((dir + "/owned/new").c_str(), 0755)); }});
  prove({"creat", SYVA_HOOK_PATH_CREATE, subdir_in, [](const std::string& dir) {
           int fd = creat((dir + "/owned/new").c_str(), 0644);
           if (fd < 0) return errno;
           close(fd);
           return 0;
         }});
  prove({"mknod", SYVA_HOOK_PATH_CREATE, subdir_in,
         [](const std::string& dir) { return result(mknod((dir + "/owned/fifo").c_str(), S_IFIFO | 0600, 0)); }});
  prove({"symlink", SYVA_HOOK_PATH_CREATE, subdir_in,
         [](const std::string& dir) { return result(symlink("elsewhere", (dir + "/owned/link").c_str())); }});
  prove({"rmdir", SYVA_HOOK_PATH_RMDIR, subdir_in,
         [](const std::string& dir) { return result(rmdir((dir + "/owned").c_str())); }});
}

TEST_CASE("file_mprotect: making a read-only mapping of another zone's file executable is EPERM",
          "[kernel][file_changes]") {
  REQUIRE_BPF_LSM();
  int fd = -1;
  prove({"mprotect", SYVA_HOOK_FILE_MPROTECT,
         [&fd](const std::string& dir) {
           if (fd >= 0) close(fd);
           const auto path = make_file(dir + "/file", std::string(4096, 'x'));
           fd = open(path.c_str(), O_RDONLY);  // before the file is owned, as a passed descriptor
           REQUIRE(fd >= 0);
           return path;
         },
         [&fd](const std::string&) {
           void* p = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, fd, 0);  // mmap_file: not executable
           if (p == MAP_FAILED) return SYVA_TEST_EXIT_STEP1;
           const int rc = result(mprotect(p, 4096, PROT_READ | PROT_EXEC));
           munmap(p, 4096);
           return rc;
         }});
  if (fd >= 0) close(fd);
}

TEST_CASE("file_owner: a file made in a directory a zone owns is that zone's; its entry goes when it is freed",
          "[kernel][file_changes]") {
  REQUIRE_BPF_LSM();
  const std::string dir = fresh_dir("owner-dir");
  const std::string elsewhere = fresh_dir("owner-elsewhere");
  apply_policy(false, {{dir, kBeta}});
  Cgroup alpha("owner-alpha", kAlpha);
  Cgroup beta("owner-beta", kBeta);

  // Made by an unzoned process (the test itself): beta's all the same.
  const std::string by_host = make_file(dir + "/made-by-host");
  CHECK(inode_owner(key_of(by_host)) == kBeta);
  const auto before = counters(SYVA_HOOK_FILE_OPEN);
  drain_events();
  auto denied = run_in(&alpha, [&] { return open_file(by_host); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_FILE_OPEN).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_FILE_OPEN, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  CHECK(e.ino == stat_of(by_host).st_ino);
  CHECK(run_in(&beta, [&] { return open_file(by_host); }).err == 0);

  // Made by beta, and a directory made in it, and a file in that: beta's.
  CHECK(run_in(&beta, [&] {
          int fd = open((dir + "/made-by-beta").c_str(), O_WRONLY | O_CREAT, 0644);
          if (fd < 0) return errno;
          close(fd);
          return result(mkdir((dir + "/sub").c_str(), 0755));
        }).err == 0);
  const std::string nested = make_file(dir + "/sub/nested");
  CHECK(run_in(&alpha, [&] { return open_file(dir + "/made-by-beta"); }).err == EPERM);
  CHECK(run_in(&alpha, [&] { return open_file(nested); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_FILE_OPEN).deny - before.deny == 3);

  // Unlinked and closed, the inode is freed and its entry goes with it, so
  // a later inode with the same number is not born owned.
  const auto freed = key_of(by_host);
  REQUIRE(unlink(by_host.c_str()) == 0);
  for (int i = 0; i < 10 && inode_owner(freed); ++i) {
    drop_caches();
    usleep(100 * 1000);
  }
  CHECK_FALSE(inode_owner(freed).has_value());
  const std::string fresh = make_file(elsewhere + "/fresh");
  CHECK_FALSE(inode_owner(key_of(fresh)).has_value());
  CHECK(run_in(&alpha, [&] { return open_file(fresh); }).err == 0);
  drain_events();
}

TEST_CASE("file_owner: a policy reload keeps the owner a file inherited from its directory",
          "[kernel][file_changes]") {
  REQUIRE_BPF_LSM();
  const std::string dir = fresh_dir("reload-dir");
  apply_policy(false, {{dir, kBeta}});
  Cgroup alpha("reload-alpha", kAlpha);
  const std::string made = make_file(dir + "/made");
  REQUIRE(inode_owner(key_of(made)) == kBeta);
  // The same policy again, as a reload or the next agent's start applies it.
  apply_policy(false, {{dir, kBeta}});
  CHECK(inode_owner(key_of(made)) == kBeta);
  CHECK(run_in(&alpha, [&] { return open_file(made); }).err == EPERM);
  drain_events();
}

TEST_CASE("file_owner: an owned file keeps its owner when its inode leaves the inode cache",
          "[kernel][file_changes]") {
  REQUIRE_BPF_LSM();
  // Overlayfs frees an inode as soon as its dentry leaves the cache, as any
  // disk filesystem does under memory pressure; the file is still there and
  // comes back with the same device and inode number.
  const std::string base = fresh_dir("evict");
  for (const char* d : {"lower", "upper", "work", "merged"}) fs::create_directories(base + "/" + d);
  const std::string merged = base + "/merged";
  const std::string options = "lowerdir=" + base + "/lower,upperdir=" + base + "/upper,workdir=" + base + "/work";
  if (mount("overlay", merged.c_str(), "overlay", 0, options.c_str()) != 0)
    SYVA_SKIP(std::string("cannot mount overlayfs (run-in-vm.sh --modules overlay): ") + strerror(errno));
  const std::string file = make_file(merged + "/owned");
  apply_policy(false, {{file, kBeta}});
  Cgroup alpha("evict-alpha", kAlpha);
  const auto key = key_of(file);
  REQUIRE(inode_owner(key) == kBeta);
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == EPERM);

  for (int i = 0; i < 3; ++i) drop_caches();
  CHECK(stat_of(file).st_ino == key.ino);
  CHECK(inode_owner(key) == kBeta);
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == EPERM);
  umount2(merged.c_str(), MNT_DETACH);
  drain_events();
}

namespace {

// Zone alpha with writable_paths = [kScratch/wr]; beta without. Files:
// `inside` below the writable path, `out_file` in a directory whose name the
// writable path is a prefix of, which is not below it.
struct WritableZone {
  std::string writable = fresh_dir("wr");
  std::string outside = fresh_dir("wr-outside");
  std::string inside;
  std::string out_file;
  std::optional<Cgroup> alpha;
  std::optional<Cgroup> beta;

  explicit WritableZone(const std::string& name) {
    syva_writable_paths paths{};
    paths.count = 1;
    REQUIRE(writable.size() < sizeof(paths.paths[0]));
    writable.copy(paths.paths[0], sizeof(paths.paths[0]) - 1);
    syva_zone_policy alpha_rules{};
    alpha_rules.flags = SYVA_ZONE_F_WRITABLE;
    apply_zone_rules(alpha_rules, {}, {}, {{kAlpha, paths}});
    alpha.emplace(name + "-alpha", kAlpha);
    beta.emplace(name + "-beta", kBeta);
    inside = make_file(writable + "/inside");
    out_file = make_file(outside + "/file");
  }
  ~WritableZone() {
    alpha.reset();
    beta.reset();
    fs::remove_all(writable);
    fs::remove_all(outside);
  }
  WritableZone(const WritableZone&) = delete;
  WritableZone& operator=(const WritableZone&) = delete;

  // A path of 300 characters below the writable path: the whole path is
  // resolved and matched, not only its first 64 or 256 characters.
  std::string long_path() const {
    const std::string deep = writable + "/" + std::string(120, 'a') + "/" + std::string(120, 'b');
    fs::create_directories(deep);
    std::string path = deep + "/";
    path += std::string(300 - path.size(), 'c');
    REQUIRE(path.size() == 300);
    return path;
  }
};

}  // namespace

TEST_CASE("writable_paths: opening outside the zone's paths for writing, with O_TRUNC too, is EPERM; "
          "writes inside, by a 300-character path too, succeed",
          "[kernel][file_changes][writable]") {
  REQUIRE_BPF_LSM();
  WritableZone z("wro");
  Cgroup& alpha = *z.alpha;
  const auto before = counters(SYVA_HOOK_WRITABLE_PATHS);
  drain_events();

  // O_RDONLY | O_TRUNC empties the file: a write.
  auto trunc_open = run_in(&alpha, [&] { return exec_and("open-trunc", z.out_file); });
  CHECK(trunc_open.err == EPERM);
  CHECK(counters(SYVA_HOOK_WRITABLE_PATHS).deny - before.deny == 1);
  if (trunc_open.err == EPERM) {
    auto e = only_event(drain_events(), SYVA_HOOK_WRITABLE_PATHS, trunc_open.pid);
    CHECK(e.caller_zone == kAlpha);
    CHECK(e.target_zone == kAlpha);  // a rule of the zone's own
    CHECK(e.caller_cgroup == alpha.id());
    CHECK(e.ino == stat_of(z.out_file).st_ino);
  }
  CHECK(test::read_file(z.out_file) == "syva");
  CHECK(run_in(&alpha, [&] { return exec_and("write", z.out_file); }).err == EPERM);
  CHECK(test::read_file(z.out_file) == "syva");
  // A new file in a directory that is not writable: its entry is refused.
  CHECK(run_in(&alpha, [&] { return exec_and("write", z.outside + "/new"); }).err == EPERM);
  CHECK(test::read_file(z.outside + "/new").empty());
  CHECK(counters(SYVA_HOOK_WRITABLE_PATHS).deny - before.deny == 3);

  // Inside, all of it works, by a long path too.
  CHECK(run_in(&alpha, [&] { return exec_and("write", z.inside); }).err == 0);
  CHECK(run_in(&alpha, [&] { return exec_and("open-trunc", z.inside); }).err == 0);
  CHECK(run_in(&alpha, [&] { return exec_and("write", z.writable + "/new"); }).err == 0);
  const std::string long_path = z.long_path();
  CHECK(run_in(&alpha, [&] { return exec_and("write", long_path); }).err == 0);
  CHECK(test::read_file(long_path) == "w");
  CHECK(run_in(&alpha, [&] { return exec_and("open-trunc", long_path); }).err == 0);
  CHECK(test::read_file(long_path).empty());

  // No writable_paths, unzoned, or the runtime before its exec: not judged.
  CHECK(run_in(&*z.beta, [&] { return exec_and("open-trunc", z.out_file); }).err == 0);
  make_file(z.out_file);
  CHECK(run_in(nullptr, [&] { return exec_and("open-trunc", z.out_file); }).err == 0);
  make_file(z.out_file);
  CHECK(run_in(&alpha, [&] {
          int fd = open(z.out_file.c_str(), O_RDONLY | O_TRUNC);
          if (fd < 0) return errno;
          close(fd);
          return 0;
        }).err == 0);
  CHECK(counters(SYVA_HOOK_WRITABLE_PATHS).deny - before.deny == 3);
  drain_events();
}

TEST_CASE("writable_paths: truncate, ftruncate, and entries made, removed, linked or renamed outside the zone's "
          "paths are EPERM; inside they succeed; a path too deep to resolve is refused",
          "[kernel][file_changes][writable]") {
  REQUIRE_BPF_LSM();
  WritableZone z("wrc");
  Cgroup& alpha = *z.alpha;
  const std::string& in = z.writable;
  const std::string& out = z.outside;
  fs::create_directories(out + "/dir");
  const auto before = counters(SYVA_HOOK_WRITABLE_PATHS);
  drain_events();

  // truncate(2) by path: refused, and the event names the file.
  const auto truncated = run_in(&alpha, [&] { return exec_and("truncate", z.out_file); });
  CHECK(truncated.err == EPERM);
  if (truncated.err == EPERM) {
    auto e = only_event(drain_events(), SYVA_HOOK_WRITABLE_PATHS, truncated.pid);
    CHECK(e.caller_zone == kAlpha);
    CHECK(e.target_zone == kAlpha);
    CHECK(e.caller_cgroup == alpha.id());
    CHECK(e.ino == stat_of(z.out_file).st_ino);
  }
  // ftruncate through a descriptor opened for writing before the exec, when
  // the process was not the zone's workload yet.
  auto ftruncate_by_descriptor = [&](const std::string& path) {
    return run_in(&alpha,
                  [&] {
                    const int fd = open(path.c_str(), O_WRONLY);
                    if (fd < 0) return SYVA_TEST_EXIT_STEP1;
                    return exec_and("ftruncate", std::to_string(fd));
                  })
        .err;
  };
  CHECK(ftruncate_by_descriptor(z.out_file) == EPERM);
  CHECK(test::read_file(z.out_file) == "syva");

  struct Step {
    const char* what;
    std::string path, path2;
  };
  const std::vector<Step> refused = {
      {"create", out + "/created", ""},         {"mkfifo", out + "/fifo", ""}, {"mkdir", out + "/newdir", ""},
      {"symlink", z.inside, out + "/symlink"},  {"unlink", z.out_file, ""},    {"rmdir", out + "/dir", ""},
      {"link", z.inside, out + "/link"},         // a new name outside
      {"rename", z.inside, out + "/moved"},      // onto a path outside
      {"rename", z.out_file, in + "/moved-in"},  // from a path outside
  };
  for (const auto& c : refused) {
    INFO(c.what << " " << c.path << " " << c.path2);
    CHECK(run_in(&alpha, [&] { return exec_and(c.what, c.path, c.path2); }).err == EPERM);
  }
  CHECK(fs::exists(z.out_file));
  CHECK(fs::exists(out + "/dir"));
  CHECK(fs::exists(z.inside));
  for (const char* made : {"/created", "/fifo", "/newdir", "/symlink", "/link", "/moved"})
    CHECK_FALSE(fs::exists(fs::symlink_status(out + made)));
  CHECK_FALSE(fs::exists(in + "/moved-in"));
  size_t events = 0;
  for (const auto& e : drain_events())
    if (e.hook == SYVA_HOOK_WRITABLE_PATHS && e.caller_zone == kAlpha) ++events;
  CHECK(events == refused.size() + 1);
  CHECK(counters(SYVA_HOOK_WRITABLE_PATHS).deny - before.deny == refused.size() + 2);

  // Inside the writable path every one of them works, by a long path too.
  fs::create_directories(in + "/dir");
  const std::vector<Step> allowed = {
      {"truncate", z.inside, ""},
      {"create", in + "/created", ""},
      {"mkfifo", in + "/fifo", ""},
      {"mkdir", in + "/newdir", ""},
      {"symlink", z.inside, in + "/symlink"},
      {"link", z.inside, in + "/link"},
      {"rename", in + "/link", in + "/dir/renamed"},
      {"unlink", in + "/dir/renamed", ""},
      {"rmdir", in + "/newdir", ""},
  };
  for (const auto& c : allowed) {
    INFO(c.what << " " << c.path << " " << c.path2);
    CHECK(run_in(&alpha, [&] { return exec_and(c.what, c.path, c.path2); }).err == 0);
  }
  CHECK(ftruncate_by_descriptor(z.inside) == 0);
  const std::string long_path = z.long_path();
  CHECK(run_in(&alpha, [&] { return exec_and("mkdir", long_path); }).err == 0);
  CHECK(run_in(&alpha, [&] { return exec_and("rmdir", long_path); }).err == 0);

  // Deeper than the walk goes (128 steps): not resolved, so refused and
  // counted as an error, inside the writable path too.
  std::string deep = in;
  for (int i = 0; i < 130; ++i) deep += "/d";
  fs::create_directories(deep);
  const auto errors = counters(SYVA_HOOK_WRITABLE_PATHS).error;
  CHECK(run_in(&alpha, [&] { return exec_and("mkdir", deep + "/x"); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_WRITABLE_PATHS).error - errors == 1);

  // Longer than the walk's buffer holds (3,824 bytes), though shallow and
  // short of PATH_MAX: not resolved either, so refused and counted.
  std::string long_dir = in;
  while (long_dir.size() - in.size() <= 3830) long_dir += "/" + std::string(100, 'l');
  REQUIRE(long_dir.size() + 2 < PATH_MAX);
  fs::create_directories(long_dir);
  const auto long_errors = counters(SYVA_HOOK_WRITABLE_PATHS).error;
  CHECK(run_in(&alpha, [&] { return exec_and("mkdir", long_dir + "/x"); }).err == EPERM);
  CHECK(counters(SYVA_HOOK_WRITABLE_PATHS).error - long_errors == 1);
  CHECK_FALSE(fs::exists(long_dir + "/x"));

  // No writable_paths, unzoned, or the runtime before its exec: not judged.
  CHECK(run_in(&*z.beta, [&] { return exec_and("truncate", z.out_file); }).err == 0);
  CHECK(run_in(nullptr, [&] { return exec_and("mkdir", out + "/by-unzoned"); }).err == 0);
  CHECK(run_in(&alpha, [&] { return result(mkdir((out + "/by-runtime").c_str(), 0755)); }).err == 0);
  CHECK(counters(SYVA_HOOK_WRITABLE_PATHS).deny - before.deny == refused.size() + 4);
  drain_events();
}
