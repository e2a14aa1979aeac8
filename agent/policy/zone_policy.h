// SPDX-License-Identifier: Apache-2.0
// One zone's policy as written in its TOML file, after validation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/egress_rule.h"

namespace syva {

// Where a value came from, for error messages and warnings.
struct SourcePos {
  std::string file;
  int line = 0;
};

enum class NetworkMode : uint32_t { isolated = 0, bridged = 1, host = 2 };

struct ZoneRef {
  std::string zone;
  SourcePos pos;
};

struct ZonePolicy {
  std::string name;  // the file name without ".toml"
  std::string file;  // full path of the policy file

  // `[zone] mode = "audit"`: would-deny decisions are logged and counted,
  // and the operation proceeds.
  bool audit = false;

  // `[zone] namespaces` / `containerd_namespaces`: who may join (see
  // policy/admission.h).
  std::vector<std::string> namespaces;
  std::vector<std::string> containerd_namespaces;

  // Enforced only when the file has a [capabilities] section.
  bool capabilities_given = false;
  uint64_t capabilities_allowed = 0;  // bit n = capability n
  std::vector<std::string> capability_names;

  std::optional<uint32_t> cpu_shares;
  std::optional<uint64_t> memory_limit;  // bytes
  std::optional<uint32_t> pids_max;

  NetworkMode network_mode = NetworkMode::isolated;
  std::vector<ZoneRef> allowed_zones;
  std::vector<EgressRule> allowed_egress;
  SourcePos allowed_egress_pos;
  // `[network] accept_from_node`: connections and datagrams from the node's
  // own addresses (kubelet probes) reach the zone's pods.
  bool accept_from_node = true;

  // Enforced only when the key is given (an empty list: nothing writable).
  bool writable_given = false;
  std::vector<std::string> writable_paths;
  std::vector<std::string> host_paths;
  SourcePos host_paths_pos;

  std::vector<std::string> syscalls_deny;
};

}  // namespace syva
