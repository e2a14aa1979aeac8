// SPDX-License-Identifier: Apache-2.0
#include "bench_cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "enforcer/kernel_ids.h"

namespace syva::bench {

namespace {

void write_procs(const std::string& dir) {
  const std::string procs = dir + "/cgroup.procs";
  int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(fmt::format("open {}: {}", procs, strerror(errno)));
  // "0" is the writer itself.
  const bool ok = write(fd, "0", 1) == 1;
  const int err = errno;
  close(fd);
  if (!ok) throw std::runtime_error(fmt::format("joining {}: {}", dir, strerror(err)));
}

}  // namespace

BenchCgroup::BenchCgroup(const std::string& relative) : path_(cgroup2_mount() + "/" + relative) {
  if (mkdir(path_.c_str(), 0755) != 0 && errno != EEXIST)
    throw std::runtime_error(fmt::format("mkdir {}: {}", path_, strerror(errno)));
  id_ = cgroup_id_of(path_);
}

BenchCgroup::~BenchCgroup() { rmdir(path_.c_str()); }

void BenchCgroup::join() const { write_procs(path_); }

void join_cgroup_root() { write_procs(cgroup2_mount()); }

}  // namespace syva::bench
