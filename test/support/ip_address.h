// SPDX-License-Identifier: Apache-2.0
// Numeric IPv4 and IPv6 addresses as the network tests use them: socket
// addresses to connect and send to, and address_zone keys.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>

#include "syva_abi.h"

namespace syva::test {

inline sockaddr_storage ip_sockaddr(const char* ip, uint16_t port, socklen_t& len) {
  sockaddr_storage ss{};
  if (strchr(ip, ':')) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a->sin6_addr);
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, ip, &a->sin_addr);
    len = sizeof(*a);
  }
  return ss;
}

// The key of address_zone: IPv6, IPv4 mapped (::ffff:a.b.c.d).
inline syva_address address_of(const char* ip) {
  syva_address a{};
  if (strchr(ip, ':')) {
    inet_pton(AF_INET6, ip, a.addr);
  } else {
    a.addr[10] = a.addr[11] = 0xff;
    inet_pton(AF_INET, ip, &a.addr[12]);
  }
  return a;
}

}  // namespace syva::test
