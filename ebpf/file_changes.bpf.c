// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * Files changed without being opened: entries made, removed, linked or
 * renamed (the path_* hooks); attributes, times, sizes and extended
 * attributes (inode_setattr, inode_*xattr, inode_*_acl). Each object touched is judged against its
 * owner like an open: the file or directory itself, and the directory whose
 * entries change.
 *
 * Ownership follows the files: a file made in a directory a zone owns
 * inherits the owner (inode_init_security), and the entry goes when the
 * kernel frees the inode (inode_free_security), so a reused inode number
 * never carries a stale owner.
 *
 * [filesystem] writable_paths judges each entry changed, and truncation, by
 * its path (writable_paths.bpf.h), after the owners.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syva_decide.bpf.h"
#include "writable_paths.bpf.h"

/* Which argument of inode_setattr is the dentry: kernels since 6.9 pass
 * the mount's idmap first. Set by the agent from the kernel's BTF. */
const volatile __u32 inode_setattr_dentry_arg = 0;

static __always_inline int inode_key(struct inode *inode, struct syva_inode_key *key)
{
	if (!inode)
		return 0;
	key->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key->ino = BPF_CORE_READ(inode, i_ino);
	return 1;
}

/* 0 or the refusal for touching `inode` (none: a negative dentry, nothing
 * there yet). Allowed outcomes are counted once per hook by the caller. */
static __always_inline int judge_inode(enum syva_hook hook, struct inode *inode, __u32 caller, __u64 cgroup)
{
	struct syva_target t = {};
	struct syva_inode_key key;
	__u32 owner;

	if (!inode_key(inode, &key))
		return 0;
	t.dev = key.dev;
	t.ino = key.ino;
	/* Syva's own pins: removing or renaming one would detach a program or
	 * orphan a map. No zone touches the BPF filesystem's entries; a pending
	 * cgroup may (see refuse_own_object in syscalls.bpf.c). */
	if (BPF_CORE_READ(inode, i_sb, s_magic) == BPF_FS_MAGIC)
		return caller == SYVA_ZONE_PENDING ? 0 : refuse(SYVA_HOOK_SYVA_OBJECTS, caller, cgroup, SYVA_ZONE_NONE, &t);
	owner = zone_of_file(&key);
	if (owner == SYVA_ZONE_NONE || owner == caller || pair_allowed(caller, owner))
		return 0;
	return refuse(hook, caller, cgroup, owner, &t);
}

/* A change that touches up to four inodes (null: none there): each is
 * judged, and one allow is counted when none refused. */
static __always_inline int decide_change_of(enum syva_hook hook, __u32 caller, __u64 cgroup, struct inode *a,
					    struct inode *b, struct inode *c, struct inode *d)
{
	int denied;

	denied = judge_inode(hook, a, caller, cgroup);
	if (!denied)
		denied = judge_inode(hook, b, caller, cgroup);
	if (!denied)
		denied = judge_inode(hook, c, caller, cgroup);
	if (!denied)
		denied = judge_inode(hook, d, caller, cgroup);
	if (!denied)
		count(hook, SYVA_ALLOW);
	return denied;
}

static __always_inline int decide_change(enum syva_hook hook, struct inode *a, struct inode *b,
					 struct inode *c, struct inode *d)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);

	if (caller == SYVA_ZONE_NONE)
		return 0;
	return decide_change_of(hook, caller, cgroup, a, b, c, d);
}

/* An entry made or removed in `dir`: its directory's owner, the entry's
 * own (none for one not made yet), then the entry's path. */
static __always_inline int decide_entry(enum syva_hook hook, const struct path *dir, struct dentry *entry,
					struct inode *entry_owner)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	int denied;

	if (caller == SYVA_ZONE_NONE)
		return 0;
	denied = decide_change_of(hook, caller, cgroup, BPF_CORE_READ(dir, dentry, d_inode), entry_owner, 0,
				  0);
	if (denied)
		return denied;
	return decide_writable_entry(BPF_CORE_READ(dir, mnt), entry, caller, cgroup);
}

