// SPDX-License-Identifier: Apache-2.0
// `--key value` command-line options for the bench subcommands: each one
// has a few numeric or path settings and no need for more.
#pragma once

#include <map>
#include <string>

namespace syva::bench {

class Args {
 public:
  // argv after the subcommand; throws std::invalid_argument on a stray word.
  Args(int argc, char** argv);
  std::string str(const std::string& key, const std::string& fallback) const;
  long num(const std::string& key, long fallback) const;
  bool has(const std::string& key) const { return values_.count(key) != 0; }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace syva::bench
