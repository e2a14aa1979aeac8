// SPDX-License-Identifier: Apache-2.0
// A listening Unix stream socket for the test's lifetime: a stand-in for a
// daemon (containerd) that a command only connects to.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>

namespace syva::test {

class UnixListener {
 public:
  explicit UnixListener(std::string path) : path_(std::move(path)) {
    unlink(path_.c_str());
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (fd_ < 0 || path_.size() >= sizeof(addr.sun_path)) return;
    memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    listening_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && listen(fd_, 4) == 0;
  }
  ~UnixListener() {
    if (fd_ >= 0) close(fd_);
    unlink(path_.c_str());
  }
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;

  bool listening() const { return listening_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool listening_ = false;
};

}  // namespace syva::test
