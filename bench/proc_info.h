// A process's footprint as /proc reports it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace syva::bench {

// user + system CPU time, in seconds.
double cpu_seconds(pid_t pid);
// A "Vm..."/"Rss..." field of /proc/PID/status in KiB, or -1.
long status_kib(pid_t pid, const std::string& field);

}  // namespace syva::bench
