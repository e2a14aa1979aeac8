// SPDX-License-Identifier: Apache-2.0
// A validated policy turned into exactly what the kernel maps will hold.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/admission.h"
#include "policy/egress_table.h"
#include "policy/zone_policy.h"
#include "syva_abi.h"

namespace syva {

struct CompiledPolicy {
  std::vector<std::string> zone_names;                             // [id - 1]
  std::vector<syva_zone_policy> zone_values;                       // [id - 1]
  std::vector<syva_zone_pair> pairs;                               // both orders of every allowed pair
  std::vector<std::pair<syva_inode_key, uint32_t>> inodes;         // host_paths -> owner
  std::vector<EgressEntry> egress;                                 // allowed_egress, keyed by zone id
  std::vector<std::pair<uint32_t, syva_writable_paths>> writable;  // zone id -> writable_paths
  AdmissionTable admission;                                        // who may join each zone
  // What the node kept from being enforced (unreadable host_paths, too many
  // inodes), each naming file, line and path; the rest is enforced.
  std::vector<std::string> degraded;

  // Zone ids are the 1-based positions in name order: stable for a given set
  // of zone names, and never 0 (SYVA_ZONE_NONE).
  uint32_t id_of(std::string_view zone) const;
};

// Zones must come sorted by name (load_policy_dir does that).
// Walks host_paths; throws PolicyError on conflicts or when over the limit.
CompiledPolicy compile_policy(const std::vector<ZonePolicy>& zones, size_t max_inodes = SYVA_MAX_INODES);

}  // namespace syva
