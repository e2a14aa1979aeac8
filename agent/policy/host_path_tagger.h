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

// Problems (conflicting owners, more than `max_inodes`) are appended; paths
// that do not exist are warned about and skipped, since a node may lack them.
std::vector<std::pair<syva_inode_key, uint32_t>> tag_host_paths(const std::vector<ZonePolicy>& zones,
                                                                const CompiledPolicy& ids, size_t max_inodes,
                                                                std::vector<std::string>& problems);

}  // namespace syva
