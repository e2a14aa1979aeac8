/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
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
/*
 * Two zone ids are not zones but states, at the top of the id range, which
 * policies never get. Both reach nothing and own nothing: their members are
 * confined alone, each cgroup apart from every other, with no pairs.
 *   PENDING: a cgroup made under a guarded root (a container runtime's
 *            hierarchy) that the agent has not placed yet; the kernel writes
 *            it when the cgroup is made, before any process can join.
 *   QUARANTINE: a container the agent could not place where it asked.
 */
#define SYVA_ZONE_PENDING (SYVA_MAX_ZONES - 1)
#define SYVA_ZONE_QUARANTINE (SYVA_MAX_ZONES - 2)
#define SYVA_FIRST_STATE_ZONE SYVA_ZONE_QUARANTINE /* policy zones: 1 .. this - 1 */
#define SYVA_MAX_MEMBERS 65536
/* zone_membership's filter (member_slots in syva_maps.bpf.h): a cgroup id's
 * slot is its low bits. */
#define SYVA_MEMBER_SLOTS (1u << 16)
/* member_cache entries: zone << 48 | cgroup id, for ids below 2^48 (a
 * kernfs generation below 2^16) and zones other than SYVA_ZONE_NONE; 0 is
 * empty (no cgroup's id is 0). */
#define SYVA_MEMBER_CACHE_ID_BITS 48
#define SYVA_MEMBER_CACHE_ID_MASK ((1ULL << SYVA_MEMBER_CACHE_ID_BITS) - 1)
#define SYVA_MAX_INODES (1u << 22) /* allocated per entry: a bound, not a reservation */
#define SYVA_MAX_SUPERBLOCKS 65536
#define SYVA_MAX_EGRESS_RULES 16384
#define SYVA_MAX_ADDRESSES 65536
#define SYVA_EGRESS_PORTS 16
#define SYVA_WRITABLE_PATHS 8
#define SYVA_WRITABLE_PATH_LEN 64
#define SYVA_MAX_PAIRS 65536
#define SYVA_MAX_SIGIO_OWNERS (1u << 20)
#define SYVA_SIGIO_SLOTS (1u << 16)
#define SYVA_MAX_IPC_OBJECTS (1u << 20)
#define SYVA_MAX_URING_CREDS 65536
#define SYVA_ZONE_NAME_LEN 64
#define SYVA_EVENTS_BYTES (1u << 20)

/*
 * The checks Syva makes, one row each. A row's position is the check's
 * number: it indexes the counters map and names the check in events, both of
 * which outlive one agent in pins, so rows are only ever appended.
 *   name:  in log lines, `syva status` and metrics. A check that is one LSM
 *          hook's question carries that hook's name; one that several hooks
 *          share, or that is a zone's own rule, carries a name no hook has.
 *   kind:  CROSS_ZONE, the caller reached another zone's (or the host's)
 *          object and events name both zones; ZONE_RULE, the caller's zone
 *          forbids the operation whatever it touches; MARKER, records what
 *          later checks read and counts only its failures; PROBE, the
 *          start-up self-test, never attached while enforcing.
 *   hooks: the LSM hooks whose programs make the check, and tracepoints as
 *          "tp_btf/<name>" (a unit test holds this against the sections of
 *          the programs in the skeleton).
 */
