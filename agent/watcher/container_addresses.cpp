// SPDX-License-Identifier: Apache-2.0
#include "watcher/container_addresses.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include <fmt/format.h>

#include "daemon/node_addresses.h"

namespace syva {

std::optional<syva_address> parse_address(const std::string& text) {
  syva_address a{};
  if (inet_pton(AF_INET, text.c_str(), &a.addr[12]) == 1) {
    a.addr[10] = a.addr[11] = 0xff;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.addr) == 1) return a;
  return std::nullopt;
}

std::string format_address(const syva_address& a) {
  char text[INET6_ADDRSTRLEN] = "";
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(a.addr, kMapped, sizeof(kMapped)) == 0)
    inet_ntop(AF_INET, &a.addr[12], text, sizeof(text));
  else
    inet_ntop(AF_INET6, a.addr, text, sizeof(text));
  return text;
}

bool is_loopback(const syva_address& a) {
  static const uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(a.addr, kLoopback6, 16) == 0 || (memcmp(a.addr, kMapped, 12) == 0 && a.addr[12] == 127);
}

namespace {

std::optional<struct stat> stat_of(const std::string& path, std::string& error) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) return st;
  error = fmt::format("cannot read {}: {}", path, strerror(errno));
  return std::nullopt;
}

}  // namespace

ContainerAddresses read_container_addresses(pid_t pid, const std::vector<std::string>& pod_ips) {
  ContainerAddresses out;
  std::set<syva_address, AddressLess> found;
  // The pod's record names what its CNI plugin gave it even when the
  // namespace cannot be read; the CRI plugin leaves it empty for a
  // host-network pod, so what it holds is never the node's.
  for (const auto& ip : pod_ips)
    if (auto a = parse_address(ip)) found.insert(*a);
  const std::string own = fmt::format("/proc/{}/ns/net", pid);
  const auto node_ns = stat_of("/proc/1/ns/net", out.error);
  const auto own_ns = node_ns ? stat_of(own, out.error) : std::nullopt;
  if (node_ns && own_ns && node_ns->st_ino == own_ns->st_ino && node_ns->st_dev == own_ns->st_dev) {
    out.node_network = true;
    return out;
  }
  if (own_ns) {
    if (auto on_interfaces = read_interface_addresses(fmt::format("/proc/{}/net", pid), out.error))
      found.insert(on_interfaces->begin(), on_interfaces->end());
  }
  for (const auto& a : found)
    if (!is_loopback(a)) out.addresses.push_back(a);
  return out;
}

AddressPlan plan_addresses(const std::vector<AddressHolder>& holders, const std::vector<syva_address>& node) {
  AddressPlan plan;
  const std::set<syva_address, AddressLess> node_set(node.begin(), node.end());
  std::map<syva_address, const AddressHolder*, AddressLess> first;
  for (const auto& h : holders) {
    for (const auto& a : h.addresses) {
      if (is_loopback(a) || node_set.count(a)) continue;
      auto [it, fresh] = first.emplace(a, &h);
      if (fresh) {
        plan.wanted[a] = h.zone_id;
      } else if (it->second->zone_id != h.zone_id && plan.wanted[a] != SYVA_ZONE_QUARANTINE) {
        plan.wanted[a] = SYVA_ZONE_QUARANTINE;
        plan.conflicts.push_back(fmt::format("{} is held by {} (zone id {}) and by {} (zone id {})", format_address(a),
                                             it->second->who, it->second->zone_id, h.who, h.zone_id));
      }
    }
  }
  return plan;
}

AddressChanges diff_addresses(const AddressZones& wanted, const AddressZones& current) {
  AddressChanges changes;
  for (const auto& [a, zone] : wanted) {
    auto it = current.find(a);
    if (it == current.end() || it->second != zone) changes.write[a] = zone;
  }
  for (const auto& [a, zone] : current)
    if (zone != SYVA_ZONE_NONE && !wanted.count(a)) changes.remove.push_back(a);
  return changes;
}

}  // namespace syva
