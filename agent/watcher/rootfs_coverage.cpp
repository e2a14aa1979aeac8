// SPDX-License-Identifier: Apache-2.0
#include "watcher/rootfs_coverage.h"

#include <sys/stat.h>
#include <sys/vfs.h>

#include <fmt/format.h>

#include "enforcer/kernel_ids.h"

namespace syva {

namespace {
constexpr long kOverlayfsMagic = 0x794c7630;
}

RootfsCoverage rootfs_of(pid_t pid) {
  const std::string root = fmt::format("/proc/{}/root/", pid);
  RootfsCoverage out;
  struct stat st {};
  struct statfs sfs {};
  if (stat(root.c_str(), &st) != 0 || statfs(root.c_str(), &sfs) != 0) return out;
  out.dev = kernel_dev(st.st_dev);
  out.kind =
      static_cast<long>(sfs.f_type) == kOverlayfsMagic ? RootfsCoverage::Kind::overlay : RootfsCoverage::Kind::other;
  return out;
}

std::string describe(const RootfsCoverage& r) {
  const std::string dev = fmt::format("dev={}:{}", r.dev >> 20, r.dev & 0xfffff);
  switch (r.kind) {
    case RootfsCoverage::Kind::overlay: return fmt::format("overlay {} (own superblock, owned by the zone)", dev);
    case RootfsCoverage::Kind::other: return fmt::format("shared-fs {} (not zone-owned: it is the node's)", dev);
    case RootfsCoverage::Kind::unknown: break;
  }
  return "unknown";
}

const char* rootfs_coverage_notice() {
  return "coverage: a zoned container's processes are confined by their cgroup (zone_membership); its overlay "
         "root filesystem is owned by its zone whole (superblock_zone), so other zones cannot open, exec or map "
         "its files, e.g. through /proc/PID/root; a rootfs that is not its own superblock is not owned (logged "
         "as shared-fs); node files are owned through policy host_paths";
}

}  // namespace syva
