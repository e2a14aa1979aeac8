// SPDX-License-Identifier: Apache-2.0
// inode_owner_cache: the owner a program found for a file, kept in the
// inode, is what the next open by a zoned caller believes. Each case caches
// a real file's owner through a real open, changes that owner through one
// of the agent's writers (a policy's files, a writable layer's claim, a
// filesystem's owner) and asks the kernel again.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "cli/status.h"
#include "enforcer/kernel_ids.h"
#include "kernel/zone_fixture.h"
#include "syva.skel.h"

using namespace syva;
using namespace syva::ktest;

namespace {

int cache_fd() { return bpf_map__fd(enforcer().skeleton()->maps.inode_owner_cache); }
int epoch_fd() { return bpf_map__fd(enforcer().skeleton()->maps.inode_owner_epoch); }

// The word cached in `path`'s inode, read by a descriptor of it (an inode
// storage map's key); nullopt when nothing is.
std::optional<uint64_t> cached_word(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  uint64_t word = 0;
  const int rc = bpf_map_lookup_elem(cache_fd(), &fd, &word);
  close(fd);
  if (rc != 0) return std::nullopt;
  return word;
}

uint64_t epoch() {
  const uint32_t first = 0;
  uint64_t value = 0;
  REQUIRE(bpf_map_lookup_elem(epoch_fd(), &first, &value) == 0);
  return value;
}

// What a program caches for an owner `zone` found now.
uint64_t cached_now(uint32_t zone) { return epoch() << SYVA_OWNER_ZONE_BITS | zone; }

syva_inode_key key_of(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return {kernel_dev(st.st_dev), st.st_ino};
}

// A claim on a file as a writable layer's, released however the case ends.
struct Claim {
  syva_inode_key key;
  uint32_t zone;
  Claim(const syva_inode_key& k, uint32_t z) : key(k), zone(z) { REQUIRE(enforcer().claim_inode(key, zone)); }
  ~Claim() { enforcer().release_inode(key, zone); }
};

// A tmpfs of its own (its own superblock), owned whole by `zone` while
// `owned` is set.
class OwnedTmpfs {
 public:
  OwnedTmpfs() : dir_(kScratch + "/owner-cache-tmpfs") {
    std::filesystem::create_directories(dir_);
    if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=64k") != 0) error_ = strerror(errno);
  }
  ~OwnedTmpfs() {
    if (owned_) enforcer().remove_superblock_owner(dev_);
    if (error_.empty()) umount2(dir_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove(dir_, ec);
  }
  const std::string& error() const { return error_; }
  const std::string& dir() const { return dir_; }
  void own(uint64_t dev, uint32_t zone) {
    enforcer().set_superblock_owner(dev, zone);
    dev_ = dev;
    owned_ = true;
  }
  void disown() {
    enforcer().remove_superblock_owner(dev_);
    owned_ = false;
  }

 private:
  std::string dir_;
  std::string error_;
  uint64_t dev_ = 0;
  bool owned_ = false;
};

}  // namespace

TEST_CASE("inode_owner_cache: a zoned open caches a file's owner in its inode; a policy changing the owner ends it",
          "[kernel][file_open][owner-cache]") {
  REQUIRE_BPF_LSM();
  const auto file = scratch_file("owner-cache-policy");
  apply_policy(false);
  Cgroup alpha("owner-cache-alpha", kAlpha);

  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == 0);
  CHECK(cached_word(file) == cached_now(SYVA_ZONE_NONE));           // no zone owns it, and that is cached
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == 0);  // answered by the cache

  apply_policy(false, {{file, kBeta}});
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == EPERM);
  CHECK(cached_word(file) == cached_now(kBeta));
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == EPERM);  // beta's, from the cache

  apply_policy(false, {{file, kAlpha}});
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == 0);
  CHECK(cached_word(file) == cached_now(kAlpha));
  apply_policy(false, {{file, kBeta}});
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == EPERM);
  apply_policy(false);
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == 0);
}

