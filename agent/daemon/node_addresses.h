// SPDX-License-Identifier: Apache-2.0
// The node's own IP addresses, which the kernel takes as "the node" when a
// packet from one of them reaches a zone's socket ([network]
// accept_from_node). Read in the agent's network namespace, which must be
// the node's (PID 1's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "syva_abi.h"

namespace syva {

// Every IPv4 and IPv6 address on the node's interfaces but loopback (IPv4
// as ::ffff:a.b.c.d); nullopt with `error` set when they cannot be read or
// the agent is not in the node's network namespace.
std::optional<std::vector<syva_address>> read_node_addresses(std::string& error);

}  // namespace syva
