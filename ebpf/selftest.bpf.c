// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * Startup self-test probe, attached only while the self-test runs. It reads
 * the cgroup and inode exactly as the enforcing programs do, for one task
 * that user space names, so user space can check the kernel's view against
 * its own before it enforces anything.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syva_decide.bpf.h"

SEC("lsm/file_open")
int BPF_PROG(syva_selftest_probe, struct file *file)
{
	__u32 key = 0;
	struct syva_selftest *st = bpf_map_lookup_elem(&selftest, &key);
	struct syva_inode_key ik = {};

	if (!st || st->tgid == 0 || st->tgid != (bpf_get_current_pid_tgid() >> 32))
		return 0;
	/* Only the first open counts: on overlayfs the kernel opens the real
	 * file after the overlay one, and user space stat()s the overlay. */
	if (st->hits++ != 0)
		return 0;
	st->cgroup_id = bpf_get_current_cgroup_id();
	st->task_cgroup_id = task_cgroup_id(bpf_get_current_task_btf());
	file_inode_key(file, &ik);
	st->dev = ik.dev;
	st->ino = ik.ino;
	return 0;
}
