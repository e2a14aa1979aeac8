/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The one decision shape every hook shares: caller zone from the
 * current cgroup, target zone from the object, same zone or an allowed pair
 * allows, anything else is -EPERM, counted, and reported.
 *
 * No program reads the verdict of what ran before it on the hook: the
 * kernel stops at the first LSM that refuses, and the BPF trampoline at the
 * first BPF program that refuses, so a program runs only while everything
 * before it allowed. Declaring only the arguments a program reads also keeps
 * it loadable on kernels that append arguments to a hook.
 */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include "kernel_defs.bpf.h"
#include "syva_maps.bpf.h"

/* What a hook knows about its target, copied into the deny event. */
struct syva_target {
	__u64 cgroup;
	__u64 dev;
	__u64 ino;
	__u32 pid;
	__u32 signal;
	__u32 aux;
	__u16 port;
	__u16 family;
	__u8 addr[16];
};

enum syva_outcome { SYVA_ALLOW, SYVA_DENY, SYVA_ERROR, SYVA_AUDIT };

static __always_inline struct syva_counters *hook_counters(enum syva_hook hook)
{
	__u32 key = hook;
	return bpf_map_lookup_elem(&counters, &key);
}

/* Per-CPU slots: no other CPU writes them, so plain increments suffice. */
static __always_inline void count(enum syva_hook hook, enum syva_outcome outcome)
{
	struct syva_counters *c = hook_counters(hook);

	if (!c)
		return;
	if (outcome == SYVA_ALLOW)
		c->allow++;
	else if (outcome == SYVA_DENY)
		c->deny++;
	else if (outcome == SYVA_AUDIT)
		c->audit++;
	else
		c->error++;
}

static __always_inline struct syva_zone_policy *zone_policy_of(__u32 zone)
{
	return bpf_map_lookup_elem(&zone_policy, &zone);
}

static __always_inline __u64 *member_slot(__u64 cgroup_id)
{
	__u32 slot = cgroup_id & (SYVA_MEMBER_SLOTS - 1);

	return bpf_map_lookup_elem(&member_slots, &slot);
}

/* Most cgroups are in no zone: an empty slot answers that with an inlined
 * array read instead of hashing the id. The count is read before the hash:
 * a writer adds to it before it inserts the key (x86 orders both the
 * stores and the loads). A placed member whose slot's member_cache entry
 * names it skips the hash too; the entry is one load, so never half of
 * two entries.
 *
 * The zone is carried as 64 bits until the end: both ways of finding it
 * leave the upper half zero, which the compiler then knows, so it tests
 * the register it returns rather than a zero-extended copy. A copy would
 * hide from the verifier that a program returning the zone after testing
 * it for SYVA_ZONE_NONE returns 0.
 *
 * zone_word_of_listed is the part after the slot's count, for a caller that
 * has read it already. */
static __always_inline __u64 zone_word_of_listed(__u64 cgroup_id)
{
	__u32 slot = cgroup_id & (SYVA_MEMBER_SLOTS - 1);
	__u64 *cached;
	__u32 *zone;

	cached = bpf_map_lookup_elem(&member_cache, &slot);
	if (cached) {
		__u64 entry = *cached;

		if ((entry & SYVA_MEMBER_CACHE_ID_MASK) == cgroup_id)
			return entry >> SYVA_MEMBER_CACHE_ID_BITS;
	}
	zone = bpf_map_lookup_elem(&zone_membership, &cgroup_id);
	return zone ? *zone : SYVA_ZONE_NONE;
}

static __always_inline __u64 zone_word_of_cgroup(__u64 cgroup_id)
{
	__u32 slot = cgroup_id & (SYVA_MEMBER_SLOTS - 1);
	__u64 *members = bpf_map_lookup_elem(&member_slots, &slot);

	if (members && !*members)
		return SYVA_ZONE_NONE;
	return zone_word_of_listed(cgroup_id);
}

static __always_inline __u32 zone_of_cgroup(__u64 cgroup_id)
{
	return zone_word_of_cgroup(cgroup_id);
}

/* The node's mount namespace (its inode number), set by the agent. */
const volatile __u32 host_mnt_ns __weak = 0;

/* The current task's zone; its cgroup id goes to `cgroup` for the event.
 * In a PENDING cgroup only what runs inside the container is confined: the
 * runtime setting it up there while still in the node's mount namespace
 * (runc joining the pod's namespaces through /proc/PID/ns, re-executing
 * itself) is the platform's, as it is before any cgroup is zoned. A process
 * cannot go back to the node's mount namespace from a container's: that
 * takes /proc/1/ns/mnt, which no zone may open. */
static __always_inline __u32 current_zone_from(__u32 zone)
{
	if (zone == SYVA_ZONE_PENDING && host_mnt_ns &&
	    BPF_CORE_READ(bpf_get_current_task_btf(), nsproxy, mnt_ns, ns.inum) == host_mnt_ns)
		return SYVA_ZONE_NONE;
	return zone;
}

