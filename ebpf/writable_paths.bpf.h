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
 *
 * file_open resolves with bpf_d_path. The hooks of the other ways to change
 * a file (truncate, and entries made, removed, linked, renamed) may not call
 * it on 6.1 or 6.12, so there the path is walked here as d_path walks it:
 * up the dentries to the root of their mount, across to the mount point in
 * the parent mount, until the task's root. A walk that does not get there
 * within its bounds (too deep, too long, a read that fails, a dentry cut off
 * from its mount) is refused like a path bpf_d_path could not resolve.
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

/* Whether the caller's zone has writable_paths, and the caller is its
 * workload: only then is a write judged by path. */
static __always_inline int writable_rule_applies(__u32 caller)
{
	struct syva_zone_policy *policy = zone_policy_of(caller);

	if (!policy || !(policy->flags & SYVA_ZONE_F_WRITABLE))
		return 0;
	return bpf_task_storage_get(&workload, bpf_get_current_task_btf(), 0, 0) != 0;
}

struct judge_state {
	const char *path;
	struct syva_writable_paths *allowed;
	__u32 allowed_here;
};

static long judge_step(__u32 index, void *ctx)
{
	struct judge_state *j = ctx;
	__u64 i = index;

	/* So that the register tested is the one that indexes: the compiler
	 * would otherwise index with a copy of `index` the verifier knows no
	 * bound of. */
	barrier_var(i);
	if (i >= SYVA_WRITABLE_PATHS || i >= j->allowed->count)
		return 1;
	if (!under(j->path, j->allowed->paths[i]))
		return 0;
	j->allowed_here = 1;
	return 1;
}

/* path: a resolved path, as the container sees it. The paths are tried in
 * bpf_loop, whose step the verifier checks once, not once per path. */
static __always_inline int judge_writable(const char *path, __u32 caller, __u64 cgroup, struct syva_target *t)
{
	struct judge_state j = { .path = path };

	j.allowed = bpf_map_lookup_elem(&writable_paths, &caller);
	if (!j.allowed) /* flagged but no list: nothing is writable */
		return refuse(SYVA_HOOK_WRITABLE_PATHS, caller, cgroup, caller, t);
	bpf_loop(SYVA_WRITABLE_PATHS, judge_step, &j, 0);
	if (!j.allowed_here)
		return refuse(SYVA_HOOK_WRITABLE_PATHS, caller, cgroup, caller, t);
	count(SYVA_HOOK_WRITABLE_PATHS, SYVA_ALLOW);
	return 0;
}

/* path: the file about to be written (regular_only: other kinds of file are
 * not storage); inode is its inode. */
