// SPDX-License-Identifier: Apache-2.0
// A real containerd for tests, on its own socket, root, state and config
// (never the system's /run/containerd), with runc. Everything it made is
// removed when it goes, even after a failed test: tasks, containers,
// images, shims, mounts, cgroups and directories.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace syva::test {

class PrivateContainerd {
 public:
  // Empty when containerd, ctr, runc, the runc shim and busybox-static are
  // all installed and this process may run them (root, cgroup2); otherwise
  // what is missing.
  static std::string unavailable();

  // The image every test container runs.
  static constexpr const char* kImage = "syva.test/busybox:1";
  // Names a ready-made archive of kImage to import instead of building one.
  static constexpr const char* kImageArchiveEnv = "SYVA_TEST_IMAGE_ARCHIVE";

  explicit PrivateContainerd(const std::string& tag);
  ~PrivateContainerd();
  PrivateContainerd(const PrivateContainerd&) = delete;
  PrivateContainerd& operator=(const PrivateContainerd&) = delete;

  // Starts containerd and waits until it answers. Throws on failure.
  void start();
  // SIGKILL: containerd dies; shims and containers keep running.
  void kill();
  bool running() const { return pid_ > 0; }

  const std::string& socket() const { return socket_; }
  const std::string& dir() const { return dir_; }
  // A namespace name unique to this process, e.g. "syva-wt-1234-a".
  std::string ns(const std::string& suffix) const;

  // `ctr --address SOCKET -n NS ARGS`; throws with ctr's output on failure.
  // ctr and the calls built on it may run from several threads at once.
  std::string ctr(const std::string& ns, const std::string& args);
  // Imports the busybox image into `ns` (built once per instance).
  void import_image(const std::string& ns);
  // `ctr run -d` with private runc root and no stdio; `flags` e.g.
  // "--label syva.dev/zone=frontend".
  void run_detached(const std::string& ns, const std::string& id, const std::string& flags,
                    const std::string& command = "sleep 300");
  // Kills and deletes the task, then deletes the container.
  void remove(const std::string& ns, const std::string& id);
  pid_t task_pid(const std::string& ns, const std::string& id);
  // `ctr tasks list`: container id -> its task's init pid and status
  // (CREATED, RUNNING, PAUSED, PAUSING, STOPPED, UNKNOWN).
  struct Task {
    pid_t pid = 0;
    std::string status;
  };
  std::map<std::string, Task> tasks(const std::string& ns);
  // `ctr containers list -q`: the ids of every container in `ns`.
  std::vector<std::string> containers(const std::string& ns);

  // The container's cgroup2 directory as runc made it (/<ns>/<id>) and its
  // id (the directory's inode), read straight from the filesystem.
  std::string cgroup_dir(const std::string& ns, const std::string& id) const;
  uint64_t cgroup_id(const std::string& ns, const std::string& id) const;

 private:
  void clean_up() noexcept;
  std::vector<std::string> ctr_lines(const std::string& ns, const std::string& args);

  std::string tag_;
  std::string dir_;
  std::string socket_;
  std::string cgroup2_;
  pid_t pid_ = -1;
  bool image_built_ = false;
  bool run_containerd_existed_ = false;
  std::mutex namespaces_mutex_;
  std::set<std::string> namespaces_;  // guarded by namespaces_mutex_
};

// The pinned zone_membership map at `pin_path`, read without an Enforcer.
std::map<uint64_t, uint32_t> read_pinned_membership(const std::string& pin_path);
// The pinned superblock_zone map (owned container root filesystems).
std::map<uint64_t, uint32_t> read_pinned_superblocks(const std::string& pin_path);

}  // namespace syva::test
