// Everything the kernel benchmarks act in: the Enforcer (programs loaded,
// maps pinned under the bench's own pin path), cgroups U (unzoned), A and B,
// the objects zone A owns, and switching the caller between configurations.
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

namespace syva::bench {

enum class Config { none, unzoned, allowed, denied };
inline constexpr std::array<Config, 4> kConfigs = {Config::none, Config::unzoned, Config::allowed, Config::denied};
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
  // owned by A, `extra_inodes` spread round-robin over the zones, and the
  // members A and B (B only when zones >= 2). Returns seconds taken.
  double apply(size_t zones, const std::vector<syva_inode_key>& extra_inodes);

  // Programs attached or not, caller's cgroup. Denied needs zone B.
  void set_config(Config c);
  Config config() const { return config_; }

  Enforcer& enforcer() { return *enforcer_; }
  const OpTargets& targets() const { return targets_; }
  const BenchCgroup& cgroup_a() const { return *a_; }

  // Empties the events ring buffer (denials fill it; the bench has no
  // reader running while it times operations). Returns events read.
  size_t drain_events();

 private:
  std::unique_ptr<Enforcer> enforcer_;
  std::unique_ptr<ProgramLinks> links_;
  std::unique_ptr<BenchCgroup> parent_, u_, a_, b_;
  std::vector<syva_inode_key> owned_;  // the bench's own objects, zone A
  OpTargets targets_;
  std::string scratch_;
  Config config_ = Config::none;
  bool have_b_ = false;
};

// (dev, ino) as the BPF programs key inode_zone.
syva_inode_key inode_key(const std::string& path);

}  // namespace syva::bench
