// SPDX-License-Identifier: GPL-2.0
/*
 * Syva's BPF-LSM programs. Each one answers a single question in the shape of
 * syva_decide.bpf.h: may the current task, in its zone, touch this object in
 * its zone? A denial by an earlier LSM (ret != 0) always stands.
 *
 * Hot path: an unzoned caller costs bpf_get_current_cgroup_id() and one hash
 * lookup in every hook, and nothing else.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syva_decide.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* open_exec() passes __FMODE_EXEC in the open flags; 6.1 does not copy it
 * into f_mode, so f_flags is where an exec open shows (as AppArmor and
 * TOMOYO test it since 6.8). open(2) cannot set this bit. */
#define __FMODE_EXEC 0x20
#define PROT_EXEC 0x4
#define SIGIO 29

/* Files: no owner means no enforcement, so a zoned process still reads the
 * node's shared libraries and /proc. Zoned callers pay two lookups at most:
 * inode owner, then filesystem owner. */
static __always_inline int decide_file_of(enum syva_hook hook, struct file *file, __u32 aux, __u32 caller,
					  __u64 cgroup)
{
	struct syva_target t = { .aux = aux };
	struct syva_inode_key key;
	__u32 owner;

	if (!file_inode_key(file, &key)) {
		count(hook, SYVA_ERROR);
		return 0;
	}
	owner = zone_of_file(&key);
	if (owner == SYVA_ZONE_NONE) {
		count(hook, SYVA_ALLOW);
		return 0;
	}
	t.dev = key.dev;
	t.ino = key.ino;
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
 * [filesystem] writable_paths: a zone's workload may open a regular file for
 * writing only at or below one of its paths, as the container sees them
 * (bpf_d_path resolves against the task's root). Devices, pipes and sockets
 * are not regular files; kernel interfaces (proc, sysfs, cgroupfs, ...) are
 * not the container's storage. runc's own setup before it execs the command
 * is not the workload (see `workload`).
 */
#define FMODE_WRITE 0x2
#define S_IFMT 00170000
#define S_IFREG 0100000
#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define SECURITYFS_MAGIC 0x73636673
#define DEBUGFS_MAGIC 0x64626720
#define TRACEFS_MAGIC 0x74726163
#define BPF_FS_MAGIC 0xcafe4a11

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

static __always_inline int decide_writable(struct file *file, __u32 caller, __u64 cgroup)
{
	struct syva_target t = {};
	struct syva_writable_paths *allowed;
	struct syva_zone_policy *policy = zone_policy_of(caller);
	unsigned long magic;
	__u32 key = 0;
	char *path;
	int i;

	if (!policy || !(policy->flags & SYVA_ZONE_F_WRITABLE))
		return 0;
	if ((file->f_inode->i_mode & S_IFMT) != S_IFREG)
		return 0;
	magic = file->f_inode->i_sb->s_magic;
	if (magic == PROC_SUPER_MAGIC || magic == SYSFS_MAGIC || magic == CGROUP2_SUPER_MAGIC ||
	    magic == CGROUP_SUPER_MAGIC || magic == SECURITYFS_MAGIC || magic == DEBUGFS_MAGIC ||
	    magic == TRACEFS_MAGIC || magic == BPF_FS_MAGIC)
		return 0;
	if (!bpf_task_storage_get(&workload, bpf_get_current_task_btf(), 0, 0))
		return 0;
	path = bpf_map_lookup_elem(&path_scratch, &key);
	allowed = bpf_map_lookup_elem(&writable_paths, &caller);
	t.dev = file->f_inode->i_sb->s_dev;
	t.ino = file->f_inode->i_ino;
	if (!path || bpf_d_path((struct path *)&file->f_path, path, 256) < 0) {
		count(SYVA_HOOK_FILE_WRITE, SYVA_ERROR);
		return 0;
	}
	if (!allowed) /* flagged but no list: nothing is writable */
		return refuse(SYVA_HOOK_FILE_WRITE, caller, cgroup, caller, &t);
	for (i = 0; i < SYVA_WRITABLE_PATHS; i++) {
		if (i < allowed->count && under(path, allowed->paths[i])) {
			count(SYVA_HOOK_FILE_WRITE, SYVA_ALLOW);
			return 0;
		}
	}
	return refuse(SYVA_HOOK_FILE_WRITE, caller, cgroup, caller, &t);
}

static __always_inline int decide_task(enum syva_hook hook, __u32 caller, __u64 cgroup,
				       struct task_struct *target, __u32 signal, __u32 aux)
{
	struct syva_target t = { .signal = signal, .aux = aux };

	t.cgroup = task_cgroup_id(target);
	t.pid = BPF_CORE_READ(target, tgid);
	if (!t.cgroup) {
		count(hook, SYVA_ERROR);
		return 0;
	}
	return decide(hook, caller, cgroup, zone_of_cgroup(t.cgroup), &t);
}

static __always_inline int decide_sock(enum syva_hook hook, struct sock *peer)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	struct syva_target t = {};

	if (caller == SYVA_ZONE_NONE)
		return 0;
	t.cgroup = peer ? sock_cgroup_id(peer) : 0;
	if (!t.cgroup) {
		count(hook, SYVA_ERROR);
		return 0;
	}
	return decide(hook, caller, cgroup, zone_of_cgroup(t.cgroup), &t);
}

/*
 * Cgroup escape. Zone membership is by cgroup, so a zoned process that moves
 * itself or another into any other cgroup (a child it made included) leaves
 * its zone. The kernel's ways to move: write a pid to cgroup.procs,
 * cgroup.threads or v1 `tasks`, which needs the file open for writing
 * (file_open, also for a reopen through /proc/PID/fd); a descriptor so
 * opened elsewhere and passed over a Unix socket (file_receive); and
 * clone3(CLONE_INTO_CGROUP), judged at task_alloc above. All three are
 * checked once per open, receive or clone, never per path component.
 * The runtime (runc, outside any zone) moves processes into containers.
 */
#define CLONE_INTO_CGROUP 0x200000000ULL

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
		return name[8] == 'r' && name[9] == 'o' && name[10] == 'c' && name[11] == 's' && name[12] == 0;
	return name[7] == 't' && name[8] == 'h' && name[9] == 'r' && name[10] == 'e' && name[11] == 'a' &&
	       name[12] == 'd' && name[13] == 's' && name[14] == 0;
}

