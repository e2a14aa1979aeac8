// SPDX-License-Identifier: Apache-2.0
// Which files of a writable layer the watcher owns, gives back and reports,
// against a sink that records the writes (no kernel): a real directory tree
// stands in for a snapshot's fs/ and work/.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "enforcer/kernel_ids.h"
#include "unit/null_membership_sink.h"
#include "watcher/writable_layer.h"

using namespace syva;
namespace fs = std::filesystem;

namespace {

using Inode = std::pair<uint64_t, uint64_t>;

class RecordingSink : public test::NullMembershipSink {
 public:
  InodeClaim own_inode(uint64_t dev, uint64_t ino, uint32_t zone_id) override {
    if (foreign.count({dev, ino})) return InodeClaim::foreign;
    owners[{dev, ino}] = zone_id;
    return InodeClaim::owned;
  }
  void disown_inode(uint64_t dev, uint64_t ino, uint32_t zone_id) override {
    if (auto it = owners.find({dev, ino}); it != owners.end() && it->second == zone_id) owners.erase(it);
  }
  void layer_failed(const std::string& why) override { failures.push_back(why); }

  std::map<Inode, uint32_t> owners;
  std::set<Inode> foreign;
  std::vector<std::string> failures;
};

Inode inode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return {kernel_dev(st.st_dev), st.st_ino};
}

struct Snapshot {
  explicit Snapshot(const std::string& name) : dir(fs::temp_directory_path() / ("syva-layer-" + name)) {
    fs::remove_all(dir);
    fs::create_directories(dir + "/fs/etc/deep");
    fs::create_directories(dir + "/work/work");
    std::ofstream(dir + "/fs/etc/deep/secret") << "x";
    std::ofstream(dir + "/fs/data") << "y";
    fs::create_symlink("/etc/passwd", dir + "/fs/link");  // owned itself, never followed
  }
  ~Snapshot() { fs::remove_all(dir); }
  WritableLayer layer() const {
    WritableLayer l;
    l.kind = WritableLayer::Kind::found;
    l.upper = dir + "/fs";
    l.work = dir + "/work";
    return l;  // view "": the paths resolve here
  }
  std::vector<std::string> files() const {
    return {dir + "/fs",      dir + "/fs/etc",  dir + "/fs/etc/deep", dir + "/fs/etc/deep/secret",
            dir + "/fs/data", dir + "/fs/link", dir + "/work",        dir + "/work/work"};
  }
  std::string dir;
};

const LayerOwner kDatabase{"default", "a", "database", 3};
const LayerOwner kFrontend{"default", "a", "frontend", 4};

}  // namespace

TEST_CASE("writable layer: the upper and work trees are owned, given back, and moved with the zone",
          "[writable-layer]") {
  Snapshot snap("own");
  RecordingSink sink;
  WritableLayers layers(sink);

  layers.own(kDatabase, snap.layer());
  for (const auto& f : snap.files()) {
    INFO(f);
    CHECK(sink.owners.at(inode_of(f)) == 3);
  }
  CHECK(sink.owners.size() == snap.files().size());
  CHECK(sink.failures.empty());
  CHECK(sink.owners.count(inode_of("/etc/passwd")) == 0);

  // Owned again for the same zone: nothing changes; for another zone: moved.
  layers.own(kDatabase, snap.layer());
  layers.own(kFrontend, snap.layer());
  for (const auto& [inode, zone] : sink.owners) CHECK(zone == 4);
  CHECK(sink.owners.size() == snap.files().size());

  layers.release("default", "a", "task exited");
  CHECK(sink.owners.empty());
  layers.release("default", "a", "again");  // unknown now: nothing to do
}

TEST_CASE("writable layer: failures are reported, what could be owned stays owned", "[writable-layer]") {
  Snapshot snap("fail");
  RecordingSink sink;

  SECTION("more files than the limit") {
    WritableLayers layers(sink, 3);
    layers.own(kDatabase, snap.layer());
    CHECK(sink.owners.size() == 3);
    REQUIRE(sink.failures.size() == 1);
    CHECK(sink.failures[0].find("more than 3 files") != std::string::npos);
  }
  SECTION("a file another owner holds is left to it") {
    sink.foreign.insert(inode_of(snap.dir + "/fs/data"));
    WritableLayers layers(sink);
    layers.own(kDatabase, snap.layer());
    CHECK(sink.owners.count(inode_of(snap.dir + "/fs/data")) == 0);
    CHECK(sink.owners.size() == snap.files().size() - 1);
    REQUIRE(sink.failures.size() == 1);
    CHECK(sink.failures[0].find("1 of its files") != std::string::npos);
  }
  SECTION("a layer that could not be read") {
    WritableLayers layers(sink);
    WritableLayer unknown;
    unknown.kind = WritableLayer::Kind::unknown;
    unknown.error = "cannot read /proc/1/mountinfo";
    layers.own(kDatabase, unknown);
    CHECK(sink.owners.empty());
    REQUIRE(sink.failures.size() == 1);
    CHECK(sink.failures[0].find("cannot read /proc/1/mountinfo") != std::string::npos);

    // Owned once, a later unreadable look does not give it away.
    layers.own(kDatabase, snap.layer());
    layers.own(kDatabase, unknown);
    CHECK(sink.owners.size() == snap.files().size());
  }
  SECTION("an upperdir that is not there") {
    WritableLayers layers(sink);
    WritableLayer gone = snap.layer();
    gone.upper = snap.dir + "/missing";
    layers.own(kDatabase, gone);
    REQUIRE(sink.failures.size() == 1);
    CHECK(sink.failures[0].find("is not a directory here") != std::string::npos);
  }
}

TEST_CASE("writable layer: a reconcile owns exactly the running containers' layers", "[writable-layer]") {
  Snapshot a("a"), b("b");
  RecordingSink sink;
  WritableLayers layers(sink);
  LayerOwner owner_b = kDatabase;
  owner_b.container_id = "b";
  layers.own(kDatabase, a.layer());
  layers.reconcile({{owner_b, b.layer()}});
  for (const auto& f : a.files()) CHECK(sink.owners.count(inode_of(f)) == 0);
  for (const auto& f : b.files()) CHECK(sink.owners.count(inode_of(f)) == 1);
  layers.reconcile({});
  CHECK(sink.owners.empty());
}
