// SPDX-License-Identifier: Apache-2.0
#include "watcher/containerd_client.h"

#include <fmt/format.h>

namespace syva {

namespace {

namespace containers_v1 = containerd::services::containers::v1;
namespace events_v1 = containerd::services::events::v1;
namespace namespaces_v1 = containerd::services::namespaces::v1;
namespace tasks_v1 = containerd::services::tasks::v1;

// containerd sends up to 16 MiB per message by default; a container with a
// large spec must still fit.
constexpr int kMaxMessage = 16 * 1024 * 1024;

}  // namespace

class ContainerdClient::Call {
 public:
  Call(ContainerdClient& client, const std::string& ns) : client_(client), ctx_(client.context(ns, true)) {
    client_.track(ctx_.get());
  }
  ~Call() { client_.untrack(ctx_.get()); }
  grpc::ClientContext* get() { return ctx_.get(); }

 private:
  ContainerdClient& client_;
  std::unique_ptr<grpc::ClientContext> ctx_;
};

ContainerdClient::ContainerdClient(const std::string& socket_path, std::chrono::milliseconds call_timeout)
    : socket_path_(socket_path), timeout_(call_timeout) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessage);
  // One channel per connection attempt: the watcher paces reconnects itself.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  channel_ = grpc::CreateCustomChannel("unix:" + socket_path, grpc::InsecureChannelCredentials(), args);
  namespaces_ = namespaces_v1::Namespaces::NewStub(channel_);
  containers_ = containers_v1::Containers::NewStub(channel_);
  tasks_ = tasks_v1::Tasks::NewStub(channel_);
  events_ = events_v1::Events::NewStub(channel_);
}

ContainerdClient::~ContainerdClient() = default;

std::unique_ptr<grpc::ClientContext> ContainerdClient::context(const std::string& ns, bool deadline) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!ns.empty()) ctx->AddMetadata("containerd-namespace", ns);
  if (deadline) ctx->set_deadline(std::chrono::system_clock::now() + timeout_);
  return ctx;
}

void ContainerdClient::track(grpc::ClientContext* ctx) {
  std::lock_guard lock(mutex_);
  if (cancelled_) ctx->TryCancel();
  in_flight_.insert(ctx);
}

void ContainerdClient::untrack(grpc::ClientContext* ctx) {
  std::lock_guard lock(mutex_);
  in_flight_.erase(ctx);
}

void ContainerdClient::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  for (auto* ctx : in_flight_) ctx->TryCancel();
}

void ContainerdClient::check(const grpc::Status& status, const std::string& what) {
  if (!status.ok())
    throw RpcError(fmt::format("{}: {} ({})", what, status.error_message(), static_cast<int>(status.error_code())),
                   status.error_code());
}

std::vector<std::string> ContainerdClient::namespaces() {
  Call call(*this, "");
  namespaces_v1::ListNamespacesRequest req;
  namespaces_v1::ListNamespacesResponse resp;
  check(namespaces_->List(call.get(), req, &resp), "listing namespaces");
  std::vector<std::string> out;
  for (const auto& n : resp.namespaces()) out.push_back(n.name());
  return out;
}

std::vector<Container> ContainerdClient::containers(const std::string& ns) {
  Call call(*this, ns);
  containers_v1::ListContainersRequest req;
  // Streamed: a node's whole list may not fit in one message.
  auto reader = containers_->ListStream(call.get(), req);
  std::vector<Container> out;
  containers_v1::ListContainerMessage msg;
  while (reader->Read(&msg)) out.push_back(std::move(*msg.mutable_container()));
  check(reader->Finish(), fmt::format("listing containers in namespace {}", ns));
  return out;
}

std::optional<Container> ContainerdClient::container(const std::string& ns, const std::string& id) {
  Call call(*this, ns);
  containers_v1::GetContainerRequest req;
  req.set_id(id);
  containers_v1::GetContainerResponse resp;
  auto status = containers_->Get(call.get(), req, &resp);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return std::nullopt;
  check(status, fmt::format("getting container {} in namespace {}", id, ns));
  return std::move(*resp.mutable_container());
}

std::vector<TaskProcess> ContainerdClient::tasks(const std::string& ns) {
  Call call(*this, ns);
  tasks_v1::ListTasksRequest req;
  tasks_v1::ListTasksResponse resp;
  check(tasks_->List(call.get(), req, &resp), fmt::format("listing tasks in namespace {}", ns));
  return {resp.tasks().begin(), resp.tasks().end()};
}

std::unique_ptr<EventStream> ContainerdClient::subscribe(const std::vector<std::string>& filters) {
  // No namespace and no deadline: the stream lives as long as the connection.
  std::unique_ptr<EventStream> stream(new EventStream(*this, context("", false)));
  events_v1::SubscribeRequest req;
  for (const auto& f : filters) req.add_filters(f);
  stream->reader_ = events_->PrepareAsyncSubscribe(stream->ctx_.get(), req, &stream->cq_);
  stream->reader_->StartCall(&stream->start_pending_);
  stream->start_pending_ = true;
  return stream;
}

// Completion tags are the addresses of the flags they clear.
EventStream::EventStream(ContainerdClient& owner, std::unique_ptr<grpc::ClientContext> ctx)
    : owner_(owner), ctx_(std::move(ctx)) {
  owner_.track(ctx_.get());
}

EventStream::~EventStream() {
  finish();
  owner_.untrack(ctx_.get());
}

bool EventStream::complete_one(std::chrono::system_clock::time_point deadline) {
  void* tag = nullptr;
  bool ok = false;
  switch (cq_.AsyncNext(&tag, &ok, deadline)) {
    case grpc::CompletionQueue::TIMEOUT: return false;
    case grpc::CompletionQueue::SHUTDOWN: ended_ = true; return true;
    case grpc::CompletionQueue::GOT_EVENT: break;
  }
  if (tag == &start_pending_) {
    start_pending_ = false;
  } else if (tag == &read_pending_) {
    read_pending_ = false;
    read_done_ = ok;
  }
  if (!ok) ended_ = true;
  return true;
}

EventStream::Next EventStream::next(Envelope& out, std::chrono::system_clock::time_point deadline) {
  for (;;) {
    if (read_done_) {
      read_done_ = false;
      out = std::move(incoming_);
      return Next::event;
    }
    if (ended_) return Next::ended;
    if (!start_pending_ && !read_pending_) {
      reader_->Read(&incoming_, &read_pending_);
      read_pending_ = true;
    }
    if (!complete_one(deadline)) return Next::timeout;
  }
}

grpc::Status EventStream::finish() {
  if (finished_) return status_;
  finished_ = true;
  if (!ended_) ctx_->TryCancel();
  // Every operation started must complete before Finish, and Finish before
  // the queue can be shut down and drained.
  const auto forever = std::chrono::system_clock::time_point::max();
  while (start_pending_ || read_pending_) complete_one(forever);
  bool finish_pending = true;
  reader_->Finish(&status_, &finish_pending);
  void* tag = nullptr;
  bool ok = false;
  while (finish_pending && cq_.Next(&tag, &ok))
    if (tag == &finish_pending) finish_pending = false;
  cq_.Shutdown();
  while (cq_.Next(&tag, &ok)) {
  }
  return status_;
}

}  // namespace syva