#define SYVA_CHECKS(X)                                                                          \
	X(FILE_OPEN, "file_open", CROSS_ZONE, "file_open")                                      \
	X(BPRM_CHECK, "bprm_check_security", CROSS_ZONE, "bprm_check_security")                 \
	X(MMAP_FILE, "mmap_file", CROSS_ZONE, "mmap_file")                                      \
	X(PTRACE, "ptrace_access_check", CROSS_ZONE, "ptrace_access_check")                     \
	X(TASK_KILL, "task_kill", CROSS_ZONE, "task_kill")                                      \
	X(UNIX_CONNECT, "unix_stream_connect", CROSS_ZONE, "unix_stream_connect")               \
	X(UNIX_SEND, "unix_may_send", CROSS_ZONE, "unix_may_send")                              \
	/* [capabilities] allowed */                                                            \
	X(CAPABLE, "capable", ZONE_RULE, "capable")                                             \
	/* [syscalls] deny */                                                                   \
	X(SB_MOUNT, "sb_mount", ZONE_RULE, "sb_mount")                                          \
	X(SB_UMOUNT, "sb_umount", ZONE_RULE, "sb_umount")                                       \
	X(SB_PIVOTROOT, "sb_pivotroot", ZONE_RULE, "sb_pivotroot")                              \
	X(MOVE_MOUNT, "move_mount", ZONE_RULE, "move_mount")                                    \
	X(PATH_CHROOT, "path_chroot", ZONE_RULE, "path_chroot")                                 \
	X(BPF, "bpf", ZONE_RULE, "bpf")                                                         \
	X(PERF_EVENT_OPEN, "perf_event_open", ZONE_RULE, "perf_event_open")                     \
	X(KERNEL_LOAD_DATA, "kernel_load_data", ZONE_RULE, "kernel_load_data")                  \
	X(KERNEL_READ_FILE, "kernel_read_file", ZONE_RULE, "kernel_read_file")                  \
	/* leaving the zone's cgroup: cgroup.procs, cgroup.threads, tasks, CLONE_INTO_CGROUP */ \
	X(CGROUP_ESCAPE, "cgroup_escape", ZONE_RULE, "file_open file_receive task_alloc")       \
	/* [network] mode and allowed_egress: IPv4/IPv6 destinations */                         \
	X(SOCKET_CONNECT, "socket_connect", ZONE_RULE, "socket_connect")                        \
	X(SOCKET_SENDMSG, "socket_sendmsg", ZONE_RULE, "socket_sendmsg")                        \
	/* [filesystem] writable_paths: a regular file opened for writing or truncated, and  */ \
	/* entries made, removed, linked or renamed */                                          \
	X(WRITABLE_PATHS, "writable_paths", ZONE_RULE,                                          \
	  "file_open path_truncate file_truncate path_mknod path_mkdir path_symlink "           \
	  "path_unlink path_rmdir path_link path_rename")                                       \
	/* a descriptor received over a Unix socket (SCM_RIGHTS) or pidfd_getfd */              \
	X(FILE_RECEIVE, "file_receive", CROSS_ZONE, "file_receive")                             \
	/* SIGIO, or F_SETSIG's signal, sent for a file's owner (F_SETOWN) */                   \
	X(SIGIO, "file_send_sigiotask", CROSS_ZONE, "file_send_sigiotask")                      \
	X(SELFTEST, "selftest", PROBE, "file_open")                                             \
	/* the zone's workload: tasks that exec'd in the zone, and their children */            \
	X(WORKLOAD, "workload_mark", MARKER, "bprm_committed_creds task_alloc")                 \
	/* who set a file's SIGIO owner, for file_send_sigiotask */                             \
	X(SIGIO_OWNER, "sigio_owner", MARKER, "file_set_fowner file_free_security")             \
	/* files changed without being opened */                                                \
	X(FILE_MPROTECT, "file_mprotect", CROSS_ZONE, "file_mprotect")                          \
	X(PATH_UNLINK, "path_unlink", CROSS_ZONE, "path_unlink")                                \
	X(PATH_RMDIR, "path_rmdir", CROSS_ZONE, "path_rmdir")                                   \
	X(PATH_CREATE, "entry_create", CROSS_ZONE, "path_mknod path_mkdir path_symlink")        \
	X(PATH_LINK, "path_link", CROSS_ZONE, "path_link")                                      \
	X(PATH_RENAME, "path_rename", CROSS_ZONE, "path_rename")                                \
	X(INODE_SETATTR, "inode_setattr", CROSS_ZONE, "inode_setattr")                          \
	X(INODE_XATTR, "xattr_change", CROSS_ZONE,                                              \
	  "inode_setxattr inode_removexattr inode_set_acl inode_remove_acl")                    \
	/* a new file inherits its directory's owner; a freed inode's entry goes */             \
	X(FILE_OWNER, "file_owner", MARKER, "inode_init_security inode_free_security")          \
	/* cgroup control files (cgroup.kill, memory.max, ...) of the cgroup's zone */          \
	X(CGROUP_CONTROL, "cgroup_control", CROSS_ZONE, "file_open file_receive")               \
	/* processes acted on without a signal */                                               \
	X(TASK_SETNICE, "task_setnice", CROSS_ZONE, "task_setnice")                             \
	X(TASK_SETIOPRIO, "task_setioprio", CROSS_ZONE, "task_setioprio")                       \
	X(TASK_SETSCHEDULER, "task_setscheduler", CROSS_ZONE, "task_setscheduler")              \
	X(TASK_SETRLIMIT, "task_setrlimit", CROSS_ZONE, "task_setrlimit")                       \
	X(TASK_MOVEMEMORY, "task_movememory", CROSS_ZONE, "task_movememory")                    \
	X(TASK_SETPGID, "task_setpgid", CROSS_ZONE, "task_setpgid")                             \
	X(PTRACE_TRACEME, "ptrace_traceme", CROSS_ZONE, "ptrace_traceme")                       \
	/* Syva's own maps, programs, links and pins */                                         \
	X(SYVA_OBJECTS, "syva_objects", CROSS_ZONE,                                             \
	  "bpf bpf_map bpf_prog path_unlink path_rmdir path_rename")                            \
	/* cgroups under a guarded root start PENDING; their entries go with them */            \
	X(CGROUP_PENDING, "cgroup_pending", MARKER, "tp_btf/cgroup_mkdir tp_btf/cgroup_rmdir")  \
	/* [network] mode: raw IP, packet and XDP sockets, outside host mode */                 \
	X(SOCKET_CREATE, "socket_create", ZONE_RULE, "socket_create")                           \
	/* an IPv4/IPv6 destination that is another zone's pod address (address_zone) */        \
	X(ZONE_ADDRESS, "zone_address", CROSS_ZONE, "socket_connect socket_sendmsg")             \
	/* a connection or datagram arriving at a zone's listening or unconnected socket */     \
	X(ZONE_INBOUND, "zone_inbound", CROSS_ZONE, "socket_sock_rcv_skb")                      \
	/* the zone that made a SysV IPC object; the entry goes with the object */              \
	X(IPC_OWNER, "ipc_owner", MARKER,                                                       \
	  "shm_alloc_security sem_alloc_security msg_queue_alloc_security "                     \
	  "shm_free_security sem_free_security msg_queue_free_security")                        \
	/* SysV IPC objects of another zone or the host: get, attach, operate, read */          \
	X(IPC_PERMISSION, "ipc_permission", CROSS_ZONE, "ipc_permission")                       \
	/* ... and control (IPC_RMID, IPC_SET, *_STAT_ANY), which skips ipc_permission */       \
	X(IPC_CONTROL, "ipc_control", CROSS_ZONE, "shm_shmctl sem_semctl msg_queue_msgctl")     \
	/* [syscalls] deny = ["mount"]: a filesystem configured or created (fsconfig) */       \
	X(FS_CONTEXT, "fs_context", ZONE_RULE, "fs_context_parse_param sb_set_mnt_opts")       \
	/* credentials io_uring runs requests with (personalities, SQPOLL), for capable */      \
	X(URING_CREDS, "uring_creds", MARKER, "uring_override_creds uring_sqpoll cred_free")

