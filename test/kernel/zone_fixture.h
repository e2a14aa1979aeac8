// SPDX-License-Identifier: Apache-2.0
// Real zones for kernel tests: real cgroups under cgroup2, real processes
// moved into them, and Syva's programs attached for real. Only cgroups this
// test creates are ever written to zone_membership, so nothing else on the
// machine can be denied.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "enforcer/enforcer.h"
#include "policy/egress_table.h"
#include "support/skip.h"
#include "syva_abi.h"

namespace syva::ktest {

inline constexpr uint32_t kAlpha = 1;
inline constexpr uint32_t kBeta = 2;
inline const std::string kScratch = "/tmp/syva-ktest";

// The test run's own enforcer (pin path /sys/fs/bpf/syva-ktest), loaded and
// attached once. Throws KernelUnsupported where BPF-LSM cannot load.
Enforcer& enforcer();
// Empty when BPF-LSM works here, else the reason (for a loud skip).
std::string bpf_lsm_unavailable();

// A cgroup2 directory, in `zone` (0: unzoned) for its lifetime.
class Cgroup {
 public:
  Cgroup(const std::string& name, uint32_t zone);
  ~Cgroup();
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  const std::string& path() const { return path_; }
  uint64_t id() const { return id_; }

 private:
  std::string path_;
  uint64_t id_;
};

// Writes zones alpha (1) and beta (2), optionally the allowed pair, and
// which files each owns.
void apply_policy(bool alpha_beta_allowed, const std::vector<std::pair<std::string, uint32_t>>& owned_files = {});
// Zones alpha and beta with these rules of their own (flags, capabilities,
// denied operations); SYVA_ZONE_F_DEFINED is added. No pairs, no files.
void apply_zone_rules(syva_zone_policy alpha, syva_zone_policy beta = {}, const std::vector<EgressEntry>& egress = {},
                      const std::vector<std::pair<uint32_t, syva_writable_paths>>& writable = {});

// open(path, O_RDONLY) and close: 0, or the errno the kernel answered.
int open_file(const std::string& path);

// One byte and descriptor `fd` over Unix socket `socket` (SCM_RIGHTS):
// 0, or the errno sendmsg saw.
int send_descriptor(int socket, int fd);
// One byte from `socket` and the descriptor it carries: that descriptor;
// kRefusedDescriptor when the kernel dropped it (no descriptor, MSG_CTRUNC),
// as it does when file_receive says no; -1 on any other failure.
inline constexpr int kRefusedDescriptor = -2;
int receive_descriptor(int socket);

// A file under kScratch with `content`, returned as its path.
std::string scratch_file(const std::string& name, const std::string& content = "syva");

struct Outcome {
  int err;    // 0 or the errno the action saw
  pid_t pid;  // the process that acted, to find its event
};

// Forks; the child joins `cgroup` (stays where it is when null), runs
// `action`, and exits with its result: 0 or an errno, or one of the codes
// in support/exit_codes.h.
Outcome run_in(const Cgroup* cgroup, const std::function<int()>& action);

// Opens `path` for writing here, passes the descriptor over a Unix socket
// (SCM_RIGHTS) to a child in `cgroup`: err is 0 when it was received, EPERM
// when file_receive refused it.
Outcome receive_writable(const Cgroup* cgroup, const std::string& path);

// A long-lived process in `cgroup` (null: unzoned) for task and socket
// targets; `setup` runs in it after it joined, before it reports ready (a
// setup that fails exits with SYVA_TEST_EXIT_TARGET_SETUP instead).
class Target {
 public:
  Target(const Cgroup* cgroup, const std::function<void()>& setup = {});
  ~Target();
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

syva_counters counters(syva_hook hook);
// Everything in the ring buffer now.
std::vector<syva_event> drain_events();
// The single event from `tgid` for `hook` in `events`; fails the test otherwise.
syva_event only_event(const std::vector<syva_event>& events, syva_hook hook, pid_t tgid);

}  // namespace syva::ktest

// Every kernel test starts here: where BPF-LSM cannot load, skip loudly.
#define REQUIRE_BPF_LSM()                                               \
  do {                                                                  \
    if (auto why = ::syva::ktest::bpf_lsm_unavailable(); !why.empty())  \
      SYVA_SKIP("BPF-LSM programs cannot load on this kernel: " + why); \
  } while (0)
