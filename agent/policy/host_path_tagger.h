// SPDX-License-Identifier: Apache-2.0
// `[filesystem] host_paths`: node paths owned by a zone. Every inode under
// them (the path itself, recursively, symlinks not followed, other
// filesystems included) is keyed by (dev, ino) into inode_zone.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "policy/zone_policy.h"
#include "syva_abi.h"

namespace syva {

struct CompiledPolicy;

// Errors in the policy itself (two zones owning one inode) are appended to
// `problems`. What the node holds is not the policy's fault and must not stop
// the rest of it: a directory that cannot be read (a tenant's 0700 directory
// owned by another uid), a walk that fails, or more than `max_inodes` inodes
// leave what is below or after them unowned and are appended to `degraded`,
// naming the path. Paths that do not exist are warned about and skipped.
std::vector<std::pair<syva_inode_key, uint32_t>> tag_host_paths(const std::vector<ZonePolicy>& zones,
                                                                const CompiledPolicy& ids, size_t max_inodes,
                                                                std::vector<std::string>& problems,
                                                                std::vector<std::string>& degraded);

}  // namespace syva
