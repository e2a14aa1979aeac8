// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * Processes: may the caller signal or trace a task of another zone (or the
 * host), directly or through a file's SIGIO owner; which tasks are the
 * zone's workload; and [capabilities] for that workload.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syva_decide.bpf.h"

static __always_inline int decide_task(enum syva_hook hook, __u32 caller, __u64 cgroup,
				       struct task_struct *target, __u32 signal, __u32 aux)
{
	struct syva_target t = { .signal = signal, .aux = aux };

	t.cgroup = task_cgroup_id(target);
	t.pid = target->tgid;
	if (!t.cgroup) {
		count(hook, SYVA_ERROR);
		return 0;
	}
	return decide(hook, caller, cgroup, zone_of_cgroup(t.cgroup), &t);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(syva_ptrace_access_check, struct task_struct *child, unsigned int mode)
{
	__u64 cgroup;
	__u32 caller;
	int denied;

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
	     const struct cred *cred)
{
	__u64 cgroup;
	__u32 caller;

	caller = current_zone(&cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	return decide_task(SYVA_HOOK_TASK_KILL, caller, cgroup, p, sig, 0);
}

/* A task acted on without a signal: its priority, scheduling, I/O
 * priority, resource limits (an RLIMIT_CPU below its usage makes the
 * kernel kill it), memory placement, process group. */
static __always_inline int decide_task_change(enum syva_hook hook, struct task_struct *p, __u32 aux)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);

	if (caller == SYVA_ZONE_NONE)
		return 0;
	return decide_task(hook, caller, cgroup, p, 0, aux);
}

SEC("lsm/task_setnice")
int BPF_PROG(syva_task_setnice, struct task_struct *p, int nice)
{
	return decide_task_change(SYVA_HOOK_TASK_SETNICE, p, nice);
}

SEC("lsm/task_setioprio")
int BPF_PROG(syva_task_setioprio, struct task_struct *p, int ioprio)
{
	return decide_task_change(SYVA_HOOK_TASK_SETIOPRIO, p, ioprio);
}

/* sched_setscheduler, sched_setparam, sched_setattr, sched_setaffinity. */
SEC("lsm/task_setscheduler")
int BPF_PROG(syva_task_setscheduler, struct task_struct *p)
{
	return decide_task_change(SYVA_HOOK_TASK_SETSCHEDULER, p, 0);
}

/* prlimit(2) on another process; setrlimit(2) is the caller itself. */
SEC("lsm/task_setrlimit")
int BPF_PROG(syva_task_setrlimit, struct task_struct *p, unsigned int resource)
{
	return decide_task_change(SYVA_HOOK_TASK_SETRLIMIT, p, resource);
}

SEC("lsm/task_movememory")
int BPF_PROG(syva_task_movememory, struct task_struct *p)
{
	return decide_task_change(SYVA_HOOK_TASK_MOVEMEMORY, p, 0);
}

SEC("lsm/task_setpgid")
int BPF_PROG(syva_task_setpgid, struct task_struct *p, pid_t pgid)
{
	return decide_task_change(SYVA_HOOK_TASK_SETPGID, p, pgid);
}

/* PTRACE_TRACEME hands the caller to its parent as tracer: the parent
 * gains what ptrace_access_check would have judged. */
SEC("lsm/ptrace_traceme")
int BPF_PROG(syva_ptrace_traceme, struct task_struct *parent)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);

	if (caller == SYVA_ZONE_NONE)
		return 0;
	return decide_task(SYVA_HOOK_PTRACE_TRACEME, caller, cgroup, parent, 0, 0);
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

/* The count of sigio_owner_zone records whose file's address falls in this
 * slot: files are cache-line aligned, so the slot is taken above those
 * bits. */
static __always_inline __u32 *sigio_slot(struct file *file)
{
	__u32 slot = (low_address_of(file) >> 6) & (SYVA_SIGIO_SLOTS - 1);

	return bpf_map_lookup_elem(&sigio_slots, &slot);
}

/* F_SETOWN then F_SETSIG: the kernel signals the owner whenever the file
 * has I/O, from whatever context the I/O completes in, and asks only
 * file_send_sigiotask, never task_kill. The sender is who set the owner. */
SEC("lsm/file_set_fowner")
int BPF_PROG(syva_file_set_fowner, struct file *file)
{
	__u64 cgroup, key = address_of(file);
	__u32 zone = current_zone(&cgroup);
	__u32 *recorded = bpf_map_lookup_elem(&sigio_owner_zone, &key);
	__u32 *records = sigio_slot(file);

	/* An owner set again by the same zone (F_SETOWN per request) keeps its
	 * record: an update allocates and replaces the element. */
	if (recorded && *recorded == zone)
		return 0;
	if (recorded) {
		if (bpf_map_update_elem(&sigio_owner_zone, &key, &zone, BPF_EXIST) == 0)
			return 0;
		/* Not the previous setter's zone either: no record, no signal. */
		if (bpf_map_delete_elem(&sigio_owner_zone, &key) == 0 && records)
			__sync_fetch_and_add(records, -1);
		count(SYVA_HOOK_SIGIO_OWNER, SYVA_ERROR);
		return 0;
	}
	/* The hook cannot refuse: a record not written makes the file's
	 * signals fail closed in file_send_sigiotask. Counted before it is
	 * written, so that file_free_security looks for it. */
	if (!records) {
		count(SYVA_HOOK_SIGIO_OWNER, SYVA_ERROR);
		return 0;
	}
	__sync_fetch_and_add(records, 1);
	if (bpf_map_update_elem(&sigio_owner_zone, &key, &zone, BPF_NOEXIST) != 0) {
		__sync_fetch_and_add(records, -1);
		count(SYVA_HOOK_SIGIO_OWNER, SYVA_ERROR);
	}
	return 0;
}