static __always_inline int decide_cgroup_file(struct file *file, __u32 caller, __u64 cgroup)
{
	struct syva_target t = {};

	if (!(file->f_mode & FMODE_WRITE) || !is_cgroup_move_file(file))
		return 0;
	t.dev = file->f_inode->i_sb->s_dev;
	t.ino = file->f_inode->i_ino;
	return refuse(SYVA_HOOK_CGROUP_MOVE, caller, cgroup, caller, &t);
}

SEC("lsm/file_open")
int BPF_PROG(syva_file_open, struct file *file, int ret)
{
	__u64 cgroup;
	__u32 caller;
	int denied;

	if (ret)
		return ret;
	/* Opens for exec come from execve itself; bprm_check_security judges
	 * them with the knowledge that they are an exec. */
	if (file->f_flags & __FMODE_EXEC)
		return 0;
	caller = current_zone(&cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	denied = decide_file_of(SYVA_HOOK_FILE_OPEN, file, 0, caller, cgroup);
	if (denied || !(file->f_mode & FMODE_WRITE))
		return denied;
	denied = decide_cgroup_file(file, caller, cgroup);
	if (denied)
		return denied;
	return decide_writable(file, caller, cgroup);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(syva_bprm_check, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return ret;
	return decide_file(SYVA_HOOK_BPRM_CHECK, bprm->file, 0);
}

SEC("lsm/mmap_file")
int BPF_PROG(syva_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	if (ret)
		return ret;
	if (!file || !(prot & PROT_EXEC))
		return 0;
	return decide_file(SYVA_HOOK_MMAP_FILE, file, prot);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(syva_ptrace_access_check, struct task_struct *child, unsigned int mode, int ret)
{
	__u64 cgroup;
	__u32 caller;
	int denied;

	if (ret)
		return ret;
	caller = current_zone(&cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	/* [syscalls] deny = ["ptrace"] forbids it even within the zone. */
	denied = forbidden_op(SYVA_HOOK_PTRACE, SYVA_OP_PTRACE, caller, cgroup, mode);
	if (denied)
		return denied;
	return decide_task(SYVA_HOOK_PTRACE, caller, cgroup, child, 0, mode);
}

SEC("lsm/task_kill")
int BPF_PROG(syva_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	__u64 cgroup;
	__u32 caller;

	if (ret)
		return ret;
	caller = current_zone(&cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	return decide_task(SYVA_HOOK_TASK_KILL, caller, cgroup, p, sig, 0);
}

/* A kernel pointer's value as a plain number, to key a map by (the
 * verifier will not do arithmetic on it as a pointer). */
static __always_inline __u64 address_of(const void *p)
{
	__u64 address = 0;

	bpf_probe_read_kernel(&address, sizeof(address), &p);
	return address;
}

/* Until 6.12 a file embeds its fown_struct; since, it points to one that
 * points back. The record is keyed by the file's address either way. */
struct file___embedded_fown {
	struct fown_struct f_owner;
} __attribute__((preserve_access_index));
struct fown_struct___with_file {
	struct file *file;
} __attribute__((preserve_access_index));

static __always_inline __u64 file_of_fown(struct fown_struct *fown)
{
	if (bpf_core_field_exists(struct fown_struct___with_file, file))
		return (__u64)BPF_CORE_READ((struct fown_struct___with_file *)fown, file);
	return address_of(fown) - bpf_core_field_offset(struct file___embedded_fown, f_owner);
}

/* F_SETOWN then F_SETSIG: the kernel signals the owner whenever the file
 * has I/O, from whatever context the I/O completes in, and asks only
 * file_send_sigiotask, never task_kill. The sender is who set the owner. */
SEC("lsm/file_set_fowner")
int BPF_PROG(syva_file_set_fowner, struct file *file)
{
	__u64 cgroup, key = address_of(file);
	__u32 zone = current_zone(&cgroup);

	bpf_map_update_elem(&sigio_owner_zone, &key, &zone, BPF_ANY);
	return 0;
}

SEC("lsm/file_send_sigiotask")
int BPF_PROG(syva_file_send_sigiotask, struct task_struct *tsk, struct fown_struct *fown, int sig, int ret)
{
	__u64 cgroup = 0, key = file_of_fown(fown);
	__u32 *setter, caller;

	if (ret)
		return ret;
	setter = bpf_map_lookup_elem(&sigio_owner_zone, &key);
	caller = setter ? *setter : current_zone(&cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	return decide_task(SYVA_HOOK_SIGIO, caller, cgroup, tsk, sig ? sig : SIGIO, 0);
}

/* Marks `task` as the zone's workload (see `workload` in syva_maps.bpf.h). */
static __always_inline void mark_workload(struct task_struct *task)
{
	__u32 *mark = bpf_task_storage_get(&workload, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (mark)
		*mark = 1;
}

SEC("lsm/bprm_committed_creds")
int BPF_PROG(syva_bprm_committed_creds, struct linux_binprm *bprm)
{
	if (zone_of_cgroup(bpf_get_current_cgroup_id()) != SYVA_ZONE_NONE)
		mark_workload(bpf_get_current_task_btf());
	return 0;
}

SEC("lsm/task_alloc")
int BPF_PROG(syva_task_alloc, struct task_struct *task, unsigned long clone_flags, int ret)
{
	struct syva_target t = {};
	__u64 cgroup;
	__u32 caller;

	if (ret)
		return ret;
	caller = current_zone(&cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	/* clone3(CLONE_INTO_CGROUP): the child would start outside the zone. */
	if (clone_flags & CLONE_INTO_CGROUP)
		return refuse(SYVA_HOOK_CGROUP_MOVE, caller, cgroup, caller, &t);
	if (!bpf_task_storage_get(&workload, bpf_get_current_task_btf(), 0, 0))
		return 0;
	mark_workload(task);
	return 0;
}

/* [capabilities] allowed, for the zone's workload. Only checks of the
 * task's own credentials are judged: the kernel also asks about another
 * task's (the OOM killer does) or a borrowed credential (overlayfs copies
 * up with its mounter's) from whatever task happens to run. Probes the
 * kernel would not audit (CAP_OPT_NOAUDIT) are refused without an event, as
 * the kernel would log none. */
#define CAP_OPT_NOAUDIT 0x2
SEC("lsm/capable")
int BPF_PROG(syva_capable, const struct cred *cred, struct user_namespace *ns, int cap, unsigned int opts,
	     int ret)
{
	struct syva_target t = { .aux = cap };
	struct syva_zone_policy *policy;
	__u64 cgroup;
	__u32 caller;

	if (ret)
		return ret;
	caller = current_zone(&cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	if (cred != bpf_get_current_task_btf()->real_cred ||
	    !bpf_task_storage_get(&workload, bpf_get_current_task_btf(), 0, 0))
		return 0;
	policy = zone_policy_of(caller);
	if (!policy || !(policy->flags & SYVA_ZONE_F_CAPS) || cap < 0 || cap > 63 ||
	    (policy->caps_allowed & (1ULL << cap))) {
		count(SYVA_HOOK_CAPABLE, SYVA_ALLOW);
		return 0;
	}
	if (opts & CAP_OPT_NOAUDIT)
		return (policy->flags & SYVA_ZONE_F_AUDIT) ? 0 : -EPERM;
	return refuse(SYVA_HOOK_CAPABLE, caller, cgroup, caller, &t);
}

/* [syscalls] deny: the gates the kernel really has for each syscall. */
SEC("lsm/sb_mount")
int BPF_PROG(syva_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	return ret ? ret : decide_op(SYVA_HOOK_SB_MOUNT, SYVA_OP_MOUNT, 0);
}

SEC("lsm/sb_umount")
int BPF_PROG(syva_sb_umount, struct vfsmount *mnt, int flags, int ret)
{
	return ret ? ret : decide_op(SYVA_HOOK_SB_UMOUNT, SYVA_OP_UMOUNT, flags);
}

SEC("lsm/sb_pivotroot")
int BPF_PROG(syva_sb_pivotroot, const struct path *old_path, const struct path *new_path, int ret)
{
	return ret ? ret : decide_op(SYVA_HOOK_SB_PIVOTROOT, SYVA_OP_PIVOT_ROOT, 0);
}

SEC("lsm/move_mount")
int BPF_PROG(syva_move_mount, const struct path *from_path, const struct path *to_path, int ret)
{
	return ret ? ret : decide_op(SYVA_HOOK_MOVE_MOUNT, SYVA_OP_MOVE_MOUNT, 0);
}

SEC("lsm/path_chroot")
int BPF_PROG(syva_path_chroot, const struct path *path, int ret)
{
	return ret ? ret : decide_op(SYVA_HOOK_PATH_CHROOT, SYVA_OP_CHROOT, 0);
}

SEC("lsm/bpf")
int BPF_PROG(syva_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	return ret ? ret : decide_op(SYVA_HOOK_BPF, SYVA_OP_BPF, cmd);
}

SEC("lsm/perf_event_open")
int BPF_PROG(syva_perf_event_open, struct perf_event_attr *attr, int type, int ret)
{
	return ret ? ret : decide_op(SYVA_HOOK_PERF_EVENT_OPEN, SYVA_OP_PERF, type);
}

/* Module and kexec images reach the kernel as a buffer (init_module,
 * kexec_load) or a file (finit_module, kexec_file_load); firmware and the
 * rest share these hooks and are left alone. */
SEC("lsm/kernel_load_data")
int BPF_PROG(syva_kernel_load_data, enum kernel_load_data_id id, bool contents, int ret)
{
	if (ret)
		return ret;
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE))
		return decide_op(SYVA_HOOK_KERNEL_LOAD_DATA, SYVA_OP_MODULE, id);
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_KEXEC_IMAGE))
		return decide_op(SYVA_HOOK_KERNEL_LOAD_DATA, SYVA_OP_KEXEC, id);
	return 0;
}

SEC("lsm/kernel_read_file")
int BPF_PROG(syva_kernel_read_file, struct file *file, enum kernel_read_file_id id, bool contents, int ret)
{
	if (ret)
		return ret;
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE))
		return decide_op(SYVA_HOOK_KERNEL_READ_FILE, SYVA_OP_MODULE, id);
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_IMAGE) ||
	    id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_INITRAMFS))
		return decide_op(SYVA_HOOK_KERNEL_READ_FILE, SYVA_OP_KEXEC, id);
	return 0;
}

