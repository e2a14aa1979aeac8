// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * SysV IPC: shared memory segments, semaphore sets and message queues are
 * reachable by key or id from every process of an IPC namespace, which
 * hostIPC pods share with the node and with each other. An object belongs
 * to the zone that made it, recorded as the kernel allocates it; a zoned
 * process reaches only its own zone's objects and an allowed pair's.
 *
 * Every use of an object the kernel gates with ipcperms(), whose last step
 * is ipc_permission: msgget/semget/shmget of an existing key, shmat, semop,
 * msgsnd, msgrcv, and the reading controls (IPC_STAT, GETVAL, SETALL, ...).
 * The per-object hooks that follow it (shm_associate, shm_shmat,
 * sem_semop, msg_queue_msgsnd, msg_queue_msgrcv) never see an object
 * ipc_permission refused, so they are not attached. The controls that
 * skip ipcperms (IPC_RMID, IPC_SET, *_STAT_ANY) reach only the per-type
 * control hook. The kernel turns an ipc_permission refusal into EACCES;
 * the control hooks' EPERM reaches the caller as it is.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syva_decide.bpf.h"

/* An object made by a zoned process is recorded, or not made: without its
 * record it would be the host's, and the zone that made it could not use
 * it. The host's objects are not recorded (no record is the host). */
static __always_inline int record_owner(struct kern_ipc_perm *perm)
{
	struct syva_ipc_owner owner = {};
	__u64 cgroup, key;
	__u32 zone = current_zone(&cgroup);

	if (zone == SYVA_ZONE_NONE)
		return 0;
	key = address_of(perm);
	owner.zone = zone;
	owner.cgroup = cgroup;
	if (bpf_map_update_elem(&ipc_owner, &key, &owner, BPF_ANY) != 0) {
		count(SYVA_HOOK_IPC_OWNER, SYVA_ERROR);
		return -ENOMEM;
	}
	return 0;
}

/* The kernel frees the object (after an RCU grace period) before its
 * memory can hold another, so no record outlives its object. */
static __always_inline void forget_owner(struct kern_ipc_perm *perm)
{
	__u64 key = address_of(perm);

	bpf_map_delete_elem(&ipc_owner, &key);
}

SEC("lsm/shm_alloc_security")
int BPF_PROG(syva_shm_alloc_security, struct kern_ipc_perm *perm)
{
	return record_owner(perm);
}

SEC("lsm/sem_alloc_security")
int BPF_PROG(syva_sem_alloc_security, struct kern_ipc_perm *perm)
{
	return record_owner(perm);
}

SEC("lsm/msg_queue_alloc_security")
int BPF_PROG(syva_msg_queue_alloc_security, struct kern_ipc_perm *perm)
{
	return record_owner(perm);
}

SEC("lsm/shm_free_security")
int BPF_PROG(syva_shm_free_security, struct kern_ipc_perm *perm)
{
	forget_owner(perm);
	return 0;
}

SEC("lsm/sem_free_security")
int BPF_PROG(syva_sem_free_security, struct kern_ipc_perm *perm)
{
	forget_owner(perm);
	return 0;
}

SEC("lsm/msg_queue_free_security")
int BPF_PROG(syva_msg_queue_free_security, struct kern_ipc_perm *perm)
{
	forget_owner(perm);
	return 0;
}

/* The object's zone: its maker's, or the host's. A maker that was pending
 * counts as the zone its cgroup was placed in since. The event carries the
 * object's id (as ino) and key (as dev), and `aux`: the access asked
 * (ipc_permission) or the command (controls). */
static __always_inline int decide_ipc(enum syva_hook hook, struct kern_ipc_perm *perm, __u32 aux)
{
	struct syva_target t = { .aux = aux };
	struct syva_ipc_owner *owner;
	__u32 caller, target = SYVA_ZONE_NONE;
	__u64 cgroup, key;

	caller = current_zone(&cgroup);
	if (caller == SYVA_ZONE_NONE)
		return 0;
	/* IPC_INFO and its kin ask about no object. */
	if (!perm) {
		count(hook, SYVA_ALLOW);
		return 0;
	}
	key = address_of(perm);
	owner = bpf_map_lookup_elem(&ipc_owner, &key);
	if (owner) {
		target = owner->zone;
		t.cgroup = owner->cgroup;
		if (target == SYVA_ZONE_PENDING) {
			__u32 placed = zone_of_cgroup(t.cgroup);

			if (placed != SYVA_ZONE_NONE)
				target = placed;
		}
	}
	t.ino = BPF_CORE_READ(perm, id);
	t.dev = (__u32)BPF_CORE_READ(perm, key);
	return decide(hook, caller, cgroup, target, &t);
}

SEC("lsm/ipc_permission")
int BPF_PROG(syva_ipc_permission, struct kern_ipc_perm *ipcp, short flag)
{
	return decide_ipc(SYVA_HOOK_IPC_PERMISSION, ipcp, (__u16)flag);
}

SEC("lsm/shm_shmctl")
int BPF_PROG(syva_shm_shmctl, struct kern_ipc_perm *perm, int cmd)
{
	return decide_ipc(SYVA_HOOK_IPC_CONTROL, perm, cmd);
}

SEC("lsm/sem_semctl")
int BPF_PROG(syva_sem_semctl, struct kern_ipc_perm *perm, int cmd)
{
	return decide_ipc(SYVA_HOOK_IPC_CONTROL, perm, cmd);
}

SEC("lsm/msg_queue_msgctl")
int BPF_PROG(syva_msg_queue_msgctl, struct kern_ipc_perm *perm, int cmd)
{
	return decide_ipc(SYVA_HOOK_IPC_CONTROL, perm, cmd);
}