static __always_inline struct inode *dir_inode(const struct path *dir)
{
	return BPF_CORE_READ(dir, dentry, d_inode);
}

static __always_inline struct inode *entry_inode(struct dentry *entry)
{
	return BPF_CORE_READ(entry, d_inode);
}

/* Removing an entry changes the directory and the file. */
SEC("lsm/path_unlink")
int BPF_PROG(syva_path_unlink, const struct path *dir, struct dentry *dentry)
{
	return decide_entry(SYVA_HOOK_PATH_UNLINK, dir, dentry, entry_inode(dentry));
}

SEC("lsm/path_rmdir")
int BPF_PROG(syva_path_rmdir, const struct path *dir, struct dentry *dentry)
{
	return decide_entry(SYVA_HOOK_PATH_RMDIR, dir, dentry, entry_inode(dentry));
}

/* Making an entry: open(O_CREAT) of a new file, and bind() of a named Unix
 * socket, come here too. */
SEC("lsm/path_mknod")
int BPF_PROG(syva_path_mknod, const struct path *dir, struct dentry *dentry)
{
	return decide_entry(SYVA_HOOK_PATH_CREATE, dir, dentry, 0);
}

SEC("lsm/path_mkdir")
int BPF_PROG(syva_path_mkdir, const struct path *dir, struct dentry *dentry)
{
	return decide_entry(SYVA_HOOK_PATH_CREATE, dir, dentry, 0);
}

SEC("lsm/path_symlink")
int BPF_PROG(syva_path_symlink, const struct path *dir, struct dentry *dentry)
{
	return decide_entry(SYVA_HOOK_PATH_CREATE, dir, dentry, 0);
}

/* A hard link makes the file reachable from a new name: the file and the
 * directory it is linked into are both changed, and the new name is made. */
SEC("lsm/path_link")
int BPF_PROG(syva_path_link, struct dentry *old_dentry, const struct path *new_dir, struct dentry *new_dentry)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	int denied;

	if (caller == SYVA_ZONE_NONE)
		return 0;
	denied = decide_change_of(SYVA_HOOK_PATH_LINK, caller, cgroup, entry_inode(old_dentry),
				  dir_inode(new_dir), 0, 0);
	if (denied)
		return denied;
	return decide_writable_entry(BPF_CORE_READ(new_dir, mnt), new_dentry, caller, cgroup);
}

/* Renaming changes the file moved, the file it replaces (or, with
 * RENAME_EXCHANGE, swaps with) and both directories; both names change. */
SEC("lsm/path_rename")
int BPF_PROG(syva_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	int denied;

	if (caller == SYVA_ZONE_NONE)
		return 0;
	denied = decide_change_of(SYVA_HOOK_PATH_RENAME, caller, cgroup, entry_inode(old_dentry),
				  dir_inode(old_dir), dir_inode(new_dir), entry_inode(new_dentry));
	if (!denied)
		denied = decide_writable_entry(BPF_CORE_READ(old_dir, mnt), old_dentry, caller, cgroup);
	if (!denied)
		denied = decide_writable_entry(BPF_CORE_READ(new_dir, mnt), new_dentry, caller, cgroup);
	return denied;
}

/* Truncation by path: truncate(2), and on kernels before 6.2 also
 * ftruncate and open(O_TRUNC). Who owns the file is inode_setattr's. */
SEC("lsm/path_truncate")
int BPF_PROG(syva_path_truncate, const struct path *path)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);

	if (caller == SYVA_ZONE_NONE)
		return 0;
	return decide_writable_entry(BPF_CORE_READ(path, mnt), BPF_CORE_READ(path, dentry), caller, cgroup);
}

