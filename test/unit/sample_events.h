// SPDX-License-Identifier: Apache-2.0
// Deny events as the kernel writes them, for the tests of their text and
// JSON forms.
#pragma once

#include <cstring>

#include "syva_abi.h"

namespace syva::test {

// `cat` (pid 41) of zone 2 refused file_open of inode 8:1/1234 of zone 1.
inline syva_event file_open_deny() {
  syva_event e{};
  e.hook = SYVA_HOOK_FILE_OPEN;
  e.pid = 41;
  e.tgid = 40;
  e.caller_zone = 2;
  e.target_zone = 1;
  e.dev = (8ull << 20) | 1;
  e.ino = 1234;
  e.caller_cgroup = 99;
  strcpy(e.comm, "cat");
  return e;
}

}  // namespace syva::test