static __always_inline int decide_writable_path(const struct path *path, struct inode *inode,
						int regular_only, __u32 caller, __u64 cgroup)
{
	struct syva_target t = {};
	__u32 key = 0;
	char *buf;

	if (!inode || !writable_rule_applies(caller))
		return 0;
	if (regular_only && (BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFREG)
		return 0;
	if (is_kernel_interface(inode))
		return 0;
	t.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	t.ino = BPF_CORE_READ(inode, i_ino);
	buf = bpf_map_lookup_elem(&path_scratch, &key);
	if (!buf || bpf_d_path((struct path *)path, buf, SYVA_PATH_SCRATCH) < 0) {
		count(SYVA_HOOK_WRITABLE_PATHS, SYVA_ERROR);
		return refuse(SYVA_HOOK_WRITABLE_PATHS, caller, cgroup, caller, &t);
	}
	return judge_writable(buf, caller, cgroup, &t);
}

/*
 * The walk's bounds. Steps are names and mount crossings together. The
 * path is built backwards in path_scratch, ending at SYVA_WALK_END; where
 * it starts is kept in the buffer's last four bytes, and whether the walk
 * reached the task's root in the four before, not in a register or on the
 * stack, so that every step, and what follows the walk, looks the same to
 * the verifier whatever the steps before did (a known value would make each
 * outcome a new state).
 * SYVA_WALK_END leaves room after it for the longest name read at any
 * offset before it and for the 64 bytes `under` reads from the start.
 */
#define SYVA_WALK_STEPS 128
#define SYVA_WALK_END 3824
#define SYVA_WALK_START_AT (SYVA_PATH_SCRATCH - 4)
#define SYVA_WALK_REACHED_AT (SYVA_PATH_SCRATCH - 8)
#define SYVA_NAME_MAX 255
_Static_assert(SYVA_WALK_END + 1 + SYVA_NAME_MAX <= SYVA_WALK_REACHED_AT &&
		       SYVA_WALK_END + SYVA_WRITABLE_PATH_LEN <= SYVA_WALK_REACHED_AT,
	       "what the walk writes or reads stays clear of the walk's state in path_scratch");

/* Puts "/" and the dentry's name before what the buffer holds. */
static __always_inline int prepend_name(char *buf, struct dentry *dentry)
{
	const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
	__u32 len = BPF_CORE_READ(dentry, d_name.len);
	__u32 start = *(__u32 *)(buf + SYVA_WALK_START_AT);
	__u32 at;

	/* Each bound is tested on its own: folded into one test of a derived
	 * value, it would not bound the register the verifier checks. */
	if (len > SYVA_NAME_MAX)
		return 0;
	if (start > SYVA_WALK_END)
		return 0;
	at = start - len - 1;
	if (at > SYVA_WALK_END) /* also what start < len + 1 wraps to */
		return 0;
	buf[at] = '/';
	if (bpf_probe_read_kernel(buf + at + 1, len, name) < 0)
		return 0;
	*(__u32 *)(buf + SYVA_WALK_START_AT) = at;
	return 1;
}

/* What one step of the walk carries to the next. The pointers are kept as
 * plain numbers, read through BPF_CORE_READ, and the offset the path starts
 * at stays in buf: the verifier then sees the same state at every step and
 * checks the step once, not once per step. */
struct walk_state {
	char *buf;
	__u64 dentry;
	__u64 vfsmnt;
	__u64 root_dentry;
	__u64 root_mnt;
};

/* One step: a mount crossing or a name. 0 goes on, 1 stops the walk, which
 * is marked reached only when it got to the task's root. */
static long walk_step(__u32 index, void *ctx)
{
	struct walk_state *w = ctx;
	struct dentry *dentry = (struct dentry *)w->dentry;
	struct vfsmount *vfsmnt = (struct vfsmount *)w->vfsmnt;
	__u64 mnt_offset = bpf_core_field_offset(struct mount, mnt);
	struct dentry *parent;

	if (!dentry || !vfsmnt)
		return 1;
	if (w->dentry == w->root_dentry && w->vfsmnt == w->root_mnt) {
		*(__u32 *)(w->buf + SYVA_WALK_REACHED_AT) = 1;
		return 1;
	}
	if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
		struct mount *mnt = (struct mount *)((__u64)vfsmnt - mnt_offset);
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		/* The top of the mount tree, and the task's root was not on
		 * the way: a path the task cannot name. */
		if (!up || up == mnt)
			return 1;
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->vfsmnt = (__u64)up + mnt_offset;
		return 0;
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	/* A filesystem root that is not its mount's root: a dentry reached
	 * other than through the tree (open_by_handle_at). */
	if (!parent || parent == dentry)
		return 1;
	if (!prepend_name(w->buf, dentry))
		return 1;
	w->dentry = (__u64)parent;
	return 0;
}

/* The path of `dentry` in mount `vfsmnt` as the current task sees it (from
 * its root, as bpf_d_path would), in buf; the offset it starts at, or -1
 * when the walk could not finish. The steps run in bpf_loop: the verifier
 * checks a loop's body once for each step it can take, in every program
 * that walks, but bpf_loop's step once (and, the step being a constant and
 * no flags given, inlines bpf_loop, so no helper is called for the loop). */
static __always_inline int walk_path(char *buf, struct vfsmount *vfsmnt, struct dentry *dentry)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct walk_state w = {
		.buf = buf,
		.dentry = (__u64)dentry,
		.vfsmnt = (__u64)vfsmnt,
		.root_dentry = (__u64)BPF_CORE_READ(task, fs, root.dentry),
		.root_mnt = (__u64)BPF_CORE_READ(task, fs, root.mnt),
	};
	__u32 start;

	buf[SYVA_WALK_END] = 0;
	*(__u32 *)(buf + SYVA_WALK_START_AT) = SYVA_WALK_END;
	*(__u32 *)(buf + SYVA_WALK_REACHED_AT) = 0;
	bpf_loop(SYVA_WALK_STEPS, walk_step, &w, 0);
	/* Also when SYVA_WALK_STEPS steps did not get there: too deep. */
	if (*(__u32 *)(buf + SYVA_WALK_REACHED_AT) != 1)
		return -1;
	start = *(__u32 *)(buf + SYVA_WALK_START_AT);
	if (start > SYVA_WALK_END)
		return -1;
	if (start == SYVA_WALK_END) { /* the root itself */
		start = SYVA_WALK_END - 1;
		buf[start] = '/';
	}
	return start;
}

/* An entry of a directory, or a file, changed without being opened for
 * writing: `entry` in mount `mnt` (made, removed, linked, renamed from or
 * onto, truncated). The event names the entry's inode, or its directory's
 * for an entry not made yet. */
static __always_inline int decide_writable_entry(struct vfsmount *mnt, struct dentry *entry, __u32 caller,
						 __u64 cgroup)
{
	struct syva_target t = {};
	struct inode *inode;
	__u32 key = 0;
	char *buf;
	int start;

	if (!entry || !writable_rule_applies(caller))
		return 0;
	inode = BPF_CORE_READ(entry, d_inode);
	if (!inode)
		inode = BPF_CORE_READ(entry, d_parent, d_inode);
	if (inode) {
		if (is_kernel_interface(inode))
			return 0;
		t.dev = BPF_CORE_READ(inode, i_sb, s_dev);
		t.ino = BPF_CORE_READ(inode, i_ino);
	}
	buf = bpf_map_lookup_elem(&path_scratch, &key);
	if (!buf) {
		count(SYVA_HOOK_WRITABLE_PATHS, SYVA_ERROR);
		return refuse(SYVA_HOOK_WRITABLE_PATHS, caller, cgroup, caller, &t);
	}
	start = walk_path(buf, mnt, entry);
	if (start < 0 || start > SYVA_WALK_END) {
		count(SYVA_HOOK_WRITABLE_PATHS, SYVA_ERROR);
		return refuse(SYVA_HOOK_WRITABLE_PATHS, caller, cgroup, caller, &t);
	}
	return judge_writable(buf + start, caller, cgroup, &t);
}
