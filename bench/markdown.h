// SPDX-License-Identifier: Apache-2.0
// Markdown tables for bench/REPORT.md. Each subcommand writes its own
// fragment; scripts/bench.sh stitches them together with the prose.
#pragma once

#include <string>
#include <vector>

namespace syva::bench {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::string str() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Human units for a duration in nanoseconds (µs or ms, 3 significant digits).
std::string duration_ns(double ns);
// "1.023" style ratio and "+2.3 %" style overhead.
std::string ratio(double r);
std::string overhead(double r);

// Appends `text` to `path` (creating it); throws on failure.
void append_file(const std::string& path, const std::string& text);

}  // namespace syva::bench
