// SPDX-License-Identifier: Apache-2.0
// Tells the agent when its policy directory may have changed: files written,
// added, removed or renamed in it, including Kubernetes' ConfigMap update
// (a new timestamped directory, then an atomic rename of the `..data`
// symlink). It only says "look again"; the loader decides what changed.
#pragma once

#include <string>

namespace syva {

class PolicyDirWatch {
 public:
  // Throws std::runtime_error when the directory cannot be watched.
  explicit PolicyDirWatch(const std::string& dir);
  ~PolicyDirWatch();
  PolicyDirWatch(const PolicyDirWatch&) = delete;
  PolicyDirWatch& operator=(const PolicyDirWatch&) = delete;

  // Readable when something changed; poll() it.
  int fd() const { return fd_; }
  // Consumes what is pending; true if any of it was a change.
  bool drain();

 private:
  int fd_ = -1;
};

}  // namespace syva
