// SPDX-License-Identifier: Apache-2.0
#include "daemon/policy_dir_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace syva {

PolicyDirWatch::PolicyDirWatch(const std::string& dir) {
  fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(fmt::format("inotify: {}", strerror(errno)));
  // Editors save by rename, ConfigMaps swap a symlink by rename, `cp`
  // writes in place: each shows up as one of these on the directory.
  const uint32_t mask = IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB;
  if (inotify_add_watch(fd_, dir.c_str(), mask) < 0) {
    int err = errno;
    close(fd_);
    throw std::runtime_error(fmt::format("watching {}: {}", dir, strerror(err)));
  }
}

PolicyDirWatch::~PolicyDirWatch() { close(fd_); }

bool PolicyDirWatch::drain() {
  alignas(inotify_event) char buf[4096];
  bool changed = false;
  while (read(fd_, buf, sizeof(buf)) > 0) changed = true;
  return changed;
}

}  // namespace syva
