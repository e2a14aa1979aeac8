// SPDX-License-Identifier: Apache-2.0
// The IP addresses of zoned containers, so that the kernel knows another
// zone's pod when a packet names one (address_zone: address -> zone, read by
// zone_address on connect/sendmsg and zone_inbound on receive).
//
// Where they come from: a Kubernetes pod's addresses as its CNI plugin
// handed them out (the CRI sandbox record's IP and AdditionalIPs), and, for
// any container in a network namespace of its own, the addresses on that
// namespace's interfaces (/proc/PID/net). A container in the node's network
// namespace (hostNetwork, `ctr run --net-host`) has the node's addresses,
// which are no zone's: it gets none. Loopback is never a zone's.
//
// When: read when the container's task is placed and at every reconcile
// (connect, settle, every five minutes), so an address that changes after
// start is followed only then.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "syva_abi.h"

namespace syva {

struct AddressLess {
  bool operator()(const syva_address& a, const syva_address& b) const {
    return memcmp(a.addr, b.addr, sizeof(a.addr)) < 0;
  }
};
using AddressZones = std::map<syva_address, uint32_t, AddressLess>;

// "10.0.0.5" or "fd00::5" as the kernel maps keep it (IPv4 as
// ::ffff:a.b.c.d); nullopt for anything else.
std::optional<syva_address> parse_address(const std::string& text);
std::string format_address(const syva_address& a);
bool is_loopback(const syva_address& a);

struct ContainerAddresses {
  std::vector<syva_address> addresses;
  bool node_network = false;  // shares the node's network namespace: no addresses of its own
  std::string error;          // non-empty: what could not be read; `addresses` may lack some
};

// The addresses of the container whose init process is `pid`, with
// `pod_ips` from its pod's record (none for a non-Kubernetes container).
ContainerAddresses read_container_addresses(pid_t pid, const std::vector<std::string>& pod_ips);

// What address_zone should hold for the containers' addresses: each address
// in its holders' zone. An address two zones claim (a namespace shared
// across zones, or a stale record) is put in quarantine, which no zone
// reaches or takes packets from, rather than given to either; `conflicts`
// says which. Addresses in `node` (the node's own) and loopback are left out.
struct AddressPlan {
  AddressZones wanted;
  std::vector<std::string> conflicts;  // for the log
};
struct AddressHolder {
  std::string who;  // for the log
  uint32_t zone_id = 0;
  std::vector<syva_address> addresses;
};
AddressPlan plan_addresses(const std::vector<AddressHolder>& holders, const std::vector<syva_address>& node);

// The writes and removals that make `current` (address_zone as read) equal
// to `wanted` for containers' entries. The node's entries (SYVA_ZONE_NONE,
// written by the agent's main loop) are not the watcher's and stay, unless
// a container's address is now among them.
struct AddressChanges {
  AddressZones write;
  std::vector<syva_address> remove;
  bool empty() const { return write.empty() && remove.empty(); }
};
AddressChanges diff_addresses(const AddressZones& wanted, const AddressZones& current);

}  // namespace syva
