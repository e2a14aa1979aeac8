// SPDX-License-Identifier: Apache-2.0
#include "cpu_pin.h"

#include <sched.h>
#include <unistd.h>

#include <cstdio>

namespace syva::bench {

void pin_to_last_cpu() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n <= 1) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(n - 1, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) perror("syva-bench: sched_setaffinity");
}

}  // namespace syva::bench
