// SPDX-License-Identifier: Apache-2.0
// Reading small files whole: /proc and cgroupfs entries, logs, configs.
#pragma once

#include <string>

namespace syva::test {

// The whole file; empty when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace syva::test
