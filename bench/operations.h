// SPDX-License-Identifier: Apache-2.0
// The operations Syva's hooks sit on, each as "do it n times" so that a
// batch is timed as a whole (one clock read per batch, not per call).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace syva::bench {

class UringRing;

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
  std::string scratch;      // where files are created, renamed and unlinked
  int tcp_listen_fd = -1;   // 127.0.0.1:tcp_port, listening socket made in zone A
  int tcp_port = 0;
  int udp_fd = -1;  // 127.0.0.1:udp_port, bound in zone A; the sender drains it
  int udp_port = 0;
  // The same on an address zone A's pod holds (address_zone), so that a
  // zoned caller's connection is judged by the pair, not refused as the
  // node's loopback.
  uint32_t zone_ip = 0;  // network order
  int zone_tcp_listen_fd = -1, zone_tcp_port = 0;
  int zone_udp_fd = -1, zone_udp_port = 0;
  std::string unowned_file;     // open()+close() of a file no zone owns
  int sem_id = -1;              // a semaphore set made in zone A
  int shm_id = -1;              // a shared memory segment made in zone A
  int sigio_fds[2] = {-1, -1};  // a socket pair whose [0] signals kill_target on input
  // A file zone A owns with mode 0000: root opens it only by CAP_DAC_OVERRIDE.
  std::string sealed_file;
  // A ring with a personality registered before the bench's credentials
  // were recommitted, so the personality's are not the caller's own.
  UringRing* uring = nullptr;
  uint16_t uring_personality = 0;
  std::string walk_dir;  // some components below zone A's writable path
};

struct Operation {
  std::string name;   // short, for tables
  std::string label;  // what it does, for the report
  // Runs the operation n times; returns how many succeeded.
  size_t (*run)(const OpTargets&, size_t n);
  // In the wall-clock survey (syva-bench ops), whose denied configuration
  // expects EPERM from every attempt. The instruction counts (syva-bench
  // cost) take every operation and report the outcomes as they are.
  bool in_survey = false;
  // Run by the zone's workload (the `workload` mark a zoned execve sets),
  // for the rules that judge only the workload: [capabilities] and
  // writable_paths.
  bool workload = false;
};

const std::vector<Operation>& operations();
const Operation& operation(const std::string& name);

}  // namespace syva::bench
