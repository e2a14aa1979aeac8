// SPDX-License-Identifier: Apache-2.0
// A scratch policy directory for unit tests, removed afterwards.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace syva::test {

class PolicyDir {
 public:
  PolicyDir() {
    char tmpl[] = "/tmp/syva-policy-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~PolicyDir() { std::filesystem::remove_all(path_); }
  PolicyDir(const PolicyDir&) = delete;
  PolicyDir& operator=(const PolicyDir&) = delete;

  std::string write(const std::string& name, const std::string& body) {
    const std::string file = path_ + "/" + name;
    std::ofstream(file) << body;
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace syva::test
