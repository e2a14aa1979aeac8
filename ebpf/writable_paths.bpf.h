/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * [filesystem] writable_paths: a zone's workload may write a regular file,
 * or add, remove or rename entries in a directory, only at or below one of
 * its paths, as the container sees them (bpf_d_path resolves against the
 * task's root). Devices, pipes and sockets are not regular files; kernel
 * interfaces (proc, sysfs, cgroupfs, ...) are not the container's storage.
 * runc's own setup before it execs the command is not the workload (see
 * `workload`). A path the kernel cannot resolve is refused: a rule that
 * could not be checked does not allow.
 */
#pragma once

#include "syva_decide.bpf.h"

static __always_inline int under(const char *path, const char *dir)
{
	int i;

	for (i = 0; i < SYVA_WRITABLE_PATH_LEN; i++) {
		if (dir[i] == 0)
			/* "/" covers everything; "/data" covers "/data" and "/data/..." */
			return i == 1 || path[i] == 0 || path[i] == '/';
		if (path[i] != dir[i])
			return 0;
	}
	return 0;
}

static __always_inline int is_kernel_interface(struct inode *inode)
{
	unsigned long magic = BPF_CORE_READ(inode, i_sb, s_magic);

	return magic == PROC_SUPER_MAGIC || magic == SYSFS_MAGIC || magic == CGROUP2_SUPER_MAGIC ||
	       magic == CGROUP_SUPER_MAGIC || magic == SECURITYFS_MAGIC || magic == DEBUGFS_MAGIC ||
	       magic == TRACEFS_MAGIC || magic == BPF_FS_MAGIC;
}

/* path: the file about to be written (regular_only: other kinds of file are
 * not storage), or the directory an entry is made in, removed from or
 * renamed across; inode is its inode. */
static __always_inline int decide_writable_path(const struct path *path, struct inode *inode,
						int regular_only, __u32 caller, __u64 cgroup)
{
	struct syva_zone_policy *policy = zone_policy_of(caller);
	struct syva_writable_paths *allowed;
	struct syva_target t = {};
	__u32 key = 0;
	char *buf;
	int i;

	if (!policy || !(policy->flags & SYVA_ZONE_F_WRITABLE) || !inode)
		return 0;
	if (regular_only && (BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
		return 0;
	if (is_kernel_interface(inode))
		return 0;
	if (!bpf_task_storage_get(&workload, bpf_get_current_task_btf(), 0, 0))
		return 0;
	t.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	t.ino = BPF_CORE_READ(inode, i_ino);
	buf = bpf_map_lookup_elem(&path_scratch, &key);
	if (!buf || bpf_d_path((struct path *)path, buf, SYVA_PATH_SCRATCH) < 0) {
		count(SYVA_HOOK_WRITABLE_PATHS, SYVA_ERROR);
		return refuse(SYVA_HOOK_WRITABLE_PATHS, caller, cgroup, caller, &t);
	}
	allowed = bpf_map_lookup_elem(&writable_paths, &caller);
	if (!allowed) /* flagged but no list: nothing is writable */
		return refuse(SYVA_HOOK_WRITABLE_PATHS, caller, cgroup, caller, &t);
	for (i = 0; i < SYVA_WRITABLE_PATHS; i++) {
		if (i < allowed->count && under(buf, allowed->paths[i])) {
			count(SYVA_HOOK_WRITABLE_PATHS, SYVA_ALLOW);
			return 0;
		}
	}
	return refuse(SYVA_HOOK_WRITABLE_PATHS, caller, cgroup, caller, &t);
}
