// SPDX-License-Identifier: Apache-2.0
// What Syva's programs need from a kernel beyond BPF-LSM as such, asked of
// the running kernel before anything is loaded, so that a kernel with
// BPF-LSM but too old for the programs (Debian 11's 5.10) is refused with
// the missing pieces named rather than with libbpf's first failure.
#pragma once

#include <string>
#include <vector>

namespace syva {

struct FeatureAnswer {
  // False when the kernel could not be asked (no BTF, BPF or BPF-LSM
  // programs refused as such): those failures have their own explanation
  // (explain_load_failure), and `missing` may be incomplete.
  bool asked = false;
  // One line per missing feature, e.g. "BPF_MAP_TYPE_TASK_STORAGE maps
  // (task-local storage, Linux 5.11+), ...".
  std::vector<std::string> missing;
};
// Needs the privileges the agent runs with.
FeatureAnswer missing_kernel_features();

// "kernel R lacks what Syva's programs need: A; B. ..." for an exit 3.
std::string describe_missing_features(const std::vector<std::string>& missing);

}  // namespace syva