enum syva_check_kind {
	SYVA_KIND_CROSS_ZONE = 0,
	SYVA_KIND_ZONE_RULE = 1,
	SYVA_KIND_MARKER = 2,
	SYVA_KIND_PROBE = 3,
};

#define SYVA_CHECK_ENUM_ROW(id, name, kind, hooks) SYVA_HOOK_##id,
enum syva_hook { SYVA_CHECKS(SYVA_CHECK_ENUM_ROW) SYVA_HOOK_COUNT };
#undef SYVA_CHECK_ENUM_ROW

/* [syscalls] deny, as bits of syva_zone_policy.denied_ops: one per group of
 * syscalls that one kernel gate stops (policy/syscall_hooks.cpp maps names). */
enum syva_op {
	SYVA_OP_MOUNT = 0,	/* mount, the new mount API: sb_mount, move_mount, fs_context_parse_param, sb_set_mnt_opts */
	SYVA_OP_UMOUNT = 1,	/* umount, umount2: sb_umount */
	SYVA_OP_PIVOT_ROOT = 2, /* pivot_root: sb_pivotroot */
	SYVA_OP_MOVE_MOUNT = 3, /* move_mount: move_mount */
	SYVA_OP_CHROOT = 4,	/* chroot: path_chroot */
	SYVA_OP_BPF = 5,	/* bpf: bpf */
	SYVA_OP_PERF = 6,	/* perf_event_open: perf_event_open */
	SYVA_OP_MODULE = 7,	/* init_module, finit_module: kernel_load_data, kernel_read_file */
	SYVA_OP_KEXEC = 8,	/* kexec_load, kexec_file_load: kernel_load_data, kernel_read_file */
	SYVA_OP_PTRACE = 9,	/* ptrace: ptrace_access_check, even within the zone */
};

