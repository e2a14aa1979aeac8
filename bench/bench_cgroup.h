// SPDX-License-Identifier: Apache-2.0
// cgroup2 directories the bench creates, and moving the bench's own process
// between them: the configurations differ only in which cgroup the caller is
// in, so the objects acted on stay the same.
#pragma once

#include <cstdint>
#include <string>

namespace syva::bench {

class BenchCgroup {
 public:
  // `relative` is under the cgroup2 mount; parents must exist.
  explicit BenchCgroup(const std::string& relative);
  ~BenchCgroup();  // rmdir; the bench moves its processes out first
  BenchCgroup(const BenchCgroup&) = delete;
  BenchCgroup& operator=(const BenchCgroup&) = delete;

  const std::string& path() const { return path_; }
  uint64_t id() const { return id_; }
  // Moves the calling process (every thread of it) here.
  void join() const;

 private:
  std::string path_;
  uint64_t id_ = 0;
};

// Moves the calling process to the cgroup2 root (before removing cgroups).
void join_cgroup_root();

}  // namespace syva::bench
