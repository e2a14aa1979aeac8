// SPDX-License-Identifier: Apache-2.0
// Everything the kernel benchmarks act in: the Enforcer (programs loaded,
// maps pinned under the bench's own pin path), the caller's cgroup C, cgroup
// A (zone A) holding the targets, the objects zone A owns, and switching the
// configuration. The caller never moves: unzoned / allowed / denied differ
// only by C's entry in zone_membership (absent, A, B), one map write, so
// they can alternate every few milliseconds. Only "none" needs the programs
// detached, which takes the kernel about a second under emulation.
#pragma once

#include <sys/types.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "bench_cgroup.h"
#include "enforcer/enforcer.h"
#include "operations.h"
#include "program_links.h"
#include "syva_abi.h"
#include "uring_ring.h"

namespace syva::bench {

enum class Config { none, unzoned, allowed, denied };
inline constexpr std::array<Config, 4> kConfigs = {Config::none, Config::unzoned, Config::allowed, Config::denied};
inline constexpr std::array<Config, 3> kAttachedConfigs = {Config::unzoned, Config::allowed, Config::denied};
const char* config_name(Config c);
// What the configuration means, for the report.
const char* config_label(Config c);

inline constexpr uint32_t kZoneA = 1;
inline constexpr uint32_t kZoneB = 2;

class BenchWorld {
 public:
  // `scratch` is a directory on a filesystem with exec allowed; `true_binary`
  // is copied there so its inode can be owned without touching the original.
  BenchWorld(const std::string& pin_path, const std::string& scratch, const std::string& true_binary);
  ~BenchWorld();
  BenchWorld(const BenchWorld&) = delete;
  BenchWorld& operator=(const BenchWorld&) = delete;

  // Writes `zones` zones (ids 1..zones; A=1, B=2), the bench's objects
  // owned by A, `extra_inodes` spread round-robin over the zones, and
  // cgroup A as a member of zone A. Returns seconds taken.
  double apply(size_t zones, const std::vector<syva_inode_key>& extra_inodes);

  // Programs attached or not, caller's zone. Denied needs zone B. A change
  // of attachment is followed by `settle` of idle time so the kernel's
  // deferred work (RCU callbacks, freeing the old trampoline) is not timed.
  void set_config(Config c);
  void set_settle_ms(int ms) { settle_ms_ = ms; }
  Config config() const { return config_; }

  Enforcer& enforcer() { return *enforcer_; }
  const OpTargets& targets() const { return targets_; }
  const BenchCgroup& cgroup_a() const { return *a_; }

  // The caller marked as its zone's workload or not (see Operation::workload).
  void set_workload(bool on);

  // Empties the events ring buffer (denials fill it; the bench has no
  // reader running while it times operations). Returns events read.
  size_t drain_events();

 private:
  void make_ipc_objects_in_a();

  std::unique_ptr<Enforcer> enforcer_;
  std::unique_ptr<ProgramLinks> links_;
  std::unique_ptr<BenchCgroup> parent_, caller_, a_;
  std::unique_ptr<UringRing> uring_;
  int self_pidfd_ = -1;
  bool workload_ = false;
  std::vector<syva_inode_key> owned_;  // the bench's own objects, zone A
  OpTargets targets_;
  std::string scratch_;
  Config config_ = Config::none;
  bool have_b_ = false;
  int settle_ms_ = 300;
};

// (dev, ino) as the BPF programs key inode_zone.
syva_inode_key inode_key(const std::string& path);

}  // namespace syva::bench
