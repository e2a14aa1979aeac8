// SPDX-License-Identifier: Apache-2.0
#include "enforcer/pin_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace syva {

PinLock::PinLock(const std::string& pin_dir) {
  std::error_code ec;
  std::filesystem::create_directories(pin_dir, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create pin directory {}: {}", pin_dir, ec.message()));
  fd_ = open(pin_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(fmt::format("cannot open pin directory {}: {}", pin_dir, strerror(errno)));
  // `syva status` takes the lock shared for an instant to see whether an
  // agent runs; retry briefly so that probe cannot make a start fail.
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    if (errno != EWOULDBLOCK) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int err = errno;
  close(fd_);
  fd_ = -1;
  if (err == EWOULDBLOCK)
    throw std::runtime_error(
        fmt::format("another syva instance holds {} (its lock is taken); refusing to start a second one", pin_dir));
  throw std::runtime_error(fmt::format("cannot lock {}: {}", pin_dir, strerror(err)));
}

PinLock::~PinLock() {
  if (fd_ >= 0) close(fd_);
}

bool PinLock::held_by_other(const std::string& pin_dir) {
  int fd = open(pin_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close(fd);
  return held;
}

}  // namespace syva