static __always_inline __u32 current_zone_of(__u64 cgroup)
{
	return current_zone_from(zone_of_cgroup(cgroup));
}

/* current_zone_of for a caller whose member slot was just read and is not
 * empty. */
static __always_inline __u32 current_zone_of_listed(__u64 cgroup)
{
	return current_zone_from(zone_word_of_listed(cgroup));
}

static __always_inline __u32 current_zone(__u64 *cgroup)
{
	*cgroup = bpf_get_current_cgroup_id();
	return current_zone_of(*cgroup);
}

/* The target-task path: the task's default-hierarchy (cgroup v2) cgroup,
 * whose kernfs id is the cgroup directory's inode number. `task` must be a
 * pointer the verifier knows (a hook's argument, the current task): the
 * chain is read with plain loads, which the kernel guards like a
 * bpf_probe_read_kernel (0 where a pointer is NULL) at a fraction of the
 * instructions. */
static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return task->cgroups->dfl_cgrp->kn->id;
}

/* The cgroup a socket was created in: the closest thing a socket has to an
 * owner, and it is right for abstract sockets too, which have no inode. */
static __always_inline __u64 sock_cgroup_id(struct sock *sk)
{
	if (!bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		return 0;
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

/* A kernel pointer's value as a plain number, to key a map by (the
 * verifier will not do arithmetic on it as a pointer). */
static __always_inline __u64 address_of(const void *p)
{
	__u64 address = 0;

	bpf_probe_read_kernel(&address, sizeof(address), &p);
	return address;
}

/* The low 32 bits of a kernel pointer, as a number, without a helper call:
 * the verifier lets a 32-bit move turn a pointer into an unknown scalar
 * when the loader may see kernel addresses (CAP_PERFMON), as the agent's
 * capabilities allow. Clang (before alu32 by default) cannot write the move
 * itself. */
static __always_inline __u32 low_address_of(const void *p)
{
	register const void *in asm("r1") = p;
	register __u64 low asm("r0");

	asm volatile("w0 = w1" : "=r"(low) : "r"(in));
	return low;
}

/* Returns 0 when the inode has no superblock to key it by (caller counts
 * an error). The device is the kernel's s_dev encoding; user space
 * converts st_dev. */
static __always_inline int inode_key_of(struct inode *inode, struct syva_inode_key *key)
{
	struct super_block *sb = inode->i_sb;

	if (!sb)
		return 0;
	key->dev = sb->s_dev;
	key->ino = inode->i_ino;
	return 1;
}

/* inode_key_of for a file, 0 also when it has no inode. */
static __always_inline int file_inode_key(struct file *file, struct syva_inode_key *key)
{
	struct inode *inode = file->f_inode;

	return inode && inode_key_of(inode, key);
}

/* A file's owner: the zone that owns its inode, else the zone that owns its
 * whole filesystem (a container's overlay rootfs). */
static __always_inline __u32 zone_of_file(const struct syva_inode_key *key)
{
	__u32 *zone = bpf_map_lookup_elem(&inode_zone, key);
	__u32 slot = key->dev & (SYVA_MEMBER_SLOTS - 1);
	__u64 *owned;

	if (zone)
		return *zone & ~SYVA_INODE_INHERITED;
	owned = bpf_map_lookup_elem(&superblock_slots, &slot);
	if (owned && !*owned)
		return SYVA_ZONE_NONE;
	zone = bpf_map_lookup_elem(&superblock_zone, &key->dev);
	return zone ? *zone : SYVA_ZONE_NONE;
}

/* zone_of_inode's answer for an inode it cannot key: no zone has this id. */
#define SYVA_OWNER_UNREADABLE 0xffffffffu

/* inode_owner_cached's one count. */
static __always_inline __u64 *owner_entries_made(void)
{
	__u32 first = 0;

	return bpf_map_lookup_elem(&inode_owner_cached, &first);
}

/* An inode_owner_cache entry for an inode that has none, while fewer than
 * SYVA_OWNER_CACHE_MAX exist; NULL otherwise. Counted before it is made. */
static __always_inline __u64 *new_owner_entry(struct inode *inode)
{
	__u64 *made = owner_entries_made();
	__u64 *entry;

	if (!made || *(volatile __u64 *)made >= SYVA_OWNER_CACHE_MAX)
		return NULL;
	__sync_fetch_and_add(made, 1);
	entry = bpf_inode_storage_get(&inode_owner_cache, inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!entry)
		__sync_fetch_and_add(made, -1);
	return entry;
}

/* zone_of_file through the answer cached in the inode (inode_owner_cache);
 * the key is read only when the cache cannot answer. SYVA_OWNER_UNREADABLE
 * when the inode has no superblock to key it by (the caller counts an
 * error). The epoch is read before the hashes, so an answer found after one
 * of the agent's writes never carries an epoch older than that write's.
 * Storage that cannot be made (memory) costs the lookups, never the answer. */
static __always_inline __u32 zone_of_inode(struct inode *inode)
{
	__u32 first = 0;
	__u64 *epoch_at = bpf_map_lookup_elem(&inode_owner_epoch, &first);
	__u64 epoch = epoch_at ? *(volatile __u64 *)epoch_at : 0;
	__u64 *cached = NULL;
	struct syva_inode_key key;
	__u32 zone;

	if (epoch) {
		cached = bpf_inode_storage_get(&inode_owner_cache, inode, 0, 0);
		if (cached) {
			__u64 word = *(volatile __u64 *)cached;

			if (word >> SYVA_OWNER_ZONE_BITS == epoch)
				return word & SYVA_OWNER_ZONE_MASK;
		} else {
			cached = new_owner_entry(inode);
		}
	}
	if (!inode_key_of(inode, &key))
		return SYVA_OWNER_UNREADABLE;
	zone = zone_of_file(&key);
	if (cached)
		*(volatile __u64 *)cached = epoch << SYVA_OWNER_ZONE_BITS | zone;
	return zone;
}

static __always_inline int pair_allowed(__u32 a, __u32 b)
{
	struct syva_zone_pair pair = { .a = a, .b = b };

	return bpf_map_lookup_elem(&zone_allowed_comms, &pair) != NULL;
}

/* A full ring buffer loses the event, never the decision: it is counted and
 * the hook returns at once. */
static __always_inline void emit_deny(enum syva_hook hook, __u32 caller, __u64 caller_cgroup, __u32 target,
				      const struct syva_target *t, __u32 flags)
{
	struct syva_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!e) {
		struct syva_counters *c = hook_counters(hook);

		if (c)
			c->dropped++;
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->hook = hook;
	e->pid = (__u32)pid_tgid;
	e->tgid = pid_tgid >> 32;
	e->caller_zone = caller;
	e->target_zone = target;
	e->target_pid = t->pid;
	e->caller_cgroup = caller_cgroup;
	e->target_cgroup = t->cgroup;
	e->dev = t->dev;
	e->ino = t->ino;
	e->signal = t->signal;
	e->aux = t->aux;
	e->flags = flags;
	e->port = t->port;
	e->family = t->family;
	__builtin_memcpy(e->addr, t->addr, sizeof(e->addr));
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/* The caller's zone said no. In a zone in audit mode the operation goes
 * ahead, counted and reported as what would have been denied. Off the hot
 * path: only denials read the zone's policy. */
static __always_inline int refuse(enum syva_hook hook, __u32 caller, __u64 caller_cgroup, __u32 target,
				  const struct syva_target *t)
{
	struct syva_zone_policy *policy = zone_policy_of(caller);

	if (policy && (policy->flags & SYVA_ZONE_F_AUDIT)) {
		count(hook, SYVA_AUDIT);
		emit_deny(hook, caller, caller_cgroup, target, t, SYVA_EVENT_F_AUDIT);
		return 0;
	}
	count(hook, SYVA_DENY);
	emit_deny(hook, caller, caller_cgroup, target, t, 0);
	return -EPERM;
}

/* Pending and quarantined cgroups share a zone id but not a zone: each is
 * alone. */
static __always_inline int same_zone(__u32 caller, __u64 caller_cgroup, __u32 target, __u64 target_cgroup)
{
	return target == caller && (caller < SYVA_FIRST_STATE_ZONE || target_cgroup == caller_cgroup);
}

/* caller and target are both known here; target may be SYVA_ZONE_NONE (the
 * host), which no zone may reach. */
static __always_inline int decide(enum syva_hook hook, __u32 caller, __u64 caller_cgroup, __u32 target,
				  const struct syva_target *t)
{
	if (same_zone(caller, caller_cgroup, target, t->cgroup) ||
	    (target != SYVA_ZONE_NONE && pair_allowed(caller, target))) {
		count(hook, SYVA_ALLOW);
		return 0;
	}
	return refuse(hook, caller, caller_cgroup, target, t);
}

/* [syscalls] deny: whether the caller's zone forbids operation `op`
 * outright (then refused, counted and reported here). Allowed calls are
 * counted by the caller: some hooks go on to decide more. */
static __always_inline int forbidden_op(enum syva_hook hook, enum syva_op op, __u32 caller, __u64 cgroup,
					__u32 aux)
{
	struct syva_zone_policy *policy = zone_policy_of(caller);
	struct syva_target t = { .aux = aux };

	if (!policy || !(policy->denied_ops & (1ULL << op)))
		return 0;
	return refuse(hook, caller, cgroup, caller, &t);
}

/* A hook that only [syscalls] deny governs. */
static __always_inline int decide_op(enum syva_hook hook, enum syva_op op, __u32 aux)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	struct syva_zone_policy *policy;

	if (caller == SYVA_ZONE_NONE)
		return 0;
	policy = zone_policy_of(caller);
	if (policy && (policy->denied_ops & (1ULL << op)))
		return forbidden_op(hook, op, caller, cgroup, aux);
	count(hook, SYVA_ALLOW);
	return 0;
}
