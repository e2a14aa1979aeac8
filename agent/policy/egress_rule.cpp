// SPDX-License-Identifier: Apache-2.0
#include "policy/egress_rule.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>

#include <fmt/format.h>

namespace syva {

namespace {

template <typename T>
bool parse_uint(std::string_view s, T max, T& out) {
  unsigned long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v > max) return false;
  out = static_cast<T>(v);
  return true;
}

}  // namespace

std::optional<EgressRule> parse_egress_rule(std::string_view text, std::string& error) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    error = fmt::format("'{}' is not CIDR:port (missing '/prefix')", text);
    return std::nullopt;
  }
  std::string addr(text.substr(0, slash));
  std::string_view rest = text.substr(slash + 1);
  std::string_view prefix = rest, port;
  if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    prefix = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }

  EgressRule rule;
  uint8_t max_prefix = 0;
  if (inet_pton(AF_INET, addr.c_str(), rule.addr.data()) == 1) {
    rule.family = AF_INET;
    max_prefix = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), rule.addr.data()) == 1) {
    rule.family = AF_INET6;
    max_prefix = 128;
  } else {
    error = fmt::format("'{}': '{}' is not an IPv4 or IPv6 address", text, addr);
    return std::nullopt;
  }
  if (!parse_uint<uint8_t>(prefix, max_prefix, rule.prefix_len)) {
    error = fmt::format("'{}': prefix length '{}' must be 0..{}", text, prefix, max_prefix);
    return std::nullopt;
  }
  if (!port.empty() && !parse_uint<uint16_t>(port, 65535, rule.port)) {
    error = fmt::format("'{}': port '{}' must be 0..65535", text, port);
    return std::nullopt;
  }
  // Host bits set below the prefix usually mean a typo; refuse rather than guess.
  for (unsigned bit = rule.prefix_len; bit < max_prefix; ++bit) {
    if (rule.addr[bit / 8] & (0x80 >> (bit % 8))) {
      error = fmt::format("'{}': address has bits set beyond /{}", text, rule.prefix_len);
      return std::nullopt;
    }
  }
  return rule;
}

}  // namespace syva
