// SPDX-License-Identifier: Apache-2.0
#include "support/skip.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace syva::test {

void record_skip(const std::string& test, const std::string& reason) {
  fprintf(stderr, "\n*** SKIPPED: %s: %s ***\n\n", test.c_str(), reason.c_str());
  if (const char* log = getenv("SYVA_SKIP_LOG")) std::ofstream(log, std::ios::app) << test << "\t" << reason << "\n";
}

}  // namespace syva::test
