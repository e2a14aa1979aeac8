// SPDX-License-Identifier: Apache-2.0
// The calls the watcher makes to containerd over its gRPC socket. Every
// call carries the namespace in the `containerd-namespace` metadata, has a
// deadline, and can be cancelled from another thread so the agent stops
// promptly.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "containerd/services/containers/v1/containers.grpc.pb.h"
#include "containerd/services/events/v1/events.grpc.pb.h"
#include "containerd/services/namespaces/v1/namespace.grpc.pb.h"
#include "containerd/services/tasks/v1/tasks.grpc.pb.h"

namespace syva {

using Container = containerd::services::containers::v1::Container;
using Envelope = containerd::services::events::v1::Envelope;
using TaskProcess = containerd::v1::types::Process;

class RpcError : public std::runtime_error {
 public:
  RpcError(const std::string& what, grpc::StatusCode code) : std::runtime_error(what), code_(code) {}
  grpc::StatusCode code() const { return code_; }

 private:
  grpc::StatusCode code_;
};

class ContainerdClient;

// The event stream of one Subscribe call. Asynchronous underneath so that a
// wait for the next event can end at a deadline: the watcher has its own
// timed work (resync) on the same thread that applies events in order.
class EventStream {
 public:
  enum class Next { event, timeout, ended };
  ~EventStream();
  Next next(Envelope& out, std::chrono::system_clock::time_point deadline);
  // Why the stream ended (or CANCELLED when it is ended here).
  grpc::Status finish();

 private:
  friend class ContainerdClient;
  EventStream(ContainerdClient& owner, std::unique_ptr<grpc::ClientContext> ctx);
  // Waits for one completion; false on deadline.
  bool complete_one(std::chrono::system_clock::time_point deadline);

  ContainerdClient& owner_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::ClientAsyncReader<Envelope>> reader_;
  Envelope incoming_;
  bool start_pending_ = false;
  bool read_pending_ = false;
  bool read_done_ = false;  // a completed read waits in incoming_
  bool ended_ = false;
  bool finished_ = false;
  grpc::Status status_;
};

class ContainerdClient {
 public:
  explicit ContainerdClient(const std::string& socket_path,
                            std::chrono::milliseconds call_timeout = std::chrono::seconds(10));
  ~ContainerdClient();

  std::vector<std::string> namespaces();
  std::vector<Container> containers(const std::string& ns);
  // nullopt when containerd has no such container.
  std::optional<Container> container(const std::string& ns, const std::string& id);
  std::vector<TaskProcess> tasks(const std::string& ns);
  // Every namespace's events matching any of `filters`.
  std::unique_ptr<EventStream> subscribe(const std::vector<std::string>& filters);

  // Ends every call in flight and fails every later one.
  void cancel();

  const std::string& socket_path() const { return socket_path_; }

 private:
  friend class EventStream;
  std::unique_ptr<grpc::ClientContext> context(const std::string& ns, bool deadline);
  void track(grpc::ClientContext* ctx);
  void untrack(grpc::ClientContext* ctx);
  void check(const grpc::Status& status, const std::string& what);

  // Registers a unary call's context for cancel() for as long as it runs.
  class Call;

  std::string socket_path_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<containerd::services::namespaces::v1::Namespaces::Stub> namespaces_;
  std::unique_ptr<containerd::services::containers::v1::Containers::Stub> containers_;
  std::unique_ptr<containerd::services::tasks::v1::Tasks::Stub> tasks_;
  std::unique_ptr<containerd::services::events::v1::Events::Stub> events_;

  std::mutex mutex_;
  bool cancelled_ = false;
  std::set<grpc::ClientContext*> in_flight_;
};

}  // namespace syva
