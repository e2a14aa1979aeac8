// SPDX-License-Identifier: Apache-2.0
#include "policy/egress_table.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

namespace syva {

namespace {

struct Prefix {
  std::array<uint8_t, 16> addr{};  // IPv6, IPv4 mapped
  unsigned bits = 0;
  auto operator<=>(const Prefix&) const = default;
};

Prefix as_v6(const EgressRule& r) {
  Prefix p;
  if (r.family == AF_INET) {
    p.addr[10] = p.addr[11] = 0xff;
    std::copy_n(r.addr.begin(), 4, p.addr.begin() + 12);
    p.bits = 96 + r.prefix_len;
  } else {
    p.addr = r.addr;
    p.bits = r.prefix_len;
  }
  return p;
}

bool covers(const Prefix& outer, const Prefix& inner) {
  if (outer.bits > inner.bits) return false;
  for (unsigned bit = 0; bit < outer.bits; ++bit) {
    const uint8_t mask = 0x80 >> (bit % 8);
    if ((outer.addr[bit / 8] & mask) != (inner.addr[bit / 8] & mask)) return false;
  }
  return true;
}

}  // namespace

std::vector<EgressEntry> egress_entries(uint32_t zone, const std::vector<EgressRule>& rules, const std::string& where,
                                        std::vector<std::string>& problems) {
  std::map<Prefix, std::set<uint16_t>> ports;  // port 0 = any
  for (const auto& r : rules) ports[as_v6(r)].insert(r.port);

  std::vector<EgressEntry> out;
  for (const auto& [prefix, _] : ports) {
    std::set<uint16_t> allowed;
    for (const auto& [outer, outer_ports] : ports)
      if (covers(outer, prefix)) allowed.insert(outer_ports.begin(), outer_ports.end());
    syva_egress_key key{};
    key.prefixlen = 32 + prefix.bits;
    key.zone = zone;
    std::copy(prefix.addr.begin(), prefix.addr.end(), key.addr);
    syva_egress_ports value{};
    if (allowed.count(0)) {
      value.any = 1;
    } else if (allowed.size() > SYVA_EGRESS_PORTS) {
      problems.push_back(fmt::format("{}: more than {} ports for one destination prefix", where, SYVA_EGRESS_PORTS));
      continue;
    } else {
      for (uint16_t port : allowed) value.ports[value.count++] = port;
    }
    out.emplace_back(key, value);
  }
  return out;
}

}  // namespace syva
