// SPDX-License-Identifier: Apache-2.0
#include "markdown.h"

#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace syva::bench {

std::string Table::str() const {
  auto line = [](const std::vector<std::string>& cells) {
    std::string s = "|";
    for (const auto& c : cells) s += " " + c + " |";
    return s + "\n";
  };
  std::string out = line(header_);
  out += "|";
  for (size_t i = 0; i < header_.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& r : rows_) out += line(r);
  return out;
}

std::string duration_ns(double ns) {
  if (ns >= 1e9) return fmt::format("{:.3g} s", ns / 1e9);
  if (ns >= 1e6) return fmt::format("{:.3g} ms", ns / 1e6);
  return fmt::format("{:.3g} µs", ns / 1e3);
}

std::string ratio(double r) { return fmt::format("{:.3f}", r); }

std::string overhead(double r) { return fmt::format("{:+.1f} %", (r - 1.0) * 100.0); }

void append_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace syva::bench
