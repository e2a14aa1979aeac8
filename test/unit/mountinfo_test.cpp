// SPDX-License-Identifier: Apache-2.0
// /proc/PID/mountinfo as the kernel writes it for a container's root: the
// overlay containerd's snapshotter mounts, its layers, and the escapes the
// kernel puts in paths (6.1 and 6.12 write colons inside lowerdir paths
// differently).
#include <catch2/catch.hpp>

#include "watcher/mountinfo.h"

using namespace syva;

namespace {

const std::string kSnapshots = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots";

// A ctr container's mountinfo, the overlay first and its kernel filesystems
// after it.
const std::string kContainer = "520 450 0:52 / / rw,relatime - overlay overlay rw,lowerdir=" + kSnapshots +
                               "/3/fs:" + kSnapshots + "/2/fs,upperdir=" + kSnapshots + "/7/fs,workdir=" + kSnapshots +
                               "/7/work\n"
                               "521 520 0:54 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
                               "522 520 0:55 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n"
                               "530 520 8:1 /srv/data /shared rw,relatime master:1 - ext4 /dev/sda1 rw\n";

}  // namespace

TEST_CASE("mountinfo: the fields of a line, optional fields and escapes", "[mountinfo]") {
  auto e = parse_mountinfo_line("530 520 8:1 /srv/my\\040data /mnt/a\\011b rw,relatime shared:3 master:1 - ext4 "
                                "/dev/sda\\1341 rw,errors=remount-ro\n");
  REQUIRE(e);
  CHECK(e->dev == ((8ull << 20) | 1));
  CHECK(e->root == "/srv/my data");
  CHECK(e->mount_point == "/mnt/a\tb");
  CHECK(e->fstype == "ext4");
  CHECK(e->source == "/dev/sda\\1");
  CHECK(e->super_options == "rw,errors=remount-ro");

  // No optional fields; minor numbers above 255.
  e = parse_mountinfo_line("25 1 0:1234 / /run rw - tmpfs tmpfs rw");
  REQUIRE(e);
  CHECK(e->dev == 1234);
  CHECK(e->mount_point == "/run");

  CHECK_FALSE(parse_mountinfo_line(""));
  CHECK_FALSE(parse_mountinfo_line("25 1 0:22 / /run rw tmpfs tmpfs rw"));  // no separator
  CHECK_FALSE(parse_mountinfo_line("25 1 x:22 / /run rw - tmpfs tmpfs rw"));
  CHECK_FALSE(parse_mountinfo_line("25 1 0:22 / /run rw -"));
}

TEST_CASE("mountinfo: octal escapes, and text that only looks like one", "[mountinfo]") {
  CHECK(unescape_mountinfo("a\\040b\\011c\\012d\\134e") == "a b\tc\nd\\e");
  CHECK(unescape_mountinfo("\\054\\075") == ",=");
  CHECK(unescape_mountinfo("no escapes") == "no escapes");
  CHECK(unescape_mountinfo("\\08x\\12") == "\\08x\\12");  // not three octal digits
}

TEST_CASE("mountinfo: a container's root overlay and its layers", "[mountinfo]") {
  auto root = root_mount(kContainer, "overlay", 52);
  REQUIRE(root);
  const auto layers = parse_overlay_options(root->super_options);
  CHECK(layers.upper == kSnapshots + "/7/fs");
  CHECK(layers.work == kSnapshots + "/7/work");
  CHECK(layers.lower == std::vector<std::string>{kSnapshots + "/3/fs", kSnapshots + "/2/fs"});

  // Any device; a device that is not the root's; not an overlay.
  CHECK(root_mount(kContainer, "overlay", 0));
  CHECK_FALSE(root_mount(kContainer, "overlay", 53));
  CHECK_FALSE(root_mount(kContainer, "ext4", 0));
}

TEST_CASE("mountinfo: a mount over / hides the ones below it", "[mountinfo]") {
  // runc --no-pivot moves the rootfs over the initramfs' "/".
  const std::string text = "1 0 0:2 / / rw - rootfs rootfs rw\n"
                           "40 1 0:40 / / rw - overlay overlay rw,lowerdir=/l,upperdir=/old/fs,workdir=/old/work\n"
                           "41 40 0:41 / / rw - overlay overlay rw,lowerdir=/l,upperdir=/new/fs,workdir=/new/work\n";
  CHECK(parse_overlay_options(root_mount(text, "overlay", 0)->super_options).upper == "/new/fs");
  CHECK(parse_overlay_options(root_mount(text, "overlay", 40)->super_options).upper == "/old/fs");
}

TEST_CASE("mountinfo: escaped upperdir and workdir", "[mountinfo]") {
  // seq_show_option escapes comma, equals, space, tab, newline, backslash.
  const auto layers = parse_overlay_options(
      "rw,lowerdir=/l,upperdir=/var/lib/my\\040state/a\\054b\\075c/fs,workdir=/var/lib/my\\040state/x\\011y/work,"
      "index=off");
  CHECK(layers.upper == "/var/lib/my state/a,b=c/fs");
  CHECK(layers.work == "/var/lib/my state/x\ty/work");
}

TEST_CASE("mountinfo: lowerdir lists", "[mountinfo]") {
  using V = std::vector<std::string>;
  CHECK(parse_overlay_options("rw,lowerdir=/a").lower == V{"/a"});
  CHECK(parse_overlay_options("rw,lowerdir=/a:/b:/c").lower == V{"/a", "/b", "/c"});
  // A colon inside a path: 6.1 shows the mounter's backslash (itself
  // escaped as \134), 6.5 and later escape the colon as \072.
  CHECK(parse_overlay_options("rw,lowerdir=/x/a\\134:b:/c").lower == V{"/x/a:b", "/c"});
  CHECK(parse_overlay_options("rw,lowerdir=/x/a\\072b:/c").lower == V{"/x/a:b", "/c"});
  // Data-only layers follow a double colon (6.5 and later).
  CHECK(parse_overlay_options("rw,lowerdir=/a:/b::/data").lower == V{"/a", "/b", "/data"});
  // Spaces and commas inside a path.
  CHECK(parse_overlay_options("rw,lowerdir=/my\\040l\\054x:/b,upperdir=/u,workdir=/w").lower == V{"/my l,x", "/b"});
  // containerd's compacted form for long lists: relative to the directory it
  // mounts from.
  CHECK(parse_overlay_options("rw,lowerdir=12/fs:11/fs:10/fs,upperdir=/s/13/fs,workdir=/s/13/work").lower ==
        V{"12/fs", "11/fs", "10/fs"});
}

TEST_CASE("mountinfo: a read-only overlay has no upper layer", "[mountinfo]") {
  const auto layers = parse_overlay_options("ro,lowerdir=/a:/b");
  CHECK(layers.upper.empty());
  CHECK(layers.work.empty());
  CHECK(layers.lower.size() == 2);
}
