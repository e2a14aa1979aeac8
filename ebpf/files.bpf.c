// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * Files: may the caller open, exec, map for exec or receive a file another
 * zone owns; and the zone's own rules on files it writes (writable_paths)
 * and on the cgroup files that move tasks (cgroup escape).
 *
 * Files with no owner are not enforced, so a zoned process still reads the
 * node's shared libraries and /proc. Zoned callers find a file's owner in
 * the inode's cache, or pay two lookups at most: inode owner, then
 * filesystem owner.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syva_decide.bpf.h"
#include "writable_paths.bpf.h"

static __always_inline int decide_file_of(enum syva_hook hook, struct file *file, __u32 aux, __u32 caller,
					  __u64 cgroup)
{
	struct inode *inode = file->f_inode;
	struct syva_target t = { .aux = aux };
	__u32 owner;

	owner = inode ? zone_of_inode(inode) : SYVA_OWNER_UNREADABLE;
	if (owner == SYVA_OWNER_UNREADABLE) {
		count(hook, SYVA_ERROR);
		return 0;
	}
	/* Unowned, or the caller's own (same_zone, for an object with no
	 * cgroup): allowed before the event's target is read. */
	if (owner == SYVA_ZONE_NONE || (owner == caller && caller < SYVA_FIRST_STATE_ZONE)) {
		count(hook, SYVA_ALLOW);
		return 0;
	}
	t.dev = inode->i_sb->s_dev;
	t.ino = inode->i_ino;
	return decide(hook, caller, cgroup, owner, &t);
}

static __always_inline int decide_file(enum syva_hook hook, struct file *file, __u32 aux)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);

	if (caller == SYVA_ZONE_NONE)
		return 0;
	return decide_file_of(hook, file, aux, caller, cgroup);
}

/*
 * Cgroup escape. Zone membership is by cgroup, so a zoned process that moves
 * itself or another into any other cgroup (a child it made included) leaves
 * its zone. The kernel's ways to move: write a pid to cgroup.procs,
 * cgroup.threads or v1 `tasks`, which needs the file open for writing
 * (file_open, also for a reopen through /proc/PID/fd); a descriptor so
 * opened elsewhere and passed over a Unix socket (file_receive); and
 * clone3(CLONE_INTO_CGROUP), judged at task_alloc (tasks.bpf.c). All three are
 * checked once per open, receive or clone, never per path component.
 * The runtime (runc, outside any zone) moves processes into containers.
 */
static __always_inline int is_cgroup_move_file(struct file *file)
{
	struct kernfs_node *kn;
	unsigned long magic = file->f_inode->i_sb->s_magic;
	char name[16] = {};

	if (magic != CGROUP2_SUPER_MAGIC && magic != CGROUP_SUPER_MAGIC)
		return 0;
	kn = file->f_inode->i_private;
	if (!kn || bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(kn, name)) < 0)
		return 0;
	if (name[0] == 't')
		return name[1] == 'a' && name[2] == 's' && name[3] == 'k' && name[4] == 's' && name[5] == 0;
	/* "cgroup.procs", "cgroup.threads" */
	if (name[0] != 'c' || name[1] != 'g' || name[2] != 'r' || name[3] != 'o' || name[4] != 'u' ||
	    name[5] != 'p' || name[6] != '.')
		return 0;
	if (name[7] == 'p')
		return name[8] == 'r' && name[9] == 'o' && name[10] == 'c' && name[11] == 's' &&
		       name[12] == 0;
	return name[7] == 't' && name[8] == 'h' && name[9] == 'r' && name[10] == 'e' && name[11] == 'a' &&
	       name[12] == 'd' && name[13] == 's' && name[14] == 0;
}

/* The zone of the cgroup whose control file this is: the nearest of its
 * directory and that directory's ancestors that is a member, as a container
 * may make cgroups below its own. None: the host's. Only cgroup v2 ids are
 * members; a v1 hierarchy's directories belong to no zone. */
#define SYVA_CGROUP_ANCESTORS 8

/* kernfs_node's parent is `parent` until 6.15 and `__parent` after. */
struct kernfs_node___parent {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));
struct kernfs_node___rcu_parent {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kernfs_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(struct kernfs_node___parent, parent))
		return BPF_CORE_READ((struct kernfs_node___parent *)kn, parent);
	return BPF_CORE_READ((struct kernfs_node___rcu_parent *)kn, __parent);
}

