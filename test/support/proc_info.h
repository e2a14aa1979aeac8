// SPDX-License-Identifier: Apache-2.0
// A process's footprint as /proc reports it (the agent's CPU and memory, in
// the kernel tests and the benchmarks).
#pragma once

#include <sys/types.h>

#include <string>

namespace syva::test {

// User plus system CPU time, in seconds; -1 when /proc/PID/stat is unreadable.
double cpu_seconds(pid_t pid);
// A "Vm..."/"Rss..." field of /proc/PID/status in KiB, or -1.
long status_kib(pid_t pid, const std::string& field);

}  // namespace syva::test
