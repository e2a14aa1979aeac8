// SPDX-License-Identifier: Apache-2.0
#include "watcher/backoff.h"

#include <algorithm>

namespace syva {

Backoff::Backoff(std::chrono::milliseconds first, std::chrono::milliseconds cap)
    : first_(std::max(first, std::chrono::milliseconds(1))), cap_(std::max(cap, first_)), current_(first_) {}

std::chrono::milliseconds Backoff::next() {
  const auto now = current_;
  current_ = std::min(current_ * 2, cap_);
  return now;
}

void Backoff::reset() { current_ = first_; }

}  // namespace syva