static __always_inline __u32 zone_of_cgroup_file(struct file *file, __u64 *cgroup_id)
{
	struct kernfs_node *kn = file->f_inode->i_private;
	__u32 zone;
	int i;

	*cgroup_id = 0;
	if (!kn || file->f_inode->i_sb->s_magic != CGROUP2_SUPER_MAGIC)
		return SYVA_ZONE_NONE;
	kn = kernfs_parent(kn);
	for (i = 0; i < SYVA_CGROUP_ANCESTORS && kn; i++) {
		__u64 id = BPF_CORE_READ(kn, id);

		if (!*cgroup_id)
			*cgroup_id = id;
		zone = zone_of_cgroup(id);
		if (zone != SYVA_ZONE_NONE)
			return zone;
		kn = kernfs_parent(kn);
	}
	return SYVA_ZONE_NONE;
}

/* A cgroup file opened for writing: the move files are cgroup escape
 * whatever cgroup they belong to; any other control file (cgroup.kill,
 * cgroup.freeze, memory.max, ...) acts on the cgroup it belongs to, which
 * is judged like any other zone's (or the host's) object. */
static __always_inline int decide_cgroup_file(struct file *file, __u32 caller, __u64 cgroup)
{
	unsigned long magic = file->f_inode->i_sb->s_magic;
	struct syva_target t = {};

	if (magic != CGROUP2_SUPER_MAGIC && magic != CGROUP_SUPER_MAGIC)
		return 0;
	t.dev = file->f_inode->i_sb->s_dev;
	t.ino = file->f_inode->i_ino;
	if (is_cgroup_move_file(file))
		return refuse(SYVA_HOOK_CGROUP_ESCAPE, caller, cgroup, caller, &t);
	return decide(SYVA_HOOK_CGROUP_CONTROL, caller, cgroup, zone_of_cgroup_file(file, &t.cgroup), &t);
}

/* file_open for a caller whose member slot is not empty, so perhaps in a
 * zone. A subprogram of its own, so that the entry, which most opens leave
 * at once, saves no callee-saved registers and reserves no stack for it. */
static __noinline int file_open_zoned(struct file *file, __u64 cgroup)
{
	__u32 caller;
	int denied;

	/* Opens for exec come from execve itself; bprm_check_security judges
	 * them with the knowledge that they are an exec. */
	if (file->f_flags & __FMODE_EXEC)
		return 0;
	caller = current_zone_of_listed(cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	denied = decide_file_of(SYVA_HOOK_FILE_OPEN, file, 0, caller, cgroup);
	/* O_TRUNC empties the file after this hook, whatever the access mode. */
	if (denied || !((file->f_mode & FMODE_WRITE) || (file->f_flags & O_TRUNC)))
		return denied;
	denied = decide_cgroup_file(file, caller, cgroup);
	if (denied)
		return denied;
	return decide_writable_path(&file->f_path, file->f_inode, 1, caller, cgroup);
}

/* Most opens are by callers in no zone: an empty member slot says so as
 * current_zone would, before anything is read of the file. */
SEC("lsm/file_open")
int BPF_PROG(syva_file_open, struct file *file)
{
	__u64 cgroup = bpf_get_current_cgroup_id();
	__u64 *members = member_slot(cgroup);

	if (members && !*members)
		return 0;
	return file_open_zoned(file, cgroup);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(syva_bprm_check, struct linux_binprm *bprm)
{
	return decide_file(SYVA_HOOK_BPRM_CHECK, bprm->file, 0);
}

SEC("lsm/mmap_file")
int BPF_PROG(syva_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags)
{
	if (!file || !(prot & PROT_EXEC))
		return 0;
	return decide_file(SYVA_HOOK_MMAP_FILE, file, prot);
}

SEC("lsm/file_receive")
int BPF_PROG(syva_file_receive, struct file *file)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	int denied;

	if (caller == SYVA_ZONE_NONE)
		return 0;
	if (file->f_mode & FMODE_WRITE) {
		denied = decide_cgroup_file(file, caller, cgroup);
		if (denied)
			return denied;
	}
	/* An open descriptor is judged once, when it is opened; reads and
	 * writes through it are not (file_permission runs on every read).
	 * One opened in another zone reaches this zone only by being passed,
	 * so it is judged again here, as if this zone had opened it. */
	return decide_file_of(SYVA_HOOK_FILE_RECEIVE, file, 0, caller, cgroup);
}

/* mprotect(PROT_EXEC) of a mapping made without it: the same question as
 * mmap_file's, asked of the mapped file. */
SEC("lsm/file_mprotect")
int BPF_PROG(syva_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot)
{
	struct file *file;

	if (!(prot & PROT_EXEC))
		return 0;
	file = vma->vm_file;
	if (!file)
		return 0;
	return decide_file(SYVA_HOOK_FILE_MPROTECT, file, prot);
}
