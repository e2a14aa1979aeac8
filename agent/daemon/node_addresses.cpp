// SPDX-License-Identifier: Apache-2.0
#include "daemon/node_addresses.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace syva {

namespace {

struct ByBytes {
  bool operator()(const syva_address& a, const syva_address& b) const {
    return memcmp(a.addr, b.addr, sizeof(a.addr)) < 0;
  }
};
using AddressSet = std::set<syva_address, ByBytes>;

}  // namespace

std::vector<syva_address> fib_trie_local_addresses(std::istream& text) {
  // A leaf is "  |-- 10.0.0.5" followed by its routes, one of which is
  // "     /32 host LOCAL" when the address is this host's.
  AddressSet found;
  std::string line, leaf;
  while (std::getline(text, line)) {
    if (auto at = line.find("|-- "); at != std::string::npos) {
      leaf = line.substr(at + 4);
    } else if (line.find("/32 host LOCAL") != std::string::npos && !leaf.empty()) {
      syva_address a{};
      a.addr[10] = a.addr[11] = 0xff;
      if (inet_pton(AF_INET, leaf.c_str(), &a.addr[12]) == 1 && a.addr[12] != 127) found.insert(a);
    }
  }
  return {found.begin(), found.end()};
}

std::vector<syva_address> if_inet6_addresses(std::istream& text) {
  // "fd780000000000000000000000000001 05 40 00 80 eth0": the address in 32
  // hex digits first.
  AddressSet found;
  std::string hex;
  std::string rest;
  while (text >> hex && std::getline(text, rest)) {
    if (hex.size() != 32) continue;
    syva_address a{};
    bool ok = true;
    for (size_t i = 0; i < 16 && ok; ++i) {
      unsigned value = 0;
      ok = sscanf(hex.c_str() + 2 * i, "%2x", &value) == 1;
      a.addr[i] = static_cast<uint8_t>(value);
    }
    static const uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (ok && memcmp(a.addr, kLoopback, 16) != 0) found.insert(a);
  }
  return {found.begin(), found.end()};
}

std::optional<std::vector<syva_address>> read_node_addresses(std::string& error) {
  return read_interface_addresses("/proc/1/net", error);
}

std::optional<std::vector<syva_address>> read_interface_addresses(const std::string& proc_net, std::string& error) {
  std::ifstream v4(proc_net + "/fib_trie"), v6(proc_net + "/if_inet6");
  if (!v4) {
    error = fmt::format("cannot read {}/fib_trie: {}", proc_net, strerror(errno));
    return std::nullopt;
  }
  auto out = fib_trie_local_addresses(v4);
  // A kernel without IPv6 has no if_inet6: IPv4 alone is the whole answer.
  if (v6)
    for (const auto& a : if_inet6_addresses(v6)) out.push_back(a);
  return out;
}

}  // namespace syva
