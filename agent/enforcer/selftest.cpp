// SPDX-License-Identifier: Apache-2.0
#include "enforcer/selftest.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "enforcer/enforcer.h"
#include "enforcer/kernel_ids.h"
#include "syva.skel.h"

namespace syva {

namespace {

// Only async-signal-safe calls between fork and _exit: the parent may have threads.
// cgroup.procs was opened by the parent before the fork, so the only open the
// child makes after it is named to the probe is the probe file.
[[noreturn]] void probe_child(int go_fd, int procs_fd, const char* probe_file) {
  char c;
  if (read(go_fd, &c, 1) != 1) _exit(10);
  if (write(procs_fd, "0", 1) != 1) _exit(11);  // "0" moves the writer itself
  close(procs_fd);
  int fd = open(probe_file, O_RDONLY);
  if (fd < 0) _exit(12);
  close(fd);
  _exit(0);
}

}  // namespace

SelftestResult run_selftest(Enforcer& enforcer, const std::string& probe_file) {
  SelftestResult r;
  const std::string cgroup = fmt::format("{}/syva-selftest-{}", cgroup2_mount(), getpid());
  const std::string procs = cgroup + "/cgroup.procs";
  if (mkdir(cgroup.c_str(), 0755) != 0 && errno != EEXIST)
    throw std::runtime_error(fmt::format("self-test: mkdir {}: {}", cgroup, strerror(errno)));

  struct stat st;
  if (stat(probe_file.c_str(), &st) != 0) {
    rmdir(cgroup.c_str());
    throw std::runtime_error(fmt::format("self-test: stat {}: {}", probe_file, strerror(errno)));
  }
  r.expected_cgroup = cgroup_id_of(cgroup);
  r.expected_inode = {kernel_dev(st.st_dev), st.st_ino};
  if (const char* fault = getenv(kSelftestFaultEnv)) {
    if (std::string_view(fault) == "cgroup") r.expected_cgroup += 1;
    if (std::string_view(fault) == "inode") r.expected_inode.ino += 1;
  }

  bpf_link* probe = bpf_program__attach_lsm(enforcer.skeleton()->progs.syva_selftest_probe);
  if (!probe) {
    int err = errno;
    rmdir(cgroup.c_str());
    throw std::runtime_error(fmt::format("self-test: attaching the probe failed: {}", strerror(err)));
  }

  const int procs_fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  int go[2];
  if (procs_fd < 0 || pipe2(go, O_CLOEXEC) != 0) {
    int err = errno;
    if (procs_fd >= 0) close(procs_fd);
    bpf_link__destroy(probe);
    rmdir(cgroup.c_str());
    throw std::runtime_error(fmt::format("self-test: opening {} or a pipe failed: {}", procs, strerror(err)));
  }
  pid_t child = fork();
  if (child == 0) probe_child(go[0], procs_fd, probe_file.c_str());
  if (child < 0) {
    int err = errno;
    for (int fd : {go[0], go[1], procs_fd}) close(fd);
    bpf_link__destroy(probe);
    rmdir(cgroup.c_str());
    throw std::runtime_error(fmt::format("self-test: fork failed: {}", strerror(err)));
  }
  close(go[0]);
  close(procs_fd);

  const int fd = bpf_map__fd(enforcer.skeleton()->maps.selftest);
  const uint32_t key = 0;
  syva_selftest in{};
  in.tgid = static_cast<uint32_t>(child);
  bpf_map_update_elem(fd, &key, &in, BPF_ANY);
  [[maybe_unused]] ssize_t n = write(go[1], "g", 1);
  close(go[1]);
  int status = 0;
  waitpid(child, &status, 0);

  syva_selftest out{};
  bpf_map_lookup_elem(fd, &key, &out);
  const syva_selftest cleared{};
  bpf_map_update_elem(fd, &key, &cleared, BPF_ANY);
  bpf_link__destroy(probe);
  rmdir(cgroup.c_str());

  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(fmt::format("self-test: probe process failed (status {:#x})", status));

  r.hits = out.hits;
  r.kernel_cgroup = out.cgroup_id;
  r.kernel_task_cgroup = out.task_cgroup_id;
  r.kernel_inode = {out.dev, out.ino};
  r.passed = r.hits > 0 && r.kernel_cgroup == r.expected_cgroup && r.kernel_task_cgroup == r.expected_cgroup &&
             r.kernel_inode.dev == r.expected_inode.dev && r.kernel_inode.ino == r.expected_inode.ino;
  r.summary = fmt::format("cgroup id: user space {} (inode of {}), kernel {} (current) / {} (task path); "
                          "file {}: user space dev={:#x} ino={}, kernel dev={:#x} ino={}; probe hits={}",
                          r.expected_cgroup, cgroup, r.kernel_cgroup, r.kernel_task_cgroup, probe_file,
                          r.expected_inode.dev, r.expected_inode.ino, r.kernel_inode.dev, r.kernel_inode.ino, r.hits);
  return r;
}

}  // namespace syva
