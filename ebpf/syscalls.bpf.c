// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * [syscalls] deny: each group of syscalls is stopped at the gate the kernel
 * really has for it (the table in policy/syscall_hooks.cpp).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syva_decide.bpf.h"

SEC("lsm/sb_mount")
int BPF_PROG(syva_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data)
{
	return decide_op(SYVA_HOOK_SB_MOUNT, SYVA_OP_MOUNT, 0);
}

SEC("lsm/sb_umount")
int BPF_PROG(syva_sb_umount, struct vfsmount *mnt, int flags)
{
	return decide_op(SYVA_HOOK_SB_UMOUNT, SYVA_OP_UMOUNT, flags);
}

SEC("lsm/sb_pivotroot")
int BPF_PROG(syva_sb_pivotroot, const struct path *old_path, const struct path *new_path)
{
	return decide_op(SYVA_HOOK_SB_PIVOTROOT, SYVA_OP_PIVOT_ROOT, 0);
}

/* move_mount(2) attaches what the new mount API made (fsmount's mount,
 * open_tree(OPEN_TREE_CLONE)'s copy) and moves mounts as mount(MS_MOVE)
 * does: a zone denied "mount" is denied it too. */
SEC("lsm/move_mount")
int BPF_PROG(syva_move_mount, const struct path *from_path, const struct path *to_path)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	struct syva_zone_policy *policy;

	if (caller == SYVA_ZONE_NONE)
		return 0;
	policy = zone_policy_of(caller);
	if (policy && (policy->denied_ops & (1ULL << SYVA_OP_MOUNT)))
		return forbidden_op(SYVA_HOOK_MOVE_MOUNT, SYVA_OP_MOUNT, caller, cgroup, 0);
	if (policy && (policy->denied_ops & (1ULL << SYVA_OP_MOVE_MOUNT)))
		return forbidden_op(SYVA_HOOK_MOVE_MOUNT, SYVA_OP_MOVE_MOUNT, caller, cgroup, 0);
	count(SYVA_HOOK_MOVE_MOUNT, SYVA_ALLOW);
	return 0;
}

/* The new mount API (fsopen, fspick, fsconfig, fsmount) never reaches
 * sb_mount. Each setting given with fsconfig reaches fs_context_parse_param,
 * and making or reusing the superblock (FSCONFIG_CMD_CREATE) reaches
 * sb_set_mnt_opts, with or without settings; fsmount and open_tree have
 * no hook, but what they make is attached only by move_mount. The legacy
 * mount(2) passes both after sb_mount, which already refused it. The
 * kernel's own mounts made in a task's context (a new IPC namespace's
 * mqueue) carry SB_KERNMOUNT and are not the task's to be refused.
 * mount_setattr(2) has no hook at all: it needs CAP_SYS_ADMIN over the
 * mount's namespace, which [capabilities] can withhold. */
static __always_inline int decide_new_mount(__u32 caller, __u64 cgroup)
{
	struct syva_zone_policy *policy = zone_policy_of(caller);

	if (policy && (policy->denied_ops & (1ULL << SYVA_OP_MOUNT)))
		return forbidden_op(SYVA_HOOK_FS_CONTEXT, SYVA_OP_MOUNT, caller, cgroup, 0);
	count(SYVA_HOOK_FS_CONTEXT, SYVA_ALLOW);
	return 0;
}

SEC("lsm/fs_context_parse_param")
int BPF_PROG(syva_fs_context_parse_param, struct fs_context *fc)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);

	if (caller == SYVA_ZONE_NONE || (BPF_CORE_READ(fc, sb_flags) & SB_KERNMOUNT))
		return 0;
	return decide_new_mount(caller, cgroup);
}

SEC("lsm/sb_set_mnt_opts")
int BPF_PROG(syva_sb_set_mnt_opts, struct super_block *sb)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);

	if (caller == SYVA_ZONE_NONE || (BPF_CORE_READ(sb, s_flags) & SB_KERNMOUNT))
		return 0;
	return decide_new_mount(caller, cgroup);
}

SEC("lsm/path_chroot")
int BPF_PROG(syva_path_chroot, const struct path *path)
{
	return decide_op(SYVA_HOOK_PATH_CHROOT, SYVA_OP_CHROOT, 0);
}

