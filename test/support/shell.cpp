// SPDX-License-Identifier: Apache-2.0
#include "support/shell.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace syva::test {

CommandResult shell(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) r.output.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace syva::test
