// The LSM hooks Syva enforces, by their kernel names, in syva_hook order.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "syva_abi.h"

namespace syva {

inline constexpr std::array<std::string_view, SYVA_HOOK_COUNT> kHookNames = {
    "file_open",        "bprm_check_security", "mmap_file",        "ptrace_access_check",
    "task_kill",        "unix_stream_connect", "unix_may_send",    "capable",
    "sb_mount",         "sb_umount",           "sb_pivotroot",     "move_mount",
    "path_chroot",      "bpf",                 "perf_event_open",  "kernel_load_data",
    "kernel_read_file", "cgroup_move",         "socket_connect",   "socket_sendmsg",
    "file_write",       "file_receive",        "file_send_sigiotask", "selftest",
};

// Hooks that enforce (the self-test probe is not one).
inline constexpr uint32_t kEnforcingHooks = SYVA_HOOK_SELFTEST;

inline std::string_view hook_name(uint32_t hook) {
  return hook < kHookNames.size() ? kHookNames[hook] : std::string_view("unknown");
}

}  // namespace syva
