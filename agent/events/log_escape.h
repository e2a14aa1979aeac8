// SPDX-License-Identifier: Apache-2.0
// Text that comes from containers (zone values, names, labels, comm) on its
// way into a log line: it cannot end the line, forge a field or a quote, or
// carry terminal escapes.
#pragma once

#include <string>
#include <string_view>

namespace syva {

// Printable ASCII stays as it is except '"' and '\', which become \" and \\;
// every other byte becomes \xNN. Longer than `limit` bytes: cut, and "..."
// appended.
std::string escaped(std::string_view text, size_t limit = 256);

}  // namespace syva
