// SPDX-License-Identifier: Apache-2.0
// What zone ownership covers of a container's root filesystem. An overlay
// rootfs is a superblock of its own, so it is owned whole, in O(1), by its
// device alone (superblock_zone). Any other rootfs (a bind mount of a
// directory, the native snapshotter) shares the node's filesystem and is not
// owned: owning its device would own the node's files.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace syva {

struct RootfsCoverage {
  enum class Kind { overlay, other, unknown };
  Kind kind = Kind::unknown;
  uint64_t dev = 0;  // kernel encoding (MAJOR << 20 | MINOR); 0 when unknown
};

// Reads the root the init process sees (/proc/PID/root): by the time
// containerd reports /tasks/create, runc has pivoted into the rootfs.
RootfsCoverage rootfs_of(pid_t pid);

// For the membership log line, e.g. "overlay dev=0:123 (owned by the zone)".
std::string describe(const RootfsCoverage& rootfs);

// Said once when the watcher starts: what is and is not covered.
const char* rootfs_coverage_notice();

}  // namespace syva
