// SPDX-License-Identifier: Apache-2.0
// `[network] allowed_egress` entries: "CIDR:port", IPv4 or IPv6.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace syva {

struct EgressRule {
  int family = 0;                  // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};  // network address, host bits cleared
  uint8_t prefix_len = 0;
  uint16_t port = 0;  // 0 = any port
};

// Accepts "10.0.0.0/8:443", "0.0.0.0/0", "2001:db8::/32:443", "::/0:0".
// The port follows the prefix length, so IPv6 colons are never ambiguous.
// On failure returns nullopt and sets `error` to what is wrong.
std::optional<EgressRule> parse_egress_rule(std::string_view text, std::string& error);

}  // namespace syva
