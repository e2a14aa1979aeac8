// SPDX-License-Identifier: Apache-2.0
// Running a command line as an operator would, to check what it prints and
// how it exits.
#pragma once

#include <string>

namespace syva::test {

struct CommandResult {
  int exit_code = -1;  // -1 when it could not run or did not exit normally
  std::string output;  // stdout and stderr
};

// Runs `command` with /bin/sh; never throws.
CommandResult shell(const std::string& command);

}  // namespace syva::test
