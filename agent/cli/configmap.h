// SPDX-License-Identifier: Apache-2.0
// `syva print-configmap`: the Kubernetes ConfigMap that carries a policy
// directory, one key per *.toml file holding its exact bytes.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace syva {

struct ConfigMapFile {
  std::string name;      // the key: the file's name
  std::string contents;  // its bytes, UTF-8
};

// The YAML document; files in the given order. Throws std::invalid_argument
// for a name Kubernetes refuses as a key or contents that are not UTF-8.
std::string configmap_yaml(const std::string& name, const std::string& ns, const std::vector<ConfigMapFile>& files);

// Reads every *.toml of `dir` (sorted by name), refuses an invalid policy
// (its problems on stderr, 2), prints the document on stdout (0).
int run_print_configmap(const std::string& dir, const std::string& name, const std::string& ns);

}  // namespace syva