SEC("lsm/file_receive")
int BPF_PROG(syva_file_receive, struct file *file, int ret)
{
	__u64 cgroup;
	__u32 caller;

	if (ret)
		return ret;
	caller = current_zone(&cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	ret = decide_cgroup_file(file, caller, cgroup);
	if (ret)
		return ret;
	/* An open descriptor is judged once, when it is opened; reads and
	 * writes through it are not (file_permission runs on every read).
	 * One opened in another zone reaches this zone only by being passed,
	 * so it is judged again here, as if this zone had opened it. */
	return decide_file_of(SYVA_HOOK_FILE_RECEIVE, file, 0, caller, cgroup);
}

SEC("lsm/unix_stream_connect")
int BPF_PROG(syva_unix_stream_connect, struct sock *sock, struct sock *other, struct sock *newsk,
	     int ret)
{
	if (ret)
		return ret;
	return decide_sock(SYVA_HOOK_UNIX_CONNECT, other);
}

SEC("lsm/unix_may_send")
int BPF_PROG(syva_unix_may_send, struct socket *sock, struct socket *other, int ret)
{
	if (ret)
		return ret;
	return decide_sock(SYVA_HOOK_UNIX_SEND, BPF_CORE_READ(other, sk));
}

/*
 * Startup self-test probe, attached only while the self-test runs. It reads
 * the cgroup and inode exactly as the enforcing hooks above do, for one task
 * that user space names, so user space can check the kernel's view against
 * its own before it enforces anything.
 */
SEC("lsm/file_open")
int BPF_PROG(syva_selftest_probe, struct file *file, int ret)
{
	__u32 key = 0;
	struct syva_selftest *st = bpf_map_lookup_elem(&selftest, &key);
	struct syva_inode_key ik = {};

	if (!st || st->tgid == 0 || st->tgid != (bpf_get_current_pid_tgid() >> 32))
		return ret;
	/* Only the first open counts: on overlayfs the kernel opens the real
	 * file after the overlay one, and user space stat()s the overlay. */
	if (st->hits++ != 0)
		return ret;
	st->cgroup_id = bpf_get_current_cgroup_id();
	st->task_cgroup_id = task_cgroup_id(bpf_get_current_task_btf());
	file_inode_key(file, &ik);
	st->dev = ik.dev;
	st->ino = ik.ino;
	return ret;
}

/*
 * [network]: where a zoned process may send over IPv4/IPv6. host: the node's
 * business, not restricted. isolated: loopback only. bridged: loopback and
 * the zone's allowed_egress (longest prefix, then port). connect() is judged
 * once per connection; sendmsg() only when it names a destination (sendto
 * on an unconnected socket), so the data path of a connection costs one
 * pointer test.
 */
#define AF_INET 2
#define AF_INET6 10
#define SYVA_NET_ISOLATED 0
#define SYVA_NET_HOST 2

/* Reads the destination into t (IPv4 as ::ffff:a.b.c.d); 0 if not IP. */
static __always_inline int read_destination(struct sockaddr *address, struct syva_target *t)
{
	__u16 family = BPF_CORE_READ(address, sa_family);

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)address;
		__u32 ip = BPF_CORE_READ(sin, sin_addr.s_addr);

		t->addr[10] = 0xff;
		t->addr[11] = 0xff;
		__builtin_memcpy(&t->addr[12], &ip, 4);
		t->port = bpf_ntohs(BPF_CORE_READ(sin, sin_port));
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)address;

		if (bpf_probe_read_kernel(t->addr, sizeof(t->addr), &sin6->sin6_addr))
			return -1;
		t->port = bpf_ntohs(BPF_CORE_READ(sin6, sin6_port));
	} else {
		return 0;
	}
	t->family = family;
	return 1;
}

