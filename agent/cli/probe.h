// SPDX-License-Identifier: Apache-2.0
// `syva probe`: can this node run Syva? Each requirement checked on its own,
// ending in a real BPF-LSM program load, so an operator learns every change
// to make at once rather than one agent exit at a time.
#pragma once

#include <string>
#include <vector>

namespace syva {

struct ProbeCheck {
  std::string name;  // "lsm", "btf", ...
  bool ok = false;
  std::string detail;  // what was found, or what to change
};

// The node's answers; `containerd_sock` is the agent's --containerd-sock.
std::vector<ProbeCheck> probe_node(const std::string& containerd_sock);

// "OK    lsm: ..." / "FAIL  lsm: ..." lines.
std::string format_probe(const std::vector<ProbeCheck>& checks);

// Prints the checks; 0 when all passed, 1 otherwise.
int run_probe(const std::string& containerd_sock);

}  // namespace syva
