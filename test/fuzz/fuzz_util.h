// SPDX-License-Identifier: Apache-2.0
// Shared by the libFuzzer targets: a failed expectation or an exception the
// code under test must not throw aborts, which libFuzzer reports as a crash
// with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

namespace syva::fuzz {

[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "\nFUZZ EXPECTATION FAILED: %.*s%s%.*s\n", static_cast<int>(what.size()), what.data(),
               detail.empty() ? "" : ": ", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

#define SYVA_FUZZ_EXPECT(cond)                                                    \
  do {                                                                            \
    if (!(cond)) ::syva::fuzz::fail(#cond, __FILE__ ":" SYVA_FUZZ_STR(__LINE__)); \
  } while (0)
#define SYVA_FUZZ_STR2(x) #x
#define SYVA_FUZZ_STR(x) SYVA_FUZZ_STR2(x)

}  // namespace syva::fuzz
