// SPDX-License-Identifier: Apache-2.0
// Catch2 2.x has no SKIP: a test that cannot run says so loudly, records
// itself in $SYVA_SKIP_LOG for the run's summary, and returns. It never
// counts as a pass in that summary.
#pragma once

#include <string>

namespace syva::test {

void record_skip(const std::string& test, const std::string& reason);

}  // namespace syva::test

#define SYVA_SKIP(reason)                                                                \
  do {                                                                                   \
    ::syva::test::record_skip(Catch::getResultCapture().getCurrentTestName(), (reason)); \
    WARN("SKIPPED: " << (reason));                                                       \
    return;                                                                              \
  } while (0)
