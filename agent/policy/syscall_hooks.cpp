#include "policy/syscall_hooks.h"

#include <array>

namespace syva {

namespace {

constexpr std::array<SyscallHooks, 13> kSyscalls = {{
    {"mount", "sb_mount"},
    {"umount", "sb_umount"},
    {"umount2", "sb_umount"},
    {"pivot_root", "sb_pivotroot"},
    {"move_mount", "move_mount"},
    {"chroot", "path_chroot"},
    {"bpf", "bpf"},
    {"perf_event_open", "perf_event_open"},
    {"init_module", "kernel_load_data"},
    {"finit_module", "kernel_read_file"},
    {"kexec_load", "kernel_load_data"},
    {"kexec_file_load", "kernel_read_file"},
    {"ptrace", "ptrace_access_check"},
}};

}  // namespace

std::span<const SyscallHooks> supported_syscalls() { return kSyscalls; }

const SyscallHooks* find_syscall(std::string_view name) {
  for (const auto& s : kSyscalls)
    if (s.syscall == name) return &s;
  return nullptr;
}

}  // namespace syva
