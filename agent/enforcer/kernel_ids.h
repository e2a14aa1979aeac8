// SPDX-License-Identifier: Apache-2.0
// How the kernel names the things Syva keys its maps by, computed the way
// user space can: cgroup ids from cgroup2 directories, devices in the
// kernel's internal dev_t encoding.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace syva {

// sb->s_dev is MAJOR << 20 | MINOR; stat's st_dev uses the userspace
// encoding. The BPF programs read s_dev, so map keys use this one.
uint64_t kernel_dev(dev_t st_dev);

// Where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup on pure v2,
// /sys/fs/cgroup/unified on hybrid hosts. Throws if there is none.
std::string cgroup2_mount();

// A cgroup's id is the inode number of its cgroup2 directory.
uint64_t cgroup_id_of(const std::string& cgroup_dir);

// The node's network namespace, as the inode number of PID 1's
// /proc/1/ns/net (the agent runs with hostPID but in a network namespace of
// its own); 0 when it cannot be read.
uint32_t node_netns_inode();

}  // namespace syva