TEST_CASE("inode_owner_cache: a file the agent claims for a writable layer, or releases, is judged by its new owner",
          "[kernel][file_open][owner-cache]") {
  REQUIRE_BPF_LSM();
  const auto file = scratch_file("owner-cache-claim");
  apply_policy(false);
  Cgroup alpha("owner-cache-alpha", kAlpha);

  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == 0);
  REQUIRE(cached_word(file) == cached_now(SYVA_ZONE_NONE));
  {
    Claim claim(key_of(file), kBeta);
    CHECK(run_in(&alpha, [&] { return open_file(file); }).err == EPERM);
    CHECK(cached_word(file) == cached_now(kBeta));
  }
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == 0);
  CHECK(cached_word(file) == cached_now(SYVA_ZONE_NONE));
}

TEST_CASE("inode_owner_cache: a filesystem given to a zone, or taken back, is judged by its new owner",
          "[kernel][file_open][owner-cache]") {
  REQUIRE_BPF_LSM();
  OwnedTmpfs fs;
  if (!fs.error().empty()) SYVA_SKIP("cannot mount a tmpfs here (" + fs.error() + ")");
  apply_policy(false);
  Cgroup alpha("owner-cache-alpha", kAlpha);
  const std::string file = fs.dir() + "/file";
  { std::ofstream(file) << "syva"; }

  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == 0);
  REQUIRE(cached_word(file) == cached_now(SYVA_ZONE_NONE));
  fs.own(key_of(file).dev, kBeta);
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == EPERM);
  CHECK(cached_word(file) == cached_now(kBeta));
  fs.disown();
  CHECK(run_in(&alpha, [&] { return open_file(file); }).err == 0);
}

// New storage reads 0, which would say "no owner" at epoch 0: with the
// epoch at 0 (never written by an agent) the cache is not used at all.
TEST_CASE("inode_owner_cache: at epoch 0 nothing is cached or believed", "[kernel][file_open][owner-cache]") {
  REQUIRE_BPF_LSM();
  const auto file = scratch_file("owner-cache-epoch-zero");
  apply_policy(false, {{file, kBeta}});
  Cgroup alpha("owner-cache-alpha", kAlpha);
  const uint32_t first = 0;
  const uint64_t was = epoch(), zero = 0, after = was + 1;

  REQUIRE(bpf_map_update_elem(epoch_fd(), &first, &zero, BPF_ANY) == 0);
  const int err = run_in(&alpha, [&] { return open_file(file); }).err;
  const auto word = cached_word(file);
  REQUIRE(bpf_map_update_elem(epoch_fd(), &first, &after, BPF_ANY) == 0);
  CHECK(err == EPERM);
  CHECK(!word.has_value());
}

// inode_owner_cached counts the entries, so that no zone can make the
// agent's memory cgroup pay for one entry per file it opens.
TEST_CASE("inode_owner_cache: entries are counted as made and as freed; past SYVA_OWNER_CACHE_MAX none is made",
          "[kernel][file_open][owner-cache]") {
  REQUIRE_BPF_LSM();
  const int made_fd = bpf_map__fd(enforcer().skeleton()->maps.inode_owner_cached);
  const uint32_t first = 0;
  auto made = [&] {
    uint64_t n = 0;
    REQUIRE(bpf_map_lookup_elem(made_fd, &first, &n) == 0);
    return n;
  };
  const auto counted = scratch_file("owner-cache-counted");
  const auto past_cap = scratch_file("owner-cache-past-cap");
  apply_policy(false, {{counted, kBeta}, {past_cap, kBeta}});
  Cgroup alpha("owner-cache-alpha", kAlpha);

  const uint64_t before = made();
  CHECK(run_in(&alpha, [&] { return open_file(counted); }).err == EPERM);
  CHECK(cached_word(counted) == cached_now(kBeta));
  CHECK(made() == before + 1);
  CHECK(read_status("/sys/fs/bpf/syva-ktest").owners_cached == made());  // what `syva status` shows
  REQUIRE(unlink(counted.c_str()) == 0);  // the inode is freed with its last name
  CHECK(made() == before);

  const uint64_t full = SYVA_OWNER_CACHE_MAX, was = made();
  REQUIRE(bpf_map_update_elem(made_fd, &first, &full, BPF_ANY) == 0);
  const int err = run_in(&alpha, [&] { return open_file(past_cap); }).err;
  const auto word = cached_word(past_cap);
  REQUIRE(bpf_map_update_elem(made_fd, &first, &was, BPF_ANY) == 0);
  CHECK(err == EPERM);  // the hashes still answer
  CHECK(!word.has_value());
}
