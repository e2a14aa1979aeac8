// SPDX-License-Identifier: Apache-2.0
// The real `syva` binary as a child process of a kernel test, its output in
// a log file the test reads.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/files.h"

namespace syva::ktest {

// `syva` beside the test binary (both are in /opt/syva/bin in the VM).
std::string syva_binary();
// The static zone probe (test/tools/zone_probe.c), beside them too.
std::string zone_probe_binary();
// test/tools/uring_probe.c, beside the test binary.
std::string uring_probe_binary();

class AgentProcess {
 public:
  // `selftest_fault`: set SYVA_SELFTEST_FAULT, to test the refusal.
  // `cgroup_namespace_at`: a cgroup2 directory (made if missing) the agent
  // is moved into and made the root of a cgroup namespace of its own, as a
  // pod without the node's cgroup namespace would run it.
  AgentProcess(const std::vector<std::string>& args, const std::string& log, const char* selftest_fault = nullptr,
               const std::string& cgroup_namespace_at = "");
  ~AgentProcess();  // SIGKILL if still running
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  // Waits for `text` in the log or for the agent to exit; true if seen.
  // The default is long because only a failure waits it out: under
  // single-threaded TCG on a shared host, loading and attaching every
  // program has taken over 60 s.
  bool wait_for(const std::string& text, int seconds = 180);
  // Waits for the agent to exit; true if it did.
  bool wait_exit(int seconds = 30);
  bool exited();
  // Sends `sig` and waits; returns the exit code (128 + signal if killed).
  int stop(int sig);
  bool signal(int sig) const;
  std::string log() const { return test::read_file(log_); }
  pid_t pid() const { return pid_; }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

}  // namespace syva::ktest
