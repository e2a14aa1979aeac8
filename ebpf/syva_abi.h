/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The contract between Syva's kernel programs and its user space: map keys,
 * map values, hook numbers and the deny event. Included by the BPF programs
 * (after vmlinux.h) and by C++ (after <cstdint>/<linux/types.h>), so it uses
 * only the kernel's fixed-width __u* types and lays every struct out with
 * explicit padding: both compilers must agree on every byte.
 */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define SYVA_ZONE_NONE 0u /* "no zone": unzoned caller, unowned file, host task */
#define SYVA_MAX_ZONES 16384
#define SYVA_MAX_MEMBERS 65536
#define SYVA_MAX_INODES 262144
#define SYVA_MAX_SUPERBLOCKS 65536
#define SYVA_MAX_EGRESS_RULES 16384
#define SYVA_EGRESS_PORTS 16
#define SYVA_WRITABLE_PATHS 8
#define SYVA_WRITABLE_PATH_LEN 64
#define SYVA_MAX_PAIRS 65536
#define SYVA_MAX_SIGIO_OWNERS 65536
#define SYVA_ZONE_NAME_LEN 64
#define SYVA_EVENTS_BYTES (1u << 20)

/* Hook numbers index the counters map and name the hook in events. */
enum syva_hook {
	SYVA_HOOK_FILE_OPEN = 0,
	SYVA_HOOK_BPRM_CHECK = 1,
	SYVA_HOOK_MMAP_FILE = 2,
	SYVA_HOOK_PTRACE = 3,
	SYVA_HOOK_TASK_KILL = 4,
	SYVA_HOOK_UNIX_CONNECT = 5,
	SYVA_HOOK_UNIX_SEND = 6,
	/* [capabilities] allowed */
	SYVA_HOOK_CAPABLE = 7,
	/* [syscalls] deny */
	SYVA_HOOK_SB_MOUNT = 8,
	SYVA_HOOK_SB_UMOUNT = 9,
	SYVA_HOOK_SB_PIVOTROOT = 10,
	SYVA_HOOK_MOVE_MOUNT = 11,
	SYVA_HOOK_PATH_CHROOT = 12,
	SYVA_HOOK_BPF = 13,
	SYVA_HOOK_PERF_EVENT_OPEN = 14,
	SYVA_HOOK_KERNEL_LOAD_DATA = 15,
	SYVA_HOOK_KERNEL_READ_FILE = 16,
	/* cgroup escape: writes to cgroup.procs, cgroup.threads, tasks */
	SYVA_HOOK_CGROUP_MOVE = 17,
	/* [network] mode and allowed_egress: IPv4/IPv6 destinations */
	SYVA_HOOK_SOCKET_CONNECT = 18,
	SYVA_HOOK_SOCKET_SENDMSG = 19,
	/* [filesystem] writable_paths: file_open for writing */
	SYVA_HOOK_FILE_WRITE = 20,
	/* a descriptor received over a Unix socket (SCM_RIGHTS) or pidfd_getfd */
	SYVA_HOOK_FILE_RECEIVE = 21,
	/* SIGIO, or F_SETSIG's signal, sent for a file's owner (F_SETOWN) */
	SYVA_HOOK_SIGIO = 22,
	SYVA_HOOK_SELFTEST = 23, /* not an LSM hook: the startup self-test probe */
	SYVA_HOOK_COUNT = 24,
};

/* [syscalls] deny, as bits of syva_zone_policy.denied_ops: one per group of
 * syscalls that one kernel gate stops (policy/syscall_hooks.cpp maps names). */
enum syva_op {
	SYVA_OP_MOUNT = 0,      /* mount: sb_mount */
	SYVA_OP_UMOUNT = 1,     /* umount, umount2: sb_umount */
	SYVA_OP_PIVOT_ROOT = 2, /* pivot_root: sb_pivotroot */
	SYVA_OP_MOVE_MOUNT = 3, /* move_mount: move_mount */
	SYVA_OP_CHROOT = 4,     /* chroot: path_chroot */
	SYVA_OP_BPF = 5,        /* bpf: bpf */
	SYVA_OP_PERF = 6,       /* perf_event_open: perf_event_open */
	SYVA_OP_MODULE = 7,     /* init_module, finit_module: kernel_load_data, kernel_read_file */
	SYVA_OP_KEXEC = 8,      /* kexec_load, kexec_file_load: kernel_load_data, kernel_read_file */
	SYVA_OP_PTRACE = 9,     /* ptrace: ptrace_access_check, even within the zone */
};

/* zone_membership: cgroup v2 id -> zone id */
typedef __u64 syva_cgroup_id;

/* inode_zone key: the file's superblock device in the kernel's own dev_t
 * encoding (MAJOR << 20 | MINOR, as in sb->s_dev, not stat's st_dev) and
 * its inode number. Inode numbers repeat across filesystems, so the device
 * is always part of the key. */
struct syva_inode_key {
	__u64 dev;
	__u64 ino;
};

/* superblock_zone: a filesystem owned whole by a zone, keyed by its s_dev
 * (same encoding as syva_inode_key.dev). A container's overlay rootfs is a
 * superblock of its own, so one entry owns every file in it. */
typedef __u64 syva_superblock_dev;

