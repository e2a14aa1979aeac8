// SPDX-License-Identifier: Apache-2.0
// Envelopes as containerd sends them: the payload Any carries the bare
// message name as its type URL (containerd's typeurl), not protobuf's
// "type.googleapis.com/..." form.
#include <catch2/catch.hpp>

#include "containerd/events/container.pb.h"
#include "containerd/events/task.pb.h"
#include "support/containerd_records.h"
#include "watcher/containerd_events.h"

using namespace syva;
using containerd::services::events::v1::Envelope;
using syva::test::envelope;

TEST_CASE("/tasks/create gives the container, its init pid and the publication time", "[events]") {
  containerd::events::TaskCreate tc;
  tc.set_container_id("c1");
  tc.set_bundle("/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1");
  tc.set_pid(4242);
  auto* m = tc.add_rootfs();
  m->set_type("overlay");
  m->set_source("overlay");
  auto ev = decode_event(envelope("/tasks/create", tc, "containerd.events.TaskCreate"));
  CHECK(ev.kind == WatchEvent::Kind::task_created);
  CHECK(ev.ns == "k8s.io");
  CHECK(ev.container_id == "c1");
  CHECK(ev.pid == 4242);
  CHECK(std::chrono::duration_cast<std::chrono::nanoseconds>(ev.published.time_since_epoch()).count() ==
        1700000000123456789ll);
}

TEST_CASE("the init task's delete removes; an exec process's delete does not", "[events]") {
  containerd::events::TaskDelete td;
  td.set_container_id("c1");
  td.set_pid(4242);
  CHECK(decode_event(envelope("/tasks/delete", td, "containerd.events.TaskDelete")).kind ==
        WatchEvent::Kind::task_deleted);
  td.set_id("c1");
  CHECK(decode_event(envelope("/tasks/delete", td, "containerd.events.TaskDelete")).kind ==
        WatchEvent::Kind::task_deleted);
  td.set_id("exec-7");
  CHECK(decode_event(envelope("/tasks/delete", td, "containerd.events.TaskDelete")).kind == WatchEvent::Kind::ignored);
}

TEST_CASE("the init process's exit removes; an exec process's exit does not", "[events]") {
  containerd::events::TaskExit te;
  te.set_container_id("c1");
  te.set_id("c1");
  te.set_pid(4242);
  te.set_exit_status(0);
  auto ev = decode_event(envelope("/tasks/exit", te, "containerd.events.TaskExit"));
  CHECK(ev.kind == WatchEvent::Kind::task_exited);
  CHECK(ev.container_id == "c1");
  CHECK(ev.pid == 4242);
  te.set_id("exec-7");
  te.set_pid(4343);
  CHECK(decode_event(envelope("/tasks/exit", te, "containerd.events.TaskExit")).kind == WatchEvent::Kind::ignored);
}

TEST_CASE("/containers/delete and unwatched topics", "[events]") {
  containerd::events::ContainerDelete cd;
  cd.set_id("c9");
  auto ev = decode_event(envelope("/containers/delete", cd, "containerd.events.ContainerDelete"));
  CHECK(ev.kind == WatchEvent::Kind::container_deleted);
  CHECK(ev.container_id == "c9");
  containerd::events::TaskStart ts;
  ts.set_container_id("c1");
  CHECK(decode_event(envelope("/tasks/start", ts, "containerd.events.TaskStart")).kind == WatchEvent::Kind::ignored);
}

TEST_CASE("a payload of the wrong type is refused, not misread", "[events]") {
  containerd::events::ContainerDelete cd;
  cd.set_id("c9");
  CHECK_THROWS_WITH(decode_event(envelope("/tasks/create", cd, "containerd.events.ContainerDelete")),
                    Catch::Contains("is not containerd.events.TaskCreate"));
}

TEST_CASE("Any payloads unpack under either type URL form", "[events]") {
  containerd::events::TaskStart ts;
  ts.set_container_id("c1");
  ts.set_pid(7);
  google::protobuf::Any any;
  any.set_value(ts.SerializeAsString());
  containerd::events::TaskStart out;
  any.set_type_url("containerd.events.TaskStart");
  CHECK(unpack_any(any, out));
  CHECK(out.pid() == 7);
  any.set_type_url("type.googleapis.com/containerd.events.TaskStart");
  CHECK(unpack_any(any, out));
  any.set_type_url("containerd.events.TaskStartX");
  CHECK_FALSE(unpack_any(any, out));
}

TEST_CASE("container create and update name the container", "[events]") {
  containerd::events::ContainerCreate cc;
  cc.set_id("c3");
  cc.set_image("docker.io/library/nginx:1");
  cc.mutable_runtime()->set_name("io.containerd.runc.v2");
  auto created = decode_event(envelope("/containers/create", cc, "containerd.events.ContainerCreate"));
  CHECK(created.kind == WatchEvent::Kind::container_created);
  CHECK(created.container_id == "c3");
  containerd::events::ContainerUpdate cu;
  cu.set_id("c3");
  (*cu.mutable_labels())["syva.dev/zone"] = "frontend";
  auto updated = decode_event(envelope("/containers/update", cu, "containerd.events.ContainerUpdate"));
  CHECK(updated.kind == WatchEvent::Kind::container_updated);
  CHECK(updated.container_id == "c3");
}

TEST_CASE("the subscription asks for exactly the membership topics", "[events]") {
  CHECK(watched_topic_filters() ==
        std::vector<std::string>{R"(topic=="/containers/create")", R"(topic=="/containers/update")",
                                 R"(topic=="/tasks/create")", R"(topic=="/tasks/exit")", R"(topic=="/tasks/delete")",
                                 R"(topic=="/containers/delete")"});
}

TEST_CASE("a timestamp nanoseconds cannot hold counts as now, not as an overflow", "[events]") {
  Envelope e;
  e.set_topic("/tasks/delete");
  e.mutable_timestamp()->set_seconds(14227079167);  // found by the events fuzzer
  containerd::events::TaskDelete del;
  del.set_container_id("c1");
  e.mutable_event()->PackFrom(del);
  const auto before = std::chrono::system_clock::now();
  const auto event = decode_event(e);
  CHECK(event.published >= before);
  CHECK(event.published <= std::chrono::system_clock::now());
}
