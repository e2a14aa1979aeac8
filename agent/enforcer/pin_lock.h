// SPDX-License-Identifier: Apache-2.0
// One agent per pin path: an exclusive flock(2) on the pin directory,
// held for the agent's lifetime and released by the kernel if it dies.
#pragma once

#include <string>

namespace syva {

class PinLock {
 public:
  // Creates the directory if needed. Throws if another process holds it.
  explicit PinLock(const std::string& pin_dir);
  ~PinLock();
  PinLock(const PinLock&) = delete;
  PinLock& operator=(const PinLock&) = delete;

  // True when some process (an agent) holds the lock on `pin_dir` now.
  static bool held_by_other(const std::string& pin_dir);

 private:
  int fd_ = -1;
};

}  // namespace syva
