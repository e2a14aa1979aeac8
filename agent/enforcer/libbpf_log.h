// SPDX-License-Identifier: Apache-2.0
// libbpf explains a failed load only on its print callback. Its messages go
// to the debug log, and its warnings are kept so that the one that explains
// a failure can be quoted in our own error instead of flooding the log.
#pragma once

#include <string>
#include <vector>

namespace syva {

// Routes libbpf's messages here and forgets warnings kept so far.
void capture_libbpf_log();

// The kept warning that best explains the last failure: the first that says
// "failed", else the latest; "" when libbpf warned of nothing.
std::string libbpf_failure_detail();

// Every warning kept since capture_libbpf_log(), oldest first.
std::vector<std::string> libbpf_warnings();

}  // namespace syva
