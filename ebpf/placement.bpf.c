// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * Placement before the first instruction. The agent learns of a container
 * from containerd's events, after the runtime has made its cgroup and
 * possibly after its command has started. So the kernel itself marks every
 * cgroup made under a guarded root (a top-level cgroup a container runtime
 * makes its cgroups in) PENDING the moment it exists, before any process
 * can join it; PENDING is confined alone in every hook until the agent
 * writes the cgroup's zone, or removes the entry for a container that is not
 * to be enforced. A cgroup's entry goes when the cgroup does.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syva_decide.bpf.h"

/* Only cgroup v2 (the default hierarchy, id 0) places processes Syva
 * judges; v1 hierarchies are ignored. */
static __always_inline int on_default_hierarchy(struct cgroup *cgrp)
{
	return BPF_CORE_READ(cgrp, root, hierarchy_id) == 0;
}

/* The first component of `path` ("/kubepods.slice/..."): the top-level
 * cgroup the new one is under. 0 when it is itself top-level (nothing to
 * guard: a guarded root is made before it is guarded) or unreadable. */
static __always_inline int top_level_name(const char *path, struct syva_cgroup_name *out)
{
	char buf[SYVA_CGROUP_NAME_LEN + 1];
	int i;

	if (bpf_probe_read_kernel_str(buf, sizeof(buf), path) < 2 || buf[0] != '/')
		return 0;
	for (i = 0; i < SYVA_CGROUP_NAME_LEN; i++) {
		char c = buf[i + 1];

		if (c == '/')
			return i > 0;
		if (c == 0)
			return 0;
		out->name[i] = c;
	}
	return 0; /* a name longer than any guarded root's */
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(syva_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct syva_cgroup_name root = {};
	__u32 pending = SYVA_ZONE_PENDING;
	__u64 *members;
	__u64 id;

	if (!on_default_hierarchy(cgrp) || !top_level_name(path, &root) ||
	    !bpf_map_lookup_elem(&guarded_roots, &root))
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	members = member_slot(id);
	/* A tracepoint cannot refuse the mkdir: a full map is an error that
	 * `syva status` reports (the cgroup starts unconfined until placed). */
	if (!members) {
		count(SYVA_HOOK_CGROUP_PENDING, SYVA_ERROR);
		return 0;
	}
	/* Counted before the key exists, and taken back if it was not
	 * inserted (an id already a member is counted already). */
	__sync_fetch_and_add(members, 1);
	if (bpf_map_update_elem(&zone_membership, &id, &pending, BPF_NOEXIST)) {
		__sync_fetch_and_add(members, -1);
		count(SYVA_HOOK_CGROUP_PENDING, SYVA_ERROR);
	}
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(syva_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	__u64 id;

	if (!on_default_hierarchy(cgrp))
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	if (bpf_map_delete_elem(&zone_membership, &id) == 0) {
		__u64 *members = member_slot(id);

		if (members)
			__sync_fetch_and_add(members, -1);
	}
	return 0;
}