/* A freed file whose slot counts records: the lookup, unlike the delete,
 * takes no bucket lock, and nothing can record an owner for a file being
 * freed between the two. `key` is the file's address on the caller's
 * stack, where a pointer spilled is a key the verifier accepts from a
 * loader with CAP_PERFMON, without a helper to read it. */
static __noinline int file_free_recorded(__u64 *key, __u32 *records)
{
	if (bpf_map_lookup_elem(&sigio_owner_zone, key) && bpf_map_delete_elem(&sigio_owner_zone, key) == 0 &&
	    records)
		__sync_fetch_and_add(records, -1);
	return 0;
}

/* Every file freed; most never had an owner, and their slot is empty. The
 * rest is a subprogram of its own, so that this entry saves no callee-saved
 * registers. */
SEC("lsm/file_free_security")
int BPF_PROG(syva_file_free_security, struct file *file)
{
	__u64 key = (__u64)file;
	__u32 *records = sigio_slot(file);

	if (records && !*records)
		return 0;
	return file_free_recorded(&key, records);
}

/* Only a file with an owner signals, and setting an owner records its
 * setter: no record means the setter is unknown, and no signal goes. */
SEC("lsm/file_send_sigiotask")
int BPF_PROG(syva_file_send_sigiotask, struct task_struct *tsk, struct fown_struct *fown, int sig)
{
	__u64 cgroup = 0, key = file_of_fown(fown);
	struct syva_target t = { .signal = sig ? sig : SIGIO };
	__u32 *setter;

	setter = bpf_map_lookup_elem(&sigio_owner_zone, &key);
	if (!setter) {
		count(SYVA_HOOK_SIGIO, SYVA_ERROR);
		t.cgroup = task_cgroup_id(tsk);
		t.pid = tsk->tgid;
		emit_deny(SYVA_HOOK_SIGIO, SYVA_ZONE_NONE, 0, zone_of_cgroup(t.cgroup), &t, 0);
		return -EPERM;
	}
	if (*setter == SYVA_ZONE_NONE)
		return 0;
	return decide_task(SYVA_HOOK_SIGIO, *setter, cgroup, tsk, t.signal, 0);
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
int BPF_PROG(syva_task_alloc, struct task_struct *task, unsigned long clone_flags)
{
	struct syva_target t = {};
	__u64 cgroup;
	__u32 caller;

	caller = current_zone(&cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	/* clone3(CLONE_INTO_CGROUP): the child would start outside the zone. */
	if (clone_flags & CLONE_INTO_CGROUP)
		return refuse(SYVA_HOOK_CGROUP_ESCAPE, caller, cgroup, caller, &t);
	if (!bpf_task_storage_get(&workload, bpf_get_current_task_btf(), 0, 0))
		return 0;
	mark_workload(task);
	return 0;
}

/* io_uring runs a request with other credentials than the task's: a
 * registered personality (a copy of its registrar's credentials from
 * then, before any capset() or setuid() since) when the request names one,
 * and an SQPOLL thread's creator's. A zoned caller's are recorded here for
 * capable to judge, or the request is refused: unjudged, they would carry
 * capabilities past the zone's list. */
static __always_inline int record_uring_creds(const struct cred *cred)
{
	__u64 cgroup, key;
	__u32 zone = current_zone(&cgroup);

	if (zone == SYVA_ZONE_NONE)
		return 0;
	key = address_of(cred);
	if (bpf_map_update_elem(&uring_creds, &key, &zone, BPF_ANY) != 0) {
		count(SYVA_HOOK_URING_CREDS, SYVA_ERROR);
		return -ENOMEM;
	}
	return 0;
}

/* Asked as each request naming a personality is prepared. */
SEC("lsm/uring_override_creds")
int BPF_PROG(syva_uring_override_creds, const struct cred *new)
{
	return record_uring_creds(new);
}

/* Asked as the ring is set up, by its creator, whose credentials the
 * SQPOLL thread takes. */
SEC("lsm/uring_sqpoll")
int BPF_PROG(syva_uring_sqpoll)
{
	return record_uring_creds(bpf_get_current_task_btf()->cred);
}

/* Every credential freed; most have no entry (see file_free_security). */
SEC("lsm/cred_free")
int BPF_PROG(syva_cred_free, struct cred *cred)
{
	__u64 key = address_of(cred);

	if (bpf_map_lookup_elem(&uring_creds, &key))
		bpf_map_delete_elem(&uring_creds, &key);
	return 0;
}

/* [capabilities] allowed, for the zone's workload. Checks of the task's
 * own credentials are judged, and of those io_uring runs its requests with
 * (uring_creds); the kernel also asks about another task's (the OOM killer
 * does) or a borrowed credential (overlayfs copies up with its mounter's)
 * from whatever task happens to run, which are not the workload's. Probes
 * the kernel would not audit (CAP_OPT_NOAUDIT) are refused without an
 * event, as the kernel would log none. */
SEC("lsm/capable")
int BPF_PROG(syva_capable, const struct cred *cred, struct user_namespace *ns, int cap, unsigned int opts)
{
	struct syva_target t = { .aux = cap };
	struct syva_zone_policy *policy;
	__u64 cgroup;
	__u32 caller;

	caller = current_zone(&cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	if (!bpf_task_storage_get(&workload, bpf_get_current_task_btf(), 0, 0))
		return 0;
	if (cred != bpf_get_current_task_btf()->real_cred) {
		__u64 key = address_of(cred);

		if (!bpf_map_lookup_elem(&uring_creds, &key))
			return 0;
	}
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
