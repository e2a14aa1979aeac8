// SPDX-License-Identifier: Apache-2.0
// The kubelet's side of the CRI, for tests: pods and containers run through
// containerd's own CRI plugin (service runtime.v1.RuntimeService on
// containerd's socket), so containerd records them exactly as it does on a
// Kubernetes node (namespace k8s.io, sandbox and container records, pod
// annotations in the sandbox's metadata extension), which is what the agent
// has to read. Synchronous; every call has a deadline. Every pod made here is
// stopped and removed when the client goes, even after a failed test.
//
// Typical use, with PrivateContainerd cd("x", {.cri = true}):
//   cd.import_cri_images();
//   CriClient cri(cd.socket(), cd.cri_cgroup_parent(), dir + "/logs");
//   cri.wait_for_image(PrivateContainerd::kImage);
//   cri.wait_for_image(PrivateContainerd::kPauseImage);
//   auto pod = cri.run_pod("db-0", "db", {{"syva.dev/zone", "database"}});
//   auto id = cri.create_container(pod, {.name = "main", .command = {"sleep", "300"}});
//   cri.start_container(id);
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "runtime/v1/api.grpc.pb.h"

namespace syva::test {

using StringMap = std::map<std::string, std::string>;

// How a pod shares the node. Host network by default: the test VM has no
// CNI, and the CRI plugin sets up no network for a host-network pod.
struct PodOptions {
  bool host_network = true;
  bool host_pid = false;
  bool host_ipc = false;
};

struct ContainerSpec {
  std::string name{};                  // ContainerMetadata.name, unique in its pod
  std::string image{};                 // empty: PrivateContainerd::kImage
  std::vector<std::string> command{};  // replaces the image's entrypoint
  std::vector<std::string> args{};
  StringMap labels{};
  StringMap annotations{};
  struct Mount {
    std::string host_path;  // must exist: the CRI plugin makes a missing one a directory
    std::string container_path;
    bool readonly = true;
  };
  std::vector<Mount> mounts{};
  bool host_pid = false;  // the container's own PID namespace mode (the pod's otherwise)
};

struct ExecResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CriClient {
 public:
  // `cgroup_parent`: the cgroup (from the cgroup2 root) under which each pod
  // gets its own, as the kubelet's kubepods; PrivateContainerd's
  // cri_cgroup_parent(). `log_dir`: each pod's log directory goes under it.
  // Waits up to `ready` for the plugin to answer: it refuses calls until it
  // has initialised, a while after containerd's socket opens.
  CriClient(const std::string& socket, std::string cgroup_parent, std::string log_dir,
            std::chrono::seconds ready = std::chrono::seconds(60));
  ~CriClient();
  CriClient(const CriClient&) = delete;
  CriClient& operator=(const CriClient&) = delete;

  runtime::v1::VersionResponse version();
  // Waits until the plugin knows `ref` (it learns of imported images from
  // containerd's events, a moment after the import). Throws at `timeout`.
  void wait_for_image(const std::string& ref, std::chrono::seconds timeout = std::chrono::seconds(30));

  // RunPodSandbox. `name` and `ns` are the pod's metadata (the Kubernetes
  // namespace, not containerd's); the uid is made up. Returns the sandbox id.
  std::string run_pod(const std::string& name, const std::string& ns, const StringMap& annotations = {},
                      const StringMap& labels = {}, const PodOptions& options = {});
  // CreateContainer in `pod` (an id from run_pod). Returns the container id,
  // which is also its containerd container id in namespace k8s.io.
  std::string create_container(const std::string& pod, const ContainerSpec& spec);
  // Same, with a config built by the caller (metadata, image, ...). The
  // pod's config is added as the kubelet sends it.
  std::string create_container(const std::string& pod, const runtime::v1::ContainerConfig& config);
  void start_container(const std::string& id);
  void stop_container(const std::string& id, int64_t timeout_s = 0);
  void remove_container(const std::string& id);
  // StopPodSandbox then RemovePodSandbox (which removes its containers),
  // then the pod's cgroup, as the kubelet does.
  void remove_pod(const std::string& pod);
  void stop_pod(const std::string& pod);

  runtime::v1::ContainerStatusResponse container_status(const std::string& id, bool verbose = false);
  // The container's init process, on the node (from the verbose status).
  pid_t container_pid(const std::string& id);
  std::vector<runtime::v1::PodSandbox> pods();
  std::vector<runtime::v1::Container> containers(const std::string& pod = "");
  // ExecSync: runs `cmd` in the container and waits for it.
  ExecResult exec(const std::string& id, const std::vector<std::string>& cmd, int64_t timeout_s = 60);

  // The pod's cgroup_parent (from the cgroup2 root); each container's cgroup
  // is this plus "/" + its container id (cgroupfs driver).
  std::string pod_cgroup(const std::string& pod) const;
  // Where the container's stdout and stderr go (CRI log format).
  std::string log_path(const std::string& id) const;

 private:
  std::unique_ptr<grpc::ClientContext> context(std::chrono::seconds timeout = std::chrono::seconds(60)) const;
  void clean_up() noexcept;

  struct Pod {
    runtime::v1::PodSandboxConfig config;
    std::string cgroup;
    bool removed = false;
  };

  std::string cgroup_parent_;
  std::string log_dir_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<runtime::v1::ImageService::Stub> images_;
  std::map<std::string, Pod> pods_;               // by sandbox id
  std::vector<std::string> pod_order_;            // cleaned up last made, first removed
  std::map<std::string, std::string> log_paths_;  // by container id
  int next_uid_ = 0;
};

}  // namespace syva::test