/* egress_rules key (an LPM trie): the zone, then the destination as an IPv6
 * address (IPv4 as ::ffff:a.b.c.d); prefixlen counts the zone's 32 bits. */
struct syva_egress_key {
	__u32 prefixlen;
	__u32 zone;
	__u8 addr[16];
};

/* The destination ports a prefix allows. A trie answers with the longest
 * match only, so the ports of every shorter rule of the zone that covers the
 * prefix are folded in when the policy is compiled. */
struct syva_egress_ports {
	__u32 any; /* 1: every port */
	__u32 count;
	__u16 ports[SYVA_EGRESS_PORTS]; /* host order */
};

/* writable_paths value, per zone: absolute, normalised paths as the
 * container sees them, NUL-padded; a file is writable when its path is one
 * of them or lies below one. */
struct syva_writable_paths {
	__u32 count;
	__u32 reserved;
	char paths[SYVA_WRITABLE_PATHS][SYVA_WRITABLE_PATH_LEN];
};

/* zone_allowed_comms key: an ordered pair; both orders are written. */
struct syva_zone_pair {
	__u32 a;
	__u32 b;
};

/* zone_policy value. Fields beyond flags are carried for the later hooks
 * (capabilities, resources); the cross-zone hooks read only the maps above. */
#define SYVA_ZONE_F_DEFINED (1u << 0) /* zone has a policy file */
#define SYVA_ZONE_F_AUDIT (1u << 1)   /* would-deny is logged and counted; the operation proceeds */
#define SYVA_ZONE_F_CAPS (1u << 2)    /* [capabilities] given: caps_allowed is enforced */
#define SYVA_ZONE_F_WRITABLE (1u << 3) /* writable_paths given: writes elsewhere are denied */
struct syva_zone_policy {
	__u32 flags;
	__u32 network_mode; /* 0 isolated, 1 bridged, 2 host */
	__u64 caps_allowed; /* bit n = capability n */
	__u64 memory_limit;
	__u32 cpu_shares;
	__u32 pids_max;
	__u64 denied_ops; /* bit n = enum syva_op n */
};

/* zone_names value: for `syva status` and the event log, read from the
 * pins only. */
struct syva_zone_name {
	char name[SYVA_ZONE_NAME_LEN];
};

/* counters: per-CPU array indexed by enum syva_hook. `allow` counts only
 * decisions about zoned callers: unzoned callers are not enforced and cost
 * one map lookup, nothing more. */
struct syva_counters {
	__u64 allow;
	__u64 deny;
	__u64 error;
	__u64 dropped; /* deny events lost because the ring buffer was full */
	__u64 audit;   /* would have denied, in a zone in audit mode */
};

/* selftest: one entry. User space names a tgid; the self-test program
 * records what the kernel side computes for that task, so user space can
 * compare it with its own view (cgroup directory inode, stat of the file). */
struct syva_selftest {
	__u32 tgid;           /* in: the probe task */
	__u32 hits;           /* out: how many times the probe ran */
	__u64 cgroup_id;      /* out: caller's cgroup id, as caller hooks read it */
	__u64 task_cgroup_id; /* out: same task through the target-task path */
	__u64 dev;            /* out: inode key as the file hooks compute it */
	__u64 ino;
};

/* agent_state: one entry, written by the agent only, read by `syva status`:
 * what the maps cannot say by themselves. */
#define SYVA_POLICY_ERROR_LEN 512
enum syva_containerd_link {
	SYVA_CONTAINERD_UNKNOWN = 0,
	SYVA_CONTAINERD_CONNECTED = 1,
	SYVA_CONTAINERD_UNREACHABLE = 2,
};
struct syva_agent_state {
	__u64 policy_generation; /* policies applied since the maps were made */
	__u64 policy_applied_at; /* CLOCK_REALTIME seconds of the last apply */
	__u32 policy_rejected;   /* 1: the last change was invalid; the previous policy stays */
	__u32 containerd;        /* enum syva_containerd_link */
	char policy_error[SYVA_POLICY_ERROR_LEN]; /* why it was rejected */
	__u64 limit_failures;    /* [resources] writes to member cgroups that failed */
	char limit_error[SYVA_POLICY_ERROR_LEN]; /* the last one */
};

/* Deny event, one per denial, written to the `events` ring buffer. */
struct syva_event {
	__u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 hook;
	__u32 pid;  /* thread id */
	__u32 tgid; /* process id */
	__u32 caller_zone;
	__u32 target_zone;
	__u32 target_pid; /* task hooks; peer's creator for sockets is unknown: 0 */
	__u64 caller_cgroup;
	__u64 target_cgroup; /* task and socket hooks */
	__u64 dev; /* file hooks, kernel dev_t encoding */
	__u64 ino;
	__u32 signal;    /* task_kill */
	__u32 aux;       /* ptrace: mode; mmap: prot; capable: capability; kernel_*: id */
	__u32 flags;     /* SYVA_EVENT_F_* */
	__u16 port;      /* socket hooks: destination port, host order */
	__u16 family;    /* socket hooks: AF_INET or AF_INET6 */
	__u8 addr[16];   /* socket hooks: destination, IPv4 as ::ffff:a.b.c.d */
	char comm[16];
};
#define SYVA_EVENT_F_AUDIT (1u << 0) /* the operation went ahead: the caller's zone audits */
