// SPDX-License-Identifier: Apache-2.0
#include "fake_containerd.h"

#include <unistd.h>

#include <chrono>
#include <deque>
#include <set>
#include <stdexcept>

#include "containerd/services/containers/v1/containers.grpc.pb.h"
#include "containerd/services/events/v1/events.grpc.pb.h"
#include "containerd/services/namespaces/v1/namespace.grpc.pb.h"
#include "containerd/services/tasks/v1/tasks.grpc.pb.h"

namespace syva::bench {

namespace {

namespace containers_v1 = containerd::services::containers::v1;
namespace events_v1 = containerd::services::events::v1;
namespace namespaces_v1 = containerd::services::namespaces::v1;
namespace tasks_v1 = containerd::services::tasks::v1;

// One open Subscribe stream and the events it has yet to send.
struct Subscriber {
  std::set<std::string> topics;  // empty: every topic
  std::deque<FakeContainerd::Envelope> queue;
};

// containerd's filter language is richer; the watcher only sends
// alternatives of the form topic=="/x/y". Anything else takes every topic,
// which errs towards sending the agent more, never less.
std::set<std::string> topics_of(const events_v1::SubscribeRequest& req) {
  std::set<std::string> topics;
  const std::string prefix = "topic==\"";
  for (const auto& f : req.filters()) {
    if (!f.starts_with(prefix) || !f.ends_with("\"") || f.size() <= prefix.size()) return {};
    topics.insert(f.substr(prefix.size(), f.size() - prefix.size() - 1));
  }
  return topics;
}

}  // namespace

struct FakeContainerd::State {
  std::string ns;
  mutable std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::map<std::string, Container> containers;
  std::map<std::string, Task> tasks;
  std::vector<std::shared_ptr<Subscriber>> subscribers;
  std::map<std::string, uint64_t> calls;

  // The namespace a call is for; the caller holds `mutex`.
  bool ours(const grpc::ServerContext* ctx, const char* method) {
    ++calls[method];
    const auto& md = ctx->client_metadata();
    auto it = md.find("containerd-namespace");
    return it != md.end() && std::string(it->second.data(), it->second.size()) == ns;
  }
};

namespace {

using State = FakeContainerd::State;

class Namespaces final : public namespaces_v1::Namespaces::Service {
 public:
  explicit Namespaces(std::shared_ptr<State> s) : s_(std::move(s)) {}
  grpc::Status List(grpc::ServerContext*, const namespaces_v1::ListNamespacesRequest*,
                    namespaces_v1::ListNamespacesResponse* resp) override {
    std::lock_guard lock(s_->mutex);
    ++s_->calls["Namespaces/List"];
    resp->add_namespaces()->set_name(s_->ns);
    return grpc::Status::OK;
  }

 private:
  std::shared_ptr<State> s_;
};

class Containers final : public containers_v1::Containers::Service {
 public:
  explicit Containers(std::shared_ptr<State> s) : s_(std::move(s)) {}
  grpc::Status Get(grpc::ServerContext* ctx, const containers_v1::GetContainerRequest* req,
                   containers_v1::GetContainerResponse* resp) override {
    std::lock_guard lock(s_->mutex);
    auto it = s_->containers.find(req->id());
    if (!s_->ours(ctx, "Containers/Get") || it == s_->containers.end())
      return {grpc::StatusCode::NOT_FOUND, "container \"" + req->id() + "\": not found"};
    *resp->mutable_container() = it->second;
    return grpc::Status::OK;
  }
  grpc::Status ListStream(grpc::ServerContext* ctx, const containers_v1::ListContainersRequest*,
                          grpc::ServerWriter<containers_v1::ListContainerMessage>* writer) override {
    std::vector<containers_v1::ListContainerMessage> out;
    {
      std::lock_guard lock(s_->mutex);
      if (s_->ours(ctx, "Containers/ListStream"))
        for (const auto& [id, c] : s_->containers) *out.emplace_back().mutable_container() = c;
    }
    for (const auto& m : out)
      if (!writer->Write(m)) return {grpc::StatusCode::CANCELLED, "client went away"};
    return grpc::Status::OK;
  }

