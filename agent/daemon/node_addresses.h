// SPDX-License-Identifier: Apache-2.0
// The node's own IP addresses, which the kernel takes as "the node" when a
// packet from one of them reaches a zone's socket ([network]
// accept_from_node). Read from PID 1's view of its network namespace
// (/proc/1/net), so the agent needs the node's PID namespace (hostPID), not
// its network namespace.
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "syva_abi.h"

namespace syva {

// Every IPv4 and IPv6 address on the node's interfaces but loopback (IPv4
// as ::ffff:a.b.c.d); nullopt with `error` set when /proc/1/net cannot be
// read.
std::optional<std::vector<syva_address>> read_node_addresses(std::string& error);

// The same for the network namespace whose /proc view is `proc_net` (e.g.
// /proc/PID/net): the watcher reads a container's own addresses with it.
std::optional<std::vector<syva_address>> read_interface_addresses(const std::string& proc_net, std::string& error);

// The local IPv4 addresses in /proc/net/fib_trie's text ("/32 host LOCAL"
// leaves), and the addresses in /proc/net/if_inet6's; loopback left out.
std::vector<syva_address> fib_trie_local_addresses(std::istream& text);
std::vector<syva_address> if_inet6_addresses(std::istream& text);

}  // namespace syva
