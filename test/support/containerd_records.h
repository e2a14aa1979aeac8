// SPDX-License-Identifier: Apache-2.0
// containerd's records as containerd itself writes them, for the unit tests
// of the watcher's decoding and zone resolution and for the fuzzers' seed
// corpora (test/fuzz/make_seeds.cpp): event envelopes, container records
// with an OCI spec, and the CRI plugin's pod sandbox and its containers.
// Header only: make-fuzz-seeds links nothing but the generated protobuf code.
#pragma once

#include <string>

#include "containerd/services/containers/v1/containers.pb.h"
#include "containerd/services/events/v1/events.pb.h"

namespace syva::test {

// An event as containerd publishes it: the payload Any carries the bare
// message name as its type URL (containerd's typeurl), not protobuf's
// "type.googleapis.com/..." form.
inline containerd::services::events::v1::Envelope envelope(const std::string& topic,
                                                           const google::protobuf::Message& payload,
                                                           const std::string& type_url) {
  containerd::services::events::v1::Envelope e;
  e.set_namespace_("k8s.io");
  e.set_topic(topic);
  e.mutable_timestamp()->set_seconds(1700000000);
  e.mutable_timestamp()->set_nanos(123456789);
  e.mutable_event()->set_type_url(type_url);
  e.mutable_event()->set_value(payload.SerializeAsString());
  return e;
}

using ContainerRecord = containerd::services::containers::v1::Container;

// What `ctr run`/nerdctl store as the spec Any (type URL and JSON value).
inline void set_spec(ContainerRecord& c, const std::string& annotations_json) {
  auto* spec = c.mutable_spec();
  spec->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Spec");
  spec->set_value(R"({"ociVersion":"1.0.2-dev","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},)"
                  R"("linux":{"cgroupsPath":"/k8s.io/x"},"annotations":)" +
                  annotations_json + "}");
}

// A container with no labels and no spec.
inline ContainerRecord container(const std::string& id) {
  ContainerRecord c;
  c.set_id(id);
  c.mutable_runtime()->set_name("io.containerd.runc.v2");
  c.set_image("docker.io/library/busybox:1.36");
  c.set_snapshotter("overlayfs");
  c.set_snapshot_key(id);
  return c;
}

// The CRI plugin's sandbox metadata as containerd 1.6.20 marshals it
// (pkg/cri/store/sandbox/metadata.go: versioned JSON; the CRI
// PodSandboxConfig with its lower-case, omitempty JSON names).
// `ip` and `additional_ips` (a JSON array or null) are the pod's addresses
// as its CNI plugin gave them.
inline std::string sandbox_metadata_json(const std::string& id, const std::string& pod_annotations,
                                         const std::string& ip = "10.244.0.12",
                                         const std::string& additional_ips = "null") {
  return R"({"Version":"v1","Metadata":{"ID":")" + id +
         R"(","Name":"web-0_shop_6c1f2d3e_0",)"
         R"("Config":{"metadata":{"name":"web-0","uid":"6c1f2d3e","namespace":"shop"},"hostname":"web-0",)"
         R"("log_directory":"/var/log/pods/shop_web-0_6c1f2d3e","dns_config":{"servers":["10.96.0.10"],)"
         R"("searches":["shop.svc.cluster.local"],"options":["ndots:5"]},)"
         R"("labels":{"app":"web","io.kubernetes.pod.name":"web-0","io.kubernetes.pod.namespace":"shop"},)"
         R"("annotations":)" +
         pod_annotations +
         R"(,"linux":{"cgroup_parent":"/kubepods/besteffort/pod6c1f2d3e","security_context":{"namespace_options":{}}}},)"
         R"("NetNSPath":"/var/run/netns/cni-1b2c","IP":")" +
         ip + R"(","AdditionalIPs":)" + additional_ips +
         R"(,"RuntimeHandler":"",)"
         R"("CNIResult":null,"ProcessLabel":""}})";
}

// The pause container of pod shop/web-0, as the CRI plugin creates it, with
// the pod's annotations (a JSON object) in its sandbox metadata.
inline ContainerRecord cri_sandbox(const std::string& id, const std::string& pod_annotations,
                                   const std::string& ip = "10.244.0.12", const std::string& additional_ips = "null") {
  ContainerRecord c = container(id);
  (*c.mutable_labels())["io.cri-containerd.kind"] = "sandbox";
  (*c.mutable_labels())["io.kubernetes.pod.name"] = "web-0";
  (*c.mutable_labels())["io.kubernetes.pod.namespace"] = "shop";
  set_spec(c, R"({"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":")" + id +
                  R"(","io.kubernetes.cri.sandbox-name":"web-0","io.kubernetes.cri.sandbox-namespace":"shop"})");
  auto& ext = (*c.mutable_extensions())["io.cri-containerd.sandbox.metadata"];
  ext.set_type_url("github.com/containerd/cri/pkg/store/sandbox/Metadata");
  ext.set_value(sandbox_metadata_json(id, pod_annotations, ip, additional_ips));
  return c;
}

// An application container of that pod, as the CRI plugin creates it.
inline ContainerRecord cri_container(const std::string& id, const std::string& sandbox_id) {
  ContainerRecord c = container(id);
  (*c.mutable_labels())["io.cri-containerd.kind"] = "container";
  (*c.mutable_labels())["io.kubernetes.container.name"] = "nginx";
  set_spec(c, R"({"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":")" + sandbox_id +
                  R"(","io.kubernetes.cri.sandbox-name":"web-0","io.kubernetes.cri.sandbox-namespace":"shop"})");
  return c;
}

}  // namespace syva::test
