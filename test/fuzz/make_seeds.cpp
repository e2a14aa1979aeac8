// SPDX-License-Identifier: Apache-2.0
// Writes the binary seed corpora of the containerd fuzzers:
//   make-fuzz-seeds EVENTS_DIR METADATA_DIR
// Envelopes and container records shaped like containerd's own
// (test/support/containerd_records.h, which the unit tests use too). Built
// only on request (target make-fuzz-seeds); the output is committed under
// test/fuzz/corpus/.
#include <cstdio>
#include <fstream>
#include <string>

#include <google/protobuf/unknown_field_set.h>

#include "containerd/events/container.pb.h"
#include "containerd/events/task.pb.h"
#include "containerd/services/containers/v1/containers.pb.h"
#include "containerd/services/events/v1/events.pb.h"
#include "support/containerd_records.h"

using containerd::services::containers::v1::Container;
using containerd::services::containers::v1::ListContainersResponse;
using containerd::services::events::v1::Envelope;
using syva::test::container;
using syva::test::cri_container;
using syva::test::cri_sandbox;
using syva::test::envelope;
using syva::test::set_spec;

namespace {

void save(const std::string& path, const google::protobuf::Message& m) {
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
}

void events(const std::string& dir) {
  containerd::events::TaskCreate tc;
  tc.set_container_id("3f2a9c81d4e5");
  tc.set_bundle("/run/containerd/io.containerd.runtime.v2.task/k8s.io/3f2a9c81d4e5");
  tc.set_pid(4242);
  auto* m = tc.add_rootfs();
  m->set_type("overlay");
  m->set_source("overlay");
  m->add_options("lowerdir=/var/lib/containerd/snapshots/1/fs");
  // io (4), a TaskIO containerd sends and Syva does not declare: an unknown field.
  tc.GetReflection()->MutableUnknownFields(&tc)->AddLengthDelimited(4, "\x12\x1e/run/containerd/fifo/1/stdout.x");
  save(dir + "/task-create", envelope("/tasks/create", tc, "containerd.events.TaskCreate"));
  save(dir + "/task-create-googleapis-url",
       envelope("/tasks/create", tc, "type.googleapis.com/containerd.events.TaskCreate"));

  containerd::events::TaskDelete td;
  td.set_container_id("3f2a9c81d4e5");
  td.set_pid(4242);
  td.set_exit_status(137);
  td.mutable_exited_at()->set_seconds(1700000100);
  save(dir + "/task-delete-init", envelope("/tasks/delete", td, "containerd.events.TaskDelete"));
  td.set_id("exec-7");
  save(dir + "/task-delete-exec", envelope("/tasks/delete", td, "containerd.events.TaskDelete"));

  containerd::events::ContainerCreate cc;
  cc.set_id("3f2a9c81d4e5");
  cc.set_image("docker.io/library/nginx:1");
  cc.mutable_runtime()->set_name("io.containerd.runc.v2");
  save(dir + "/container-create", envelope("/containers/create", cc, "containerd.events.ContainerCreate"));

  containerd::events::ContainerUpdate cu;
  cu.set_id("3f2a9c81d4e5");
  cu.set_image("docker.io/library/nginx:1");
  (*cu.mutable_labels())["syva.dev/zone"] = "frontend";
  cu.set_snapshot_key("3f2a9c81d4e5");
  save(dir + "/container-update", envelope("/containers/update", cu, "containerd.events.ContainerUpdate"));

  containerd::events::ContainerDelete cd;
  cd.set_id("3f2a9c81d4e5");
  save(dir + "/container-delete", envelope("/containers/delete", cd, "containerd.events.ContainerDelete"));

  containerd::events::TaskStart ts;
  ts.set_container_id("3f2a9c81d4e5");
  ts.set_pid(4242);
  save(dir + "/task-start-unwatched", envelope("/tasks/start", ts, "containerd.events.TaskStart"));
  // A watched topic whose payload is another message: refused.
  save(dir + "/task-create-wrong-payload", envelope("/tasks/create", cd, "containerd.events.ContainerDelete"));
}

void metadata(const std::string& dir) {
  auto one = [&](const std::string& name, const Container& c) {
    ListContainersResponse r;
    *r.add_containers() = c;
    save(dir + "/" + name, r);
  };
  Container labelled = container("c-label");
  (*labelled.mutable_labels())["syva.dev/zone"] = "frontend";
  one("zone-label", labelled);
  Container invalid = container("c-invalid");
  (*invalid.mutable_labels())["syva.dev/zone"] = "Not A_Zone";
  one("zone-label-invalid-name", invalid);
  Container annotated = container("c-annotation");
  set_spec(annotated, R"({"syva.dev/zone":"database","org.example":"1"})");
  one("zone-annotation", annotated);
  Container broken = container("c-broken");
  broken.mutable_spec()->set_value("{not json");
  one("spec-not-json", broken);
  one("cri-sandbox", cri_sandbox("5f0b1d", R"({"syva.dev/zone":"frontend"})"));

  ListContainersResponse pod;
  *pod.add_containers() = cri_container("a1b2c3", "5f0b1d");
  *pod.add_containers() = cri_sandbox("5f0b1d", R"({"kubernetes.io/config.source":"api","syva.dev/zone":"frontend"})");
  save(dir + "/cri-pod-annotation", pod);

  ListContainersResponse field;  // containerd 1.7+: the sandbox field
  Container c = cri_container("d4e5f6", "");
  c.set_sandbox("5f0b1d");
  *field.add_containers() = c;
  *field.add_containers() = cri_sandbox("5f0b1d", R"({"syva.dev/zone":"monitoring"})");
  save(dir + "/cri-sandbox-field", field);

  ListContainersResponse gone;
  *gone.add_containers() = cri_container("a1b2c3", "gone");
  save(dir + "/cri-sandbox-gone", gone);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s EVENTS_DIR METADATA_DIR\n", argv[0]);
    return 64;
  }
  events(argv[1]);
  metadata(argv[2]);
  return 0;
}