/* zone_membership: cgroup v2 id -> zone id */
typedef __u64 syva_cgroup_id;

/* guarded_roots key: the name of a top-level cgroup (a directory in the
 * cgroup2 root, e.g. "kubepods.slice") under which every new cgroup starts
 * PENDING. NUL-padded. */
#define SYVA_CGROUP_NAME_LEN 64
#define SYVA_MAX_GUARDED_ROOTS 64
struct syva_cgroup_name {
	char name[SYVA_CGROUP_NAME_LEN];
};

/* inode_zone key: the file's superblock device in the kernel's own dev_t
 * encoding (MAJOR << 20 | MINOR, as in sb->s_dev, not stat's st_dev) and
 * its inode number. Inode numbers repeat across filesystems, so the device
 * is always part of the key. */
struct syva_inode_key {
	__u64 dev;
	__u64 ino;
};

/* inode_zone value: the owning zone's id, with this bit set when the kernel
 * gave the file its directory's owner as it was made (inode_init_security)
 * rather than the agent from a policy's host_paths. The agent keeps such
 * entries across policy changes while their zone keeps its id. */
#define SYVA_INODE_INHERITED (1u << 31)

/* superblock_zone: a filesystem owned whole by a zone, keyed by its s_dev
 * (same encoding as syva_inode_key.dev). A container's overlay rootfs is a
 * superblock of its own, so one entry owns every file in it. */
typedef __u64 syva_superblock_dev;

/* inode_owner_cache: a file's owner (inode_zone, else superblock_zone) as a
 * program last found it, kept with the inode: epoch << SYVA_OWNER_ZONE_BITS
 * | zone. It holds while inode_owner_epoch still holds that epoch, which the
 * agent advances after every write to either map; epoch 0 is never valid
 * (new storage reads 0). Zone ids fit below SYVA_MAX_ZONES = 2^14. */
#define SYVA_OWNER_ZONE_BITS 16
#define SYVA_OWNER_ZONE_MASK ((1ULL << SYVA_OWNER_ZONE_BITS) - 1)
/* Entries inode_owner_cache may hold: two 192-byte slab objects each (the
 * inode's storage and the entry), charged to the agent's memory cgroup;
 * 48 MiB at most. */
#define SYVA_OWNER_CACHE_MAX (1u << 17)

/* egress_rules key (an LPM trie): the zone, then the destination as an IPv6
 * address (IPv4 as ::ffff:a.b.c.d); prefixlen counts the zone's 32 bits. */
struct syva_egress_key {
	__u32 prefixlen;
	__u32 zone;
	__u8 addr[16];
};

/* address_zone key: a zoned pod's (or container's) IP address, IPv4 as
 * ::ffff:a.b.c.d, as egress destinations are read. The value is the zone;
 * SYVA_ZONE_NONE marks one of the node's own addresses (what
 * [network] accept_from_node admits inbound). */
