// SPDX-License-Identifier: Apache-2.0
// `[syscalls] deny`: the syscall names Syva can deny, each with the kernel
// gate (LSM hook) that really stops it and the bit it sets in the zone's
// denied_ops. A name with no gate cannot be enforced and is a policy error,
// never silently ignored.
#pragma once

#include <span>
#include <string_view>

#include "syva_abi.h"

namespace syva {

struct SyscallHooks {
  std::string_view syscall;
  syva_op op;
  std::string_view hooks;  // the LSM hooks that stop it, comma-separated
};

std::span<const SyscallHooks> supported_syscalls();
const SyscallHooks* find_syscall(std::string_view name);

}  // namespace syva
