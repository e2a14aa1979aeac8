// SPDX-License-Identifier: Apache-2.0
// A stand-in for containerd on a Unix socket, serving exactly the calls the
// agent's watcher makes (agent/watcher/containerd_client.h): Namespaces
// List, Containers Get and ListStream, Tasks List and Events Subscribe. The
// bench puts records in and publishes events; the agent cannot tell it from
// containerd as far as those calls go, so a replay of thousands of container
// lifecycles costs the agent what real ones would without a runtime under
// emulation.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include "containerd/services/containers/v1/containers.pb.h"
#include "containerd/services/events/v1/events.pb.h"
#include "containerd/types/task/task.pb.h"

namespace syva::bench {

class FakeContainerd {
 public:
  using Container = containerd::services::containers::v1::Container;
  using Task = containerd::v1::types::Process;
  using Envelope = containerd::services::events::v1::Envelope;

  // Serves one containerd namespace, `ns`, at `socket` (replaced if present).
  FakeContainerd(std::string socket, std::string ns);
  ~FakeContainerd();  // ends every stream, stops serving, removes the socket
  FakeContainerd(const FakeContainerd&) = delete;
  FakeContainerd& operator=(const FakeContainerd&) = delete;

  void put_container(const Container& c);
  void drop_container(const std::string& id);
  void put_task(const Task& t);
  void drop_task(const std::string& id);

  // To every open subscription whose filters take `topic`, in order. The
  // payload's type URL is its bare message name, as containerd's typeurl
  // writes it.
  void publish(const std::string& topic, const google::protobuf::Message& payload);

  size_t subscribers() const;
  // Calls served so far, by method ("Containers/Get", ...).
  std::map<std::string, uint64_t> calls() const;

  const std::string& socket() const { return socket_; }

  // Shared with the services (fake_containerd.cpp).
  struct State;

 private:
  std::string socket_;
  std::shared_ptr<State> state_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace syva::bench