 private:
  std::shared_ptr<State> s_;
};

class Tasks final : public tasks_v1::Tasks::Service {
 public:
  explicit Tasks(std::shared_ptr<State> s) : s_(std::move(s)) {}
  grpc::Status List(grpc::ServerContext* ctx, const tasks_v1::ListTasksRequest*,
                    tasks_v1::ListTasksResponse* resp) override {
    std::lock_guard lock(s_->mutex);
    if (s_->ours(ctx, "Tasks/List"))
      for (const auto& [id, t] : s_->tasks) *resp->add_tasks() = t;
    return grpc::Status::OK;
  }

 private:
  std::shared_ptr<State> s_;
};

class Events final : public events_v1::Events::Service {
 public:
  explicit Events(std::shared_ptr<State> s) : s_(std::move(s)) {}
  grpc::Status Subscribe(grpc::ServerContext* ctx, const events_v1::SubscribeRequest* req,
                         grpc::ServerWriter<FakeContainerd::Envelope>* writer) override {
    auto sub = std::make_shared<Subscriber>();
    sub->topics = topics_of(*req);
    {
      std::lock_guard lock(s_->mutex);
      ++s_->calls["Events/Subscribe"];
      if (s_->stopping) return {grpc::StatusCode::UNAVAILABLE, "shutting down"};
      s_->subscribers.push_back(sub);
    }
    for (;;) {
      FakeContainerd::Envelope e;
      {
        std::unique_lock lock(s_->mutex);
        // A client that goes away is only noticed by polling: a synchronous
        // handler gets no callback for it.
        s_->wake.wait_for(lock, std::chrono::milliseconds(100), [&] { return s_->stopping || !sub->queue.empty(); });
        if (s_->stopping || ctx->IsCancelled()) break;
        if (sub->queue.empty()) continue;
        e = std::move(sub->queue.front());
        sub->queue.pop_front();
      }
      if (!writer->Write(e)) break;
    }
    std::lock_guard lock(s_->mutex);
    std::erase(s_->subscribers, sub);
    return grpc::Status::OK;
  }

 private:
  std::shared_ptr<State> s_;
};

}  // namespace

FakeContainerd::FakeContainerd(std::string socket, std::string ns)
    : socket_(std::move(socket)), state_(std::make_shared<State>()) {
  state_->ns = std::move(ns);
  unlink(socket_.c_str());
  services_.push_back(std::make_unique<Namespaces>(state_));
  services_.push_back(std::make_unique<Containers>(state_));
  services_.push_back(std::make_unique<Tasks>(state_));
  services_.push_back(std::make_unique<Events>(state_));
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_, grpc::InsecureServerCredentials());
  for (auto& s : services_) builder.RegisterService(s.get());
  server_ = builder.BuildAndStart();
  if (!server_) throw std::runtime_error("cannot serve the fake containerd at " + socket_);
}

FakeContainerd::~FakeContainerd() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  unlink(socket_.c_str());
}

void FakeContainerd::put_container(const Container& c) {
  std::lock_guard lock(state_->mutex);
  state_->containers[c.id()] = c;
}

void FakeContainerd::drop_container(const std::string& id) {
  std::lock_guard lock(state_->mutex);
  state_->containers.erase(id);
}

void FakeContainerd::put_task(const Task& t) {
  std::lock_guard lock(state_->mutex);
  state_->tasks[t.id()] = t;
}

void FakeContainerd::drop_task(const std::string& id) {
  std::lock_guard lock(state_->mutex);
  state_->tasks.erase(id);
}

void FakeContainerd::publish(const std::string& topic, const google::protobuf::Message& payload) {
  Envelope e;
  // The agent logs each placement's latency from this stamp.
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now);
  e.mutable_timestamp()->set_seconds(secs.count());
  e.mutable_timestamp()->set_nanos(static_cast<int32_t>(std::chrono::nanoseconds(now - secs).count()));
  e.set_topic(topic);
  e.mutable_event()->set_type_url(payload.GetDescriptor()->full_name());
  e.mutable_event()->set_value(payload.SerializeAsString());
  {
    std::lock_guard lock(state_->mutex);
    e.set_namespace_(state_->ns);
    for (auto& sub : state_->subscribers)
      if (sub->topics.empty() || sub->topics.count(topic)) sub->queue.push_back(e);
  }
  state_->wake.notify_all();
}

size_t FakeContainerd::subscribers() const {
  std::lock_guard lock(state_->mutex);
  return state_->subscribers.size();
}

std::map<std::string, uint64_t> FakeContainerd::calls() const {
  std::lock_guard lock(state_->mutex);
  return state_->calls;
}

}  // namespace syva::bench
