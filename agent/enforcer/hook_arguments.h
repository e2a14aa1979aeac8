// SPDX-License-Identifier: Apache-2.0
// Where an LSM hook's arguments sit on the running kernel. Some hooks gained
// or lost a leading argument between kernel versions (inode_setattr took the
// mount's idmap first in 6.9, perf_event_open lost the event's attributes);
// their programs read the position from a read-only
// setting that is fixed here, from the kernel's BTF, before the load.
#pragma once

#include <optional>
#include <string>

struct btf;
struct syva_bpf;

namespace syva {

// The position of `hook`'s first argument that points to `struct
// type_name`, from the prototype of bpf_lsm_<hook> in `vmlinux`; none when
// the kernel has no such hook or no such argument.
std::optional<unsigned> lsm_argument_index(const btf* vmlinux, const std::string& hook, const std::string& type_name);

// How many arguments bpf_lsm_<hook> takes on this kernel; none when the
// kernel has no such hook.
std::optional<unsigned> lsm_argument_count(const btf* vmlinux, const std::string& hook);

// Sets the skeleton's argument positions (opened, not yet loaded) from the
// kernel's BTF. A hook the kernel lacks keeps its default; its program is
// not loaded (program_load.h).
void set_hook_argument_positions(syva_bpf* skel, const btf* vmlinux);

}  // namespace syva
