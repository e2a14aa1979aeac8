// SPDX-License-Identifier: Apache-2.0
#include "args.h"

#include <stdexcept>

namespace syva::bench {

Args::Args(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    std::string key = argv[i];
    if (!key.starts_with("--") || i + 1 >= argc) throw std::invalid_argument("expected --key value, got '" + key + "'");
    values_[key.substr(2)] = argv[++i];
  }
}

std::string Args::str(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

long Args::num(const std::string& key, long fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : std::stol(it->second);
}

}  // namespace syva::bench
