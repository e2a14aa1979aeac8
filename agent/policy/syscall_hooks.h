// `[syscalls] deny`: the syscall names Syva can deny, each with the LSM
// hook(s) that really gate it. A name with no hook cannot be enforced and is
// a policy error, never silently ignored.
#pragma once

#include <span>
#include <string_view>

namespace syva {

struct SyscallHooks {
  std::string_view syscall;
  std::string_view hooks;  // comma-separated LSM hook names
};

std::span<const SyscallHooks> supported_syscalls();
const SyscallHooks* find_syscall(std::string_view name);

}  // namespace syva
