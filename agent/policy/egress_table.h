// SPDX-License-Identifier: Apache-2.0
// `[network] allowed_egress` of one zone turned into egress_rules entries:
// one per distinct prefix, as an IPv6 prefix (IPv4 mapped into ::ffff:0:0/96),
// each carrying its own ports and those of every shorter rule that covers
// it, because the kernel's trie answers with the longest match alone.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "policy/egress_rule.h"
#include "syva_abi.h"

namespace syva {

using EgressEntry = std::pair<syva_egress_key, syva_egress_ports>;

// Problems (more than SYVA_EGRESS_PORTS ports for one prefix) are appended
// with `where` in front.
std::vector<EgressEntry> egress_entries(uint32_t zone, const std::vector<EgressRule>& rules, const std::string& where,
                                        std::vector<std::string>& problems);

}  // namespace syva