struct syva_address {
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

/* ipc_owner value, keyed by the object's kern_ipc_perm address: who made a
 * SysV shared memory segment, semaphore set or message queue. The cgroup
 * tells pending and quarantined makers apart, and finds the zone a pending
 * maker was placed in later. */
struct syva_ipc_owner {
	__u32 zone;
	__u32 reserved;
	__u64 cgroup;
};

/* zone_allowed_comms key: an ordered pair; both orders are written. */
struct syva_zone_pair {
	__u32 a;
	__u32 b;
};

/* syva_objects key: a BPF object the agent owns, by its kernel id (each
 * kind has its own id space). */
enum syva_object_kind {
	SYVA_OBJECT_ANY = 0, /* not a key: any pinned object, for BPF_OBJ_GET */
	SYVA_OBJECT_MAP = 1,
	SYVA_OBJECT_PROG = 2,
	SYVA_OBJECT_LINK = 3,
};
struct syva_object {
	__u32 kind;
	__u32 id;
};
#define SYVA_MAX_OBJECTS 1024

/* [network] mode */
enum syva_network_mode {
	SYVA_NET_ISOLATED = 0, /* loopback only */
	SYVA_NET_BRIDGED = 1,  /* loopback and allowed_egress */
	SYVA_NET_HOST = 2,     /* not restricted */
};

/* zone_policy value. Fields beyond flags are carried for the later hooks
 * (capabilities, resources); the cross-zone hooks read only the maps above. */
#define SYVA_ZONE_F_DEFINED (1u << 0)  /* zone has a policy file */
#define SYVA_ZONE_F_AUDIT (1u << 1)    /* would-deny is logged and counted; the operation proceeds */
#define SYVA_ZONE_F_CAPS (1u << 2)     /* [capabilities] given: caps_allowed is enforced */
#define SYVA_ZONE_F_WRITABLE (1u << 3) /* writable_paths given: writes elsewhere are denied */
#define SYVA_ZONE_F_FROM_NODE (1u << 4) /* [network] accept_from_node: the node's addresses reach the zone inbound */
struct syva_zone_policy {
	__u32 flags;
	__u32 network_mode; /* enum syva_network_mode */
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

/* counters: per-CPU array indexed by enum syva_hook (the check number). `allow` counts only
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
	__u32 tgid;	      /* in: the probe task */
	__u32 hits;	      /* out: how many times the probe ran */
	__u64 cgroup_id;      /* out: caller's cgroup id, as caller hooks read it */
	__u64 task_cgroup_id; /* out: same task through the target-task path */
	__u64 dev;	      /* out: inode key as the file hooks compute it */
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
	__u32 policy_rejected;	 /* 1: the last change was invalid; the previous policy stays */
	__u32 containerd;	 /* enum syva_containerd_link */
	char policy_error[SYVA_POLICY_ERROR_LEN]; /* why it was rejected */
	__u64 limit_failures;			  /* [resources] writes to member cgroups that failed */
	char limit_error[SYVA_POLICY_ERROR_LEN];  /* the last one */
	/* Programs left out of the load, space separated: those whose hook this
	 * kernel lacks, and those its verifier refused (with the first reason). */
	char programs_absent[SYVA_POLICY_ERROR_LEN];
	char programs_refused[SYVA_POLICY_ERROR_LEN];
	char refusal[SYVA_POLICY_ERROR_LEN];
	/* What of the policy in force the node kept from being enforced
	 * (unreadable host_paths, too many inodes), and the first such. */
	__u32 policy_degraded;
	/* 1: the node's network namespace could not be read, so loopback is
	 * taken as a pod's own in every namespace (the node's included). */
	__u32 node_netns_unknown;
	char policy_degraded_error[SYVA_POLICY_ERROR_LEN];
	/* Zoned containers running now whose own addresses could not be read,
	 * so address_zone may lack their pod's addresses, and the last reason. */
	__u32 addresses_unread;
	/* Slots of member_slots found counting fewer members than they hold
	 * (raised by the agent; members there went unconfined until then). */
	__u32 member_slot_repairs;
	char addresses_error[SYVA_POLICY_ERROR_LEN];
	/* Zoned containers whose writable layer on the node could not be
	 * (fully) owned by their zone, and the last reason. */
	__u64 layer_failures;
	char layer_error[SYVA_POLICY_ERROR_LEN];
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
	__u64 dev;	     /* file hooks, kernel dev_t encoding */
	__u64 ino;
	__u32 signal; /* task_kill */
	__u32 aux;    /* ptrace: mode; mmap: prot; capable: capability; kernel_*: id; socket_create: type */
	__u32 flags;  /* SYVA_EVENT_F_* */
	__u16 port;   /* socket hooks: destination port (host order; 0: raw, ping); socket_create: protocol */
	__u16 family; /* socket hooks: AF_INET or AF_INET6; socket_create: the family asked for */
	__u8 addr[16]; /* socket hooks: destination, IPv4 as ::ffff:a.b.c.d */
	char comm[16];
};
#define SYVA_EVENT_F_AUDIT (1u << 0) /* the operation went ahead: the caller's zone audits */
