// SPDX-License-Identifier: Apache-2.0
// The operations Syva's hooks sit on, each as "do it n times" so that a
// batch is timed as a whole (one clock read per batch, not per call).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace syva::bench {

// What the operations act on. Every object belongs to zone A (owned file,
// process in A's cgroup, socket created in A), so only the caller's cgroup
// distinguishes the configurations.
struct OpTargets {
  std::string file;         // open()+close()
  std::string executable;   // execve() (posix_spawn + waitpid)
  int mmap_fd = -1;         // mmap(PROT_EXEC) of an already open file
  pid_t kill_target = -1;   // kill(pid, 0)
  std::string socket_path;  // Unix stream connect()
  int listen_fd = -1;       // accepts each connection so the backlog never fills
};

struct Operation {
  std::string name;   // short, for tables
  std::string label;  // what it does, for the report
  // Runs the operation n times; returns how many succeeded. Fails with
  // EPERM are expected when denied; nothing else is.
  size_t (*run)(const OpTargets&, size_t n);
};

const std::vector<Operation>& operations();
const Operation& operation(const std::string& name);

}  // namespace syva::bench
