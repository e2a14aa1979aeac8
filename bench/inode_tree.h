// SPDX-License-Identifier: Apache-2.0
// A directory tree with an exact number of inodes (root, subdirectories and
// empty files), for host-path tagging and for filling inode_zone with real
// keys at scale.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "syva_abi.h"

namespace syva::bench {

// Creates `root` holding `inodes` inodes in all (including root) unless a
// tree with a matching count marker is already there. 1,000 files per
// directory, like a large package tree.
void make_inode_tree(const std::string& root, size_t inodes);

// Tags the tree the way the agent does: compile_policy of one zone whose
// [filesystem] host_paths is `root`. Returns the keys; `seconds` gets the
// time compile_policy took.
std::vector<syva_inode_key> tag_tree(const std::string& root, double& seconds);

}  // namespace syva::bench