/*
 * Syva's own objects. No zoned process may hold a descriptor of one of
 * Syva's maps, programs or links: with one it could rewrite its own
 * membership or detach a hook. Maps and programs are judged whenever a
 * descriptor is made for them (by id or from a pin: bpf_map, bpf_prog);
 * links have no such hook, so the bpf() commands that make one are judged
 * here: by id, and any pinned object by path (BPF_OBJ_GET), which a zoned
 * process is refused outright. The agent writes the ids of its maps and
 * programs into syva_objects before it attaches, and of its links as soon
 * as they exist.
 */
static __always_inline int refuse_own_object(__u32 kind, __u32 id, __u32 cmd)
{
	struct syva_object key = { .kind = kind, .id = id };
	struct syva_target t = { .aux = cmd, .pid = id };
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);

	/* A pending cgroup may be the agent's own, started under a guarded
	 * root while the previous agent's programs enforce: it must reach the
	 * pins to place itself (and everything else). */
	if (caller == SYVA_ZONE_NONE || caller == SYVA_ZONE_PENDING)
		return 0;
	if (kind != SYVA_OBJECT_ANY && !bpf_map_lookup_elem(&syva_objects, &key))
		return 0;
	return refuse(SYVA_HOOK_SYVA_OBJECTS, caller, cgroup, SYVA_ZONE_NONE, &t);
}

SEC("lsm/bpf")
int BPF_PROG(syva_bpf, int cmd, union bpf_attr *attr)
{
	int denied = 0;

	if (cmd == BPF_OBJ_GET)
		denied = refuse_own_object(SYVA_OBJECT_ANY, 0, cmd);
	else if (cmd == BPF_LINK_GET_FD_BY_ID)
		denied = refuse_own_object(SYVA_OBJECT_LINK, BPF_CORE_READ(attr, link_id), cmd);
	return denied ? denied : decide_op(SYVA_HOOK_BPF, SYVA_OP_BPF, cmd);
}

SEC("lsm/bpf_map")
int BPF_PROG(syva_bpf_map, struct bpf_map *map)
{
	return refuse_own_object(SYVA_OBJECT_MAP, BPF_CORE_READ(map, id), 0);
}

SEC("lsm/bpf_prog")
int BPF_PROG(syva_bpf_prog, struct bpf_prog *prog)
{
	return refuse_own_object(SYVA_OBJECT_PROG, BPF_CORE_READ(prog, aux, id), 0);
}

/* Which argument of perf_event_open is the event type: the last, after the
 * event's attributes until 6.11 and alone since. Set by the agent from the
 * kernel's BTF. Two are declared: on a kernel that passes one, the second
 * slot is the hook's return value, which is readable. */
const volatile __u32 perf_event_open_type_arg = 1;

SEC("lsm/perf_event_open")
int BPF_PROG(syva_perf_event_open, __u64 arg0, __u64 arg1)
{
	return decide_op(SYVA_HOOK_PERF_EVENT_OPEN, SYVA_OP_PERF, perf_event_open_type_arg ? arg1 : arg0);
}

/* Module and kexec images reach the kernel as a buffer (init_module,
 * kexec_load) or a file (finit_module, kexec_file_load); firmware and the
 * rest share these hooks and are left alone. */
SEC("lsm/kernel_load_data")
int BPF_PROG(syva_kernel_load_data, enum kernel_load_data_id id, bool contents)
{
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE))
		return decide_op(SYVA_HOOK_KERNEL_LOAD_DATA, SYVA_OP_MODULE, id);
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_KEXEC_IMAGE))
		return decide_op(SYVA_HOOK_KERNEL_LOAD_DATA, SYVA_OP_KEXEC, id);
	return 0;
}

SEC("lsm/kernel_read_file")
int BPF_PROG(syva_kernel_read_file, struct file *file, enum kernel_read_file_id id, bool contents)
{
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE))
		return decide_op(SYVA_HOOK_KERNEL_READ_FILE, SYVA_OP_MODULE, id);
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_IMAGE) ||
	    id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_INITRAMFS))
		return decide_op(SYVA_HOOK_KERNEL_READ_FILE, SYVA_OP_KEXEC, id);
	return 0;
}
