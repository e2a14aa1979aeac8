// SPDX-License-Identifier: Apache-2.0
#include "policy/syscall_hooks.h"

#include <array>

namespace syva {

namespace {

constexpr std::array<SyscallHooks, 13> kSyscalls = {{
    {"mount", SYVA_OP_MOUNT, "sb_mount,move_mount,fs_context_parse_param,sb_set_mnt_opts"},
    {"umount", SYVA_OP_UMOUNT, "sb_umount"},
    {"umount2", SYVA_OP_UMOUNT, "sb_umount"},
    {"pivot_root", SYVA_OP_PIVOT_ROOT, "sb_pivotroot"},
    {"move_mount", SYVA_OP_MOVE_MOUNT, "move_mount"},
    {"chroot", SYVA_OP_CHROOT, "path_chroot"},
    {"bpf", SYVA_OP_BPF, "bpf"},
    {"perf_event_open", SYVA_OP_PERF, "perf_event_open"},
    {"init_module", SYVA_OP_MODULE, "kernel_load_data"},
    {"finit_module", SYVA_OP_MODULE, "kernel_read_file"},
    {"kexec_load", SYVA_OP_KEXEC, "kernel_load_data"},
    {"kexec_file_load", SYVA_OP_KEXEC, "kernel_read_file"},
    {"ptrace", SYVA_OP_PTRACE, "ptrace_access_check"},
}};

}  // namespace

std::span<const SyscallHooks> supported_syscalls() { return kSyscalls; }

const SyscallHooks* find_syscall(std::string_view name) {
  for (const auto& s : kSyscalls)
    if (s.syscall == name) return &s;
  return nullptr;
}

}  // namespace syva