/* ftruncate and open(O_TRUNC) since 6.2. */
SEC("lsm/file_truncate")
int BPF_PROG(syva_file_truncate, struct file *file)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);

	if (caller == SYVA_ZONE_NONE)
		return 0;
	return decide_writable_entry(BPF_CORE_READ(file, f_path.mnt), BPF_CORE_READ(file, f_path.dentry),
				     caller, cgroup);
}

/* chmod, chown, utimes and every truncation, through notify_change. */
SEC("lsm/inode_setattr")
int BPF_PROG(syva_inode_setattr, void *arg0, void *arg1)
{
	return decide_change(SYVA_HOOK_INODE_SETATTR,
			     entry_inode((struct dentry *)(inode_setattr_dentry_arg ? arg1 : arg0)), 0, 0, 0);
}

/* The first argument is the mount's user namespace or idmap, by version. */
SEC("lsm/inode_setxattr")
int BPF_PROG(syva_inode_setxattr, void *mount_ids, struct dentry *dentry)
{
	return decide_change(SYVA_HOOK_INODE_XATTR, entry_inode(dentry), 0, 0, 0);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(syva_inode_removexattr, void *mount_ids, struct dentry *dentry)
{
	return decide_change(SYVA_HOOK_INODE_XATTR, entry_inode(dentry), 0, 0, 0);
}

/* POSIX ACLs have hooks of their own since 6.2. */
SEC("lsm/inode_set_acl")
int BPF_PROG(syva_inode_set_acl, void *idmap, struct dentry *dentry)
{
	return decide_change(SYVA_HOOK_INODE_XATTR, entry_inode(dentry), 0, 0, 0);
}

SEC("lsm/inode_remove_acl")
int BPF_PROG(syva_inode_remove_acl, void *idmap, struct dentry *dentry)
{
	return decide_change(SYVA_HOOK_INODE_XATTR, entry_inode(dentry), 0, 0, 0);
}

/* A new inode in a directory a zone owns is that zone's, whoever makes it.
 * If the owner cannot be recorded the file is not made: an unowned file in
 * an owned directory would be open to every zone. Otherwise 0, as the
 * hook's own default: other LSMs go on to add their attributes. */
SEC("lsm/inode_init_security")
int BPF_PROG(syva_inode_init_security, struct inode *inode, struct inode *dir)
{
	struct syva_inode_key key, parent;
	__u32 *owner, inherited;
	__u64 *cached;

	if (!inode_key(dir, &parent) || !inode_key(inode, &key))
		return 0;
	owner = bpf_map_lookup_elem(&inode_zone, &parent);
	if (!owner)
		return 0;
	inherited = *owner | SYVA_INODE_INHERITED;
	if (bpf_map_update_elem(&inode_zone, &key, &inherited, BPF_ANY)) {
		count(SYVA_HOOK_FILE_OWNER, SYVA_ERROR);
		return -EPERM;
	}
	/* Nothing has looked a new inode up yet; were anything to have, its
	 * answer is no longer true. */
	cached = bpf_inode_storage_get(&inode_owner_cache, inode, 0, 0);
	if (cached)
		*(volatile __u64 *)cached = 0;
	return 0;
}

/* The kernel frees an inode both when the file is gone and when it only
 * leaves the inode cache; only the first ends its ownership, and the inode
 * number may then be reused. */
SEC("lsm/inode_free_security")
int BPF_PROG(syva_inode_free_security, struct inode *inode)
{
	struct syva_inode_key key;
	__u64 *made;

	if (BPF_CORE_READ(inode, i_nlink) == 0 && inode_key(inode, &key))
		bpf_map_delete_elem(&inode_zone, &key);
	/* The kernel frees the inode's inode_owner_cache entry after this
	 * program: it no longer counts. */
	if (bpf_inode_storage_get(&inode_owner_cache, inode, 0, 0)) {
		made = owner_entries_made();
		if (made)
			__sync_fetch_and_add(made, -1);
	}
	return 0;
}
