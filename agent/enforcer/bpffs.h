// SPDX-License-Identifier: Apache-2.0
// Pins live on a BPF filesystem; without one under the pin path nothing can
// outlive the agent.
#pragma once

#include <filesystem>

namespace syva {

bool is_bpffs(const std::filesystem::path& dir);

// Makes sure `dir` is a BPF filesystem. Hosts that never mounted the
// conventional one (/sys/fs/bpf) get it mounted, as systemd would; any other
// place must be prepared by the operator. Throws EnforcerError otherwise.
void ensure_bpffs(const std::filesystem::path& dir);

}  // namespace syva
