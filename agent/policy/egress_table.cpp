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

// `p` cut to its first `bits` bits: the one prefix of that length that covers it.
Prefix truncated(const Prefix& p, unsigned bits) {
  Prefix out;
  out.bits = bits;
  for (unsigned byte = 0; byte < 16 && byte * 8 < bits; ++byte) {
    const unsigned keep = std::min(8u, bits - byte * 8);
    out.addr[byte] = p.addr[byte] & static_cast<uint8_t>(0xff << (8 - keep));
  }
  return out;
}

}  // namespace

std::vector<EgressEntry> egress_entries(uint32_t zone, const std::vector<EgressRule>& rules, const std::string& where,
                                        std::vector<std::string>& problems) {
  std::map<Prefix, std::set<uint16_t>> ports;  // port 0 = any
  for (const auto& r : rules) ports[as_v6(r)].insert(r.port);

  std::vector<EgressEntry> out;
  for (const auto& [prefix, _] : ports) {
    // Every rule whose prefix covers this one: one lookup per shorter length.
    std::set<uint16_t> allowed;
    for (unsigned bits = 0; bits <= prefix.bits; ++bits)
      if (auto outer = ports.find(truncated(prefix, bits)); outer != ports.end())
        allowed.insert(outer->second.begin(), outer->second.end());
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
