// SPDX-License-Identifier: Apache-2.0
#include "support/proc_info.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "support/files.h"

namespace syva::test {

double cpu_seconds(pid_t pid) {
  const std::string all = read_file("/proc/" + std::to_string(pid) + "/stat");
  // comm may hold spaces; fields are counted after its closing parenthesis.
  const size_t close = all.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  return double(utime + stime) / sysconf(_SC_CLK_TCK);
}

long status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    std::istringstream v(line.substr(field.size() + 1));
    long kib = -1;
    v >> kib;
    return kib;
  }
  return -1;
}

}  // namespace syva::test
