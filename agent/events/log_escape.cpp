// SPDX-License-Identifier: Apache-2.0
#include "events/log_escape.h"

#include <fmt/format.h>

namespace syva {

std::string escaped(std::string_view text, size_t limit) {
  std::string out;
  const bool cut = text.size() > limit;
  if (cut) text = text.substr(0, limit);
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace syva
