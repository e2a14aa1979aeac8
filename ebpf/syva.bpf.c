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
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syva_decide.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* open_exec() passes __FMODE_EXEC in the open flags; 6.1 does not copy it
 * into f_mode, so f_flags is where an exec open shows (as AppArmor and
 * TOMOYO test it since 6.8). open(2) cannot set this bit. */
#define __FMODE_EXEC 0x20
#define PROT_EXEC 0x4

/* Files: no owner means no enforcement, so a zoned process still reads the
 * node's shared libraries and /proc. Zoned callers pay two lookups at most:
 * inode owner, then filesystem owner. */
static __always_inline int decide_file(enum syva_hook hook, struct file *file, __u32 aux)
{
	__u64 cgroup = bpf_get_current_cgroup_id();
	__u32 caller = zone_of_cgroup(cgroup);
	struct syva_target t = { .aux = aux };
	struct syva_inode_key key;
	__u32 owner;

	if (caller == SYVA_ZONE_NONE)
		return 0;
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

static __always_inline int decide_task(enum syva_hook hook, struct task_struct *target,
				       __u32 signal, __u32 aux)
{
	__u64 cgroup = bpf_get_current_cgroup_id();
	__u32 caller = zone_of_cgroup(cgroup);
	struct syva_target t = { .signal = signal, .aux = aux };

	if (caller == SYVA_ZONE_NONE)
		return 0;
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
	__u64 cgroup = bpf_get_current_cgroup_id();
	__u32 caller = zone_of_cgroup(cgroup);
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

SEC("lsm/file_open")
int BPF_PROG(syva_file_open, struct file *file, int ret)
{
	if (ret)
		return ret;
	/* Opens for exec come from execve itself; bprm_check_security judges
	 * them with the knowledge that they are an exec. */
	if (file->f_flags & __FMODE_EXEC)
		return 0;
	return decide_file(SYVA_HOOK_FILE_OPEN, file, 0);
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
	if (ret)
		return ret;
	return decide_task(SYVA_HOOK_PTRACE, child, 0, mode);
}

SEC("lsm/task_kill")
int BPF_PROG(syva_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	if (ret)
		return ret;
	return decide_task(SYVA_HOOK_TASK_KILL, p, sig, 0);
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