static __always_inline int is_loopback(const __u8 *a)
{
	int i, v4 = a[10] == 0xff && a[11] == 0xff;

	for (i = 0; i < 10; i++)
		if (a[i])
			return 0;
	if (v4)
		return a[12] == 127;
	if (a[10] || a[11] || a[12] || a[13] || a[14])
		return 0;
	return a[15] == 1; /* ::1 */
}

static __always_inline int egress_allowed(__u32 zone, const struct syva_target *t)
{
	struct syva_egress_key key = { .prefixlen = 32 + 128, .zone = zone };
	struct syva_egress_ports *allowed;
	int i;

	__builtin_memcpy(key.addr, t->addr, sizeof(key.addr));
	allowed = bpf_map_lookup_elem(&egress_rules, &key);
	if (!allowed)
		return 0;
	if (allowed->any)
		return 1;
	for (i = 0; i < SYVA_EGRESS_PORTS; i++)
		if (i < allowed->count && allowed->ports[i] == t->port)
			return 1;
	return 0;
}

static __always_inline int decide_egress(enum syva_hook hook, struct sockaddr *address)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	struct syva_zone_policy *policy;
	struct syva_target t = {};
	int ip;

	if (caller == SYVA_ZONE_NONE || !address)
		return 0;
	ip = read_destination(address, &t);
	if (ip == 0)
		return 0;
	if (ip < 0) {
		count(hook, SYVA_ERROR);
		return 0;
	}
	policy = zone_policy_of(caller);
	if ((policy && policy->network_mode == SYVA_NET_HOST) || is_loopback(t.addr) ||
	    (policy && policy->network_mode != SYVA_NET_ISOLATED && egress_allowed(caller, &t))) {
		count(hook, SYVA_ALLOW);
		return 0;
	}
	return refuse(hook, caller, cgroup, caller, &t);
}

SEC("lsm/socket_connect")
int BPF_PROG(syva_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	return ret ? ret : decide_egress(SYVA_HOOK_SOCKET_CONNECT, address);
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(syva_socket_sendmsg, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	if (ret)
		return ret;
	return decide_egress(SYVA_HOOK_SOCKET_SENDMSG, (struct sockaddr *)msg->msg_name);
}
