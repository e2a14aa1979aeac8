// SPDX-License-Identifier: Apache-2.0
// containerd's event envelopes, reduced to what changes zone membership.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <google/protobuf/any.pb.h>
#include <google/protobuf/message.h>

#include "containerd/services/events/v1/events.pb.h"

namespace syva {

struct WatchEvent {
  enum class Kind {
    container_created,  // the record exists; its task comes later
    container_updated,  // its labels may have changed
    task_created,       // the init process exists; the container's command has not run yet
    task_exited,        // the init process has ended; the task stays, stopped, until deleted
    task_deleted,       // the init process is gone and reaped
    container_deleted,  // the container record is gone
    ignored,            // another topic, or an exec process's event
  };
  Kind kind = Kind::ignored;
  std::string ns;
  std::string topic;
  std::string container_id;
  uint32_t pid = 0;
  std::chrono::system_clock::time_point published;  // the envelope's timestamp
};

// The topics the watcher subscribes to (any of them matches).
std::vector<std::string> watched_topic_filters();

// Throws std::runtime_error when a watched topic's payload cannot be read.
WatchEvent decode_event(const containerd::services::events::v1::Envelope& envelope);

// containerd names Any payloads by their bare message name (typeurl), not
// "type.googleapis.com/<name>", which protobuf's Any::UnpackTo insists on:
// accept both.
bool unpack_any(const google::protobuf::Any& any, google::protobuf::Message& into);

}  // namespace syva
