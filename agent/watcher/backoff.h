// SPDX-License-Identifier: Apache-2.0
// How long to wait before the next attempt to reach containerd: doubling
// from `first` up to `cap`, so a restarting containerd is found again within
// `cap` while a dead one costs a few wakeups a second at most.
#pragma once

#include <chrono>

namespace syva {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds cap);

  // The delay to wait now; the next one is twice as long, up to the cap.
  std::chrono::milliseconds next();
  // After a success: the next failure starts again from `first`.
  void reset();

 private:
  std::chrono::milliseconds first_, cap_, current_;
};

}  // namespace syva
