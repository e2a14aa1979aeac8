// SPDX-License-Identifier: Apache-2.0
#include "support/cri_client.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "enforcer/kernel_ids.h"
#include "support/private_containerd.h"

namespace fs = std::filesystem;
namespace v1 = runtime::v1;

namespace syva::test {

namespace {

void check(const grpc::Status& status, const std::string& what) {
  if (!status.ok())
    throw std::runtime_error(
        fmt::format("CRI {}: {} (gRPC code {})", what, status.error_message(), static_cast<int>(status.error_code())));
}

void fill(google::protobuf::Map<std::string, std::string>* out, const StringMap& in) {
  for (const auto& [k, v] : in) (*out)[k] = v;
}

}  // namespace

CriClient::CriClient(const std::string& socket, std::string cgroup_parent, std::string log_dir,
                     std::chrono::seconds ready)
    : cgroup_parent_(std::move(cgroup_parent)), log_dir_(std::move(log_dir)) {
  channel_ = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
  runtime_ = v1::RuntimeService::NewStub(channel_);
  images_ = v1::ImageService::NewStub(channel_);
  fs::create_directories(log_dir_);
  const auto deadline = std::chrono::steady_clock::now() + ready;
  for (;;) {
    auto ctx = context(std::chrono::seconds(5));
    v1::VersionRequest req;
    v1::VersionResponse resp;
    auto status = runtime_->Version(ctx.get(), req, &resp);
    if (status.ok()) return;
    if (std::chrono::steady_clock::now() > deadline)
      check(status, fmt::format("Version: not ready within {} s", ready.count()));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

CriClient::~CriClient() { clean_up(); }

std::unique_ptr<grpc::ClientContext> CriClient::context(std::chrono::seconds timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

v1::VersionResponse CriClient::version() {
  auto ctx = context();
  v1::VersionRequest req;
  v1::VersionResponse resp;
  check(runtime_->Version(ctx.get(), req, &resp), "Version");
  return resp;
}

void CriClient::wait_for_image(const std::string& ref, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto ctx = context();
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image(ref);
    v1::ImageStatusResponse resp;
    check(images_->ImageStatus(ctx.get(), req, &resp), "ImageStatus " + ref);
    if (resp.has_image()) return;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error(fmt::format("CRI: image {} not known to the CRI plugin after {} s (imported into "
                                           "namespace {}?)",
                                           ref, timeout.count(), PrivateContainerd::kCriNamespace));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

std::string CriClient::run_pod(const std::string& name, const std::string& ns, const StringMap& annotations,
                               const StringMap& labels, const PodOptions& options) {
  const std::string uid = fmt::format("syva-{}-{}", getpid(), ++next_uid_);
  Pod pod;
  auto& config = pod.config;
  config.mutable_metadata()->set_name(name);
  config.mutable_metadata()->set_namespace_(ns);
  config.mutable_metadata()->set_uid(uid);
  // As the kubelet: a host-network pod shares the node's UTS namespace, and
  // runc refuses to set a hostname there.
  if (!options.host_network) config.set_hostname(name);
  // The kubelet's layout: /var/log/pods/NS_NAME_UID.
  config.set_log_directory(fmt::format("{}/{}_{}_{}", log_dir_, ns, name, uid));
  fs::create_directories(config.log_directory());
  fill(config.mutable_labels(), labels);
  fill(config.mutable_annotations(), annotations);
  pod.cgroup = fmt::format("{}/pod{}", cgroup_parent_, uid);
  auto* pod_linux = config.mutable_linux();
  pod_linux->set_cgroup_parent(pod.cgroup);
  auto* nso = pod_linux->mutable_security_context()->mutable_namespace_options();
  nso->set_network(options.host_network ? v1::NODE : v1::POD);
  nso->set_pid(options.host_pid ? v1::NODE : v1::POD);
  nso->set_ipc(options.host_ipc ? v1::NODE : v1::POD);

  auto ctx = context(std::chrono::seconds(120));
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  v1::RunPodSandboxResponse resp;
  check(runtime_->RunPodSandbox(ctx.get(), req, &resp), fmt::format("RunPodSandbox {}/{}", ns, name));
  pods_[resp.pod_sandbox_id()] = std::move(pod);
  pod_order_.push_back(resp.pod_sandbox_id());
  return resp.pod_sandbox_id();
}

std::string CriClient::create_container(const std::string& pod, const ContainerSpec& spec) {
  v1::ContainerConfig config;
  config.mutable_metadata()->set_name(spec.name);
  config.mutable_image()->set_image(spec.image.empty() ? PrivateContainerd::kImage : spec.image);
  for (const auto& c : spec.command) config.add_command(c);
  for (const auto& a : spec.args) config.add_args(a);
  fill(config.mutable_labels(), spec.labels);
  fill(config.mutable_annotations(), spec.annotations);
  for (const auto& m : spec.mounts) {
    auto* mount = config.add_mounts();
    mount->set_host_path(m.host_path);
    mount->set_container_path(m.container_path);
    mount->set_readonly(m.readonly);
  }
  // The kubelet asks for POD unless the pod is hostPID; CONTAINER would be
  // a namespace of the container's own.
  const auto* pod_nso = &pods_.at(pod).config.linux().security_context().namespace_options();
  auto* nso = config.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  nso->set_network(pod_nso->network());
  nso->set_pid(spec.host_pid ? v1::NODE : pod_nso->pid());
  nso->set_ipc(pod_nso->ipc());
  config.set_log_path(spec.name + ".log");
  return create_container(pod, config);
}

std::string CriClient::create_container(const std::string& pod, const v1::ContainerConfig& config) {
  auto it = pods_.find(pod);
  if (it == pods_.end()) throw std::invalid_argument("CRI: no pod " + pod + " made by this client");
  auto ctx = context(std::chrono::seconds(120));
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod);
  *req.mutable_config() = config;
  *req.mutable_sandbox_config() = it->second.config;
  v1::CreateContainerResponse resp;
  check(runtime_->CreateContainer(ctx.get(), req, &resp), "CreateContainer " + config.metadata().name());
  if (!config.log_path().empty())
    log_paths_[resp.container_id()] = it->second.config.log_directory() + "/" + config.log_path();
  return resp.container_id();
}

void CriClient::start_container(const std::string& id) {
  auto ctx = context(std::chrono::seconds(120));
  v1::StartContainerRequest req;
  req.set_container_id(id);
  v1::StartContainerResponse resp;
  check(runtime_->StartContainer(ctx.get(), req, &resp), "StartContainer " + id);
}

void CriClient::stop_container(const std::string& id, int64_t timeout_s) {
  auto ctx = context(std::chrono::seconds(120 + timeout_s));
  v1::StopContainerRequest req;
  req.set_container_id(id);
  req.set_timeout(timeout_s);
  v1::StopContainerResponse resp;
  check(runtime_->StopContainer(ctx.get(), req, &resp), "StopContainer " + id);
}

void CriClient::remove_container(const std::string& id) {
  auto ctx = context(std::chrono::seconds(120));
  v1::RemoveContainerRequest req;
  req.set_container_id(id);
  v1::RemoveContainerResponse resp;
  check(runtime_->RemoveContainer(ctx.get(), req, &resp), "RemoveContainer " + id);
}

void CriClient::stop_pod(const std::string& pod) {
  auto ctx = context(std::chrono::seconds(120));
  v1::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(pod);
  v1::StopPodSandboxResponse resp;
  check(runtime_->StopPodSandbox(ctx.get(), req, &resp), "StopPodSandbox " + pod);
}

void CriClient::remove_pod(const std::string& pod) {
  stop_pod(pod);
  {
    auto ctx = context(std::chrono::seconds(120));
    v1::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(pod);
    v1::RemovePodSandboxResponse resp;
    check(runtime_->RemovePodSandbox(ctx.get(), req, &resp), "RemovePodSandbox " + pod);
  }
  // runc removes each container's cgroup; the pod's is the kubelet's to remove.
  if (auto it = pods_.find(pod); it != pods_.end()) {
    it->second.removed = true;
    rmdir((cgroup2_mount() + it->second.cgroup).c_str());
  }
}

v1::ContainerStatusResponse CriClient::container_status(const std::string& id, bool verbose) {
  auto ctx = context();
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  req.set_verbose(verbose);
  v1::ContainerStatusResponse resp;
  check(runtime_->ContainerStatus(ctx.get(), req, &resp), "ContainerStatus " + id);
  return resp;
}

pid_t CriClient::container_pid(const std::string& id) {
  const auto status = container_status(id, true);
  auto it = status.info().find("info");
  if (it == status.info().end()) throw std::runtime_error("CRI: ContainerStatus " + id + " has no verbose info");
  const auto info = nlohmann::json::parse(it->second, nullptr, false);
  if (!info.is_object() || !info.contains("pid") || !info["pid"].is_number_integer() || info["pid"].get<int>() <= 0)
    throw std::runtime_error("CRI: ContainerStatus " + id + " names no running pid: " + it->second.substr(0, 200));
  return info["pid"].get<pid_t>();
}

std::vector<v1::PodSandbox> CriClient::pods() {
  auto ctx = context();
  v1::ListPodSandboxRequest req;
  v1::ListPodSandboxResponse resp;
  check(runtime_->ListPodSandbox(ctx.get(), req, &resp), "ListPodSandbox");
  return {resp.items().begin(), resp.items().end()};
}

std::vector<v1::Container> CriClient::containers(const std::string& pod) {
  auto ctx = context();
  v1::ListContainersRequest req;
  if (!pod.empty()) req.mutable_filter()->set_pod_sandbox_id(pod);
  v1::ListContainersResponse resp;
  check(runtime_->ListContainers(ctx.get(), req, &resp), "ListContainers");
  return {resp.containers().begin(), resp.containers().end()};
}

ExecResult CriClient::exec(const std::string& id, const std::vector<std::string>& cmd, int64_t timeout_s) {
  auto ctx = context(std::chrono::seconds(timeout_s + 60));
  v1::ExecSyncRequest req;
  req.set_container_id(id);
  for (const auto& c : cmd) req.add_cmd(c);
  req.set_timeout(timeout_s);
  v1::ExecSyncResponse resp;
  check(runtime_->ExecSync(ctx.get(), req, &resp), "ExecSync in " + id);
  return ExecResult{resp.exit_code(), resp.stdout(), resp.stderr()};
}

std::string CriClient::pod_cgroup(const std::string& pod) const { return pods_.at(pod).cgroup; }

std::string CriClient::log_path(const std::string& id) const {
  auto it = log_paths_.find(id);
  return it == log_paths_.end() ? "" : it->second;
}

void CriClient::clean_up() noexcept {
  for (auto it = pod_order_.rbegin(); it != pod_order_.rend(); ++it) {
    if (pods_[*it].removed) continue;
    try {
      remove_pod(*it);
    } catch (const std::exception& e) {
      // PrivateContainerd's own clean-up kills and removes what is left.
      fprintf(stderr, "CriClient: removing pod %s: %s\n", it->c_str(), e.what());
    }
  }
}

}  // namespace syva::test
