// SPDX-License-Identifier: Apache-2.0
// Why a kernel cannot run Syva, in words an operator can act on.
#pragma once

#include <string>

namespace syva {

// Called after loading the BPF-LSM programs failed with `err` (negative
// errno); `libbpf_detail` is what libbpf reported.
std::string explain_load_failure(int err, const std::string& libbpf_detail);

// The active LSM list (/sys/kernel/security/lsm), or "" if unreadable.
std::string active_lsms();

}  // namespace syva
