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
  // The CRI plugin's fixed names: the kubelet's containerd namespace, and the
  // sandbox ("pause") image the config points at, imported offline.
  static constexpr const char* kCriNamespace = "k8s.io";
  static constexpr const char* kPauseImage = "syva.test/pause:1";
  // Names a ready-made archive of kPauseImage (the test VM stages one).
  static constexpr const char* kPauseArchiveEnv = "SYVA_TEST_PAUSE_ARCHIVE";

  struct Options {
    // Enables containerd's CRI plugin (off otherwise: the watcher needs
    // neither it nor its sandbox image). See support/cri_client.h.
    bool cri = false;
    // With `cri`: pods that are not host-network get a network namespace on
    // a bridge of their own (Debian's containernetworking-plugins: bridge
    // and host-local IPAM on kCniSubnet, the node's end kCniGateway).
    bool cni = false;
  };
  static constexpr const char* kCniSubnet = "10.89.0.0/24";
  static constexpr const char* kCniGateway = "10.89.0.1";
  // Where the plugins are looked for: Debian's package, then CNI's default.
  static std::string cni_bin_dir();

  // Empty when containerd, ctr, runc, the runc shim and busybox-static are
  // all installed and this process may run them (root, cgroup2); otherwise
  // what is missing. With `options.cri`, also what the CRI plugin needs.
  static std::string unavailable(Options options);
  static std::string unavailable() { return unavailable(Options{}); }

  // The image every test container runs.
  static constexpr const char* kImage = "syva.test/busybox:1";
  // Names a ready-made archive of kImage to import instead of building one.
  static constexpr const char* kImageArchiveEnv = "SYVA_TEST_IMAGE_ARCHIVE";

  explicit PrivateContainerd(const std::string& tag) : PrivateContainerd(tag, Options{}) {}
  PrivateContainerd(const std::string& tag, Options options);
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

  // CRI only. Imports the busybox image and the pause image into
  // kCriNamespace; the caller waits until the plugin knows them
  // (CriClient::wait_for_image).
  void import_cri_images();
  // CRI only: the cgroup (relative to the cgroup2 root, e.g.
  // /syva-wt-1234-cri-pods) under which every pod's cgroup_parent goes, so
  // that whatever survives a failed test is killed and removed with it.
  std::string cri_cgroup_parent() const;
  // CNI only: the addresses the host-local IPAM plugin has handed out, each
  // to the pod sandbox id it recorded (its own files, not the CRI's view).
  std::map<std::string, std::string> cni_leases() const;
  // CNI only: the bridge's name on the node.
  std::string cni_bridge() const;

  // The container's cgroup2 directory as runc made it (/<ns>/<id>) and its
  // id (the directory's inode), read straight from the filesystem.
  std::string cgroup_dir(const std::string& ns, const std::string& id) const;
  uint64_t cgroup_id(const std::string& ns, const std::string& id) const;

 private:
  void clean_up() noexcept;
  std::vector<std::string> ctr_lines(const std::string& ns, const std::string& args);

  std::string tag_;
  Options options_;
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
// The pinned address_zone map, each address as text ("10.89.0.2").
std::map<std::string, uint32_t> read_pinned_addresses(const std::string& pin_path);

}  // namespace syva::test
