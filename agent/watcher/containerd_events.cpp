// SPDX-License-Identifier: Apache-2.0
#include "watcher/containerd_events.h"

#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "containerd/events/container.pb.h"
#include "containerd/events/task.pb.h"

namespace syva {

namespace {

constexpr std::string_view kTaskCreate = "/tasks/create";
constexpr std::string_view kTaskExit = "/tasks/exit";
constexpr std::string_view kTaskDelete = "/tasks/delete";
constexpr std::string_view kContainerCreate = "/containers/create";
constexpr std::string_view kContainerUpdate = "/containers/update";
constexpr std::string_view kContainerDelete = "/containers/delete";

template <typename M>
M payload(const containerd::services::events::v1::Envelope& e) {
  M m;
  if (!e.has_event() || !unpack_any(e.event(), m))
    throw std::runtime_error(fmt::format("{} event in namespace {}: payload of type '{}' is not {}", e.topic(),
                                         e.namespace_(), e.event().type_url(), M::descriptor()->full_name()));
  return m;
}

}  // namespace

std::vector<std::string> watched_topic_filters() {
  std::vector<std::string> out;
  for (auto topic : {kContainerCreate, kContainerUpdate, kTaskCreate, kTaskExit, kTaskDelete, kContainerDelete})
    out.push_back(fmt::format("topic==\"{}\"", topic));
  return out;
}

bool unpack_any(const google::protobuf::Any& any, google::protobuf::Message& into) {
  std::string_view type = any.type_url();
  if (auto slash = type.rfind('/'); slash != std::string_view::npos) type.remove_prefix(slash + 1);
  if (type != into.GetDescriptor()->full_name()) return false;
  return into.ParseFromString(any.value());
}

WatchEvent decode_event(const containerd::services::events::v1::Envelope& e) {
  WatchEvent out;
  out.ns = e.namespace_();
  out.topic = e.topic();
  // The stream is containerd's, but a timestamp nanoseconds cannot hold
  // (past 2242, or negative) would overflow the conversion: such an event
  // counts as published when it arrived.
  constexpr int64_t kMaxSeconds = int64_t{1} << 33;
  const auto& ts = e.timestamp();
  if (ts.seconds() >= 0 && ts.seconds() < kMaxSeconds && ts.nanos() >= 0 && ts.nanos() < 1'000'000'000)
    out.published =
        std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(ts.seconds()) + std::chrono::nanoseconds(ts.nanos())));
  else
    out.published = std::chrono::system_clock::now();
  if (e.topic() == kTaskCreate) {
    auto m = payload<containerd::events::TaskCreate>(e);
    out.kind = WatchEvent::Kind::task_created;
    out.container_id = m.container_id();
    out.pid = m.pid();
  } else if (e.topic() == kTaskExit) {
    // A stopped task's container has no process left to enforce; it may
    // stay, stopped, long before anyone deletes it.
    auto m = payload<containerd::events::TaskExit>(e);
    out.container_id = m.container_id();
    out.pid = m.pid();
    const bool init = m.id().empty() || m.id() == m.container_id();
    out.kind = init ? WatchEvent::Kind::task_exited : WatchEvent::Kind::ignored;
  } else if (e.topic() == kTaskDelete) {
    auto m = payload<containerd::events::TaskDelete>(e);
    out.container_id = m.container_id();
    out.pid = m.pid();
    // An exec process ending leaves the container's cgroup in place.
    const bool init = m.id().empty() || m.id() == m.container_id();
    out.kind = init ? WatchEvent::Kind::task_deleted : WatchEvent::Kind::ignored;
  } else if (e.topic() == kContainerCreate) {
    out.kind = WatchEvent::Kind::container_created;
    out.container_id = payload<containerd::events::ContainerCreate>(e).id();
  } else if (e.topic() == kContainerUpdate) {
    out.kind = WatchEvent::Kind::container_updated;
    out.container_id = payload<containerd::events::ContainerUpdate>(e).id();
  } else if (e.topic() == kContainerDelete) {
    auto m = payload<containerd::events::ContainerDelete>(e);
    out.kind = WatchEvent::Kind::container_deleted;
    out.container_id = m.id();
  }
  return out;
}

}  // namespace syva
