// SPDX-License-Identifier: Apache-2.0
#include "daemon/node_addresses.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace syva {

std::optional<std::vector<syva_address>> read_node_addresses(std::string& error) {
  struct stat node {}, self {};
  if (stat("/proc/1/ns/net", &node) != 0 || stat("/proc/self/ns/net", &self) != 0) {
    error = fmt::format("cannot read /proc/1/ns/net or /proc/self/ns/net: {}", strerror(errno));
    return std::nullopt;
  }
  if (node.st_ino != self.st_ino) {
    error = "the agent is not in the node's network namespace (run it with hostNetwork)";
    return std::nullopt;
  }
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    error = fmt::format("getifaddrs: {}", strerror(errno));
    return std::nullopt;
  }
  std::vector<syva_address> out;
  for (const ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    syva_address a{};
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      a.addr[10] = a.addr[11] = 0xff;
      memcpy(&a.addr[12], &sin->sin_addr, 4);
      if (a.addr[12] == 127) continue;
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) continue;
      memcpy(a.addr, &sin6->sin6_addr, 16);
    } else {
      continue;
    }
    out.push_back(a);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace syva
