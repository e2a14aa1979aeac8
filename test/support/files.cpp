// SPDX-License-Identifier: Apache-2.0
#include "support/files.h"

#include <fstream>
#include <sstream>

namespace syva::test {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace syva::test
