/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The maps Syva pins under its pin path. Every program unit includes this
 * header and the units are linked into one object (bpftool gen object):
 * each definition is weak so that the linker keeps one map of each name,
 * shared by all programs. Each unit carries the same license, kept once.
 */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "syva_abi.h"

char LICENSE[] SEC("license") = "GPL";

/* Hash maps that can grow large are allocated on insert: the hooks never run
 * in NMI context, and a node with few zones should not pay for the maximum. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYVA_MAX_MEMBERS);
	__type(key, syva_cgroup_id);
	__type(value, __u32);
} zone_membership SEC(".maps") __weak;

/* How many zone_membership keys each slot (cgroup id & (SYVA_MEMBER_SLOTS
 * - 1)) holds at most: a caller whose slot counts 0 is in no zone without
 * the hash lookup. Never below the true number, or a member would go
 * unconfined: every writer adds before it inserts a key and subtracts only
 * after a delete that succeeded. The agent adds and subtracts through its
 * mapping of the array (hence mmapable), atomically beside the programs;
 * 64-bit values, as a mapped array lays its elements out 8 bytes apart. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, SYVA_MEMBER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} member_slots SEC(".maps") __weak;

/* A member's zone in one 64-bit word per slot (SYVA_MEMBER_CACHE_ID_BITS):
 * a zoned cgroup whose slot names it skips the hash. Only the agent writes
 * it, with its zone_membership writes, and it clears a slot's entry before
 * it writes that cgroup's key (and fills it after), so that an entry never
 * names a zone the hash no longer holds; the kernel's own writers leave it
 * alone (a new cgroup is not in it; a removed one's id is never reused). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, SYVA_MEMBER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} member_cache SEC(".maps") __weak;

/* The same for superblock_zone, by s_dev & (SYVA_MEMBER_SLOTS - 1): a file
 * whose inode no zone owns is on a filesystem no zone owns, for most
 * files, without the second hash. Only the agent writes superblock_zone. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, SYVA_MEMBER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} superblock_slots SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYVA_MAX_ZONES);
	__type(key, __u32);
	__type(value, struct syva_zone_policy);
} zone_policy SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYVA_MAX_ZONES);
	__type(key, __u32);
	__type(value, struct syva_zone_name);
} zone_names SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYVA_MAX_INODES);
	__type(key, struct syva_inode_key);
	__type(value, __u32);
} inode_zone SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYVA_MAX_SUPERBLOCKS);
	__type(key, syva_superblock_dev);
	__type(value, __u32);
} superblock_zone SEC(".maps") __weak;

/* A file's owner cached in its inode (SYVA_OWNER_ZONE_BITS): a zoned
 * caller opening a file it opened before skips both hashes. The hashes stay
 * the record, as an inode evicted from the cache takes its entry along. */
struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} inode_owner_cache SEC(".maps") __weak;

/* The epoch inode_owner_cache entries must carry to hold. The agent writes
 * inode_zone and superblock_zone, then advances it with one 64-bit store
 * through its mapping (a torn value could name an epoch still to come);
 * the kernel's own inode_zone writer, inode_init_security, clears the one
 * inode's entry instead. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} inode_owner_epoch SEC(".maps") __weak;

/* How many inodes hold an inode_owner_cache entry, at least: added to
 * before an entry is made, taken from when an inode that has one is freed.
 * Entries are charged to the memory cgroup of the agent that made the map,
 * so none is made past SYVA_OWNER_CACHE_MAX: a zone opening millions of
 * files of its own costs lookups then, not the agent's memory. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} inode_owner_cached SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYVA_MAX_PAIRS);
	__type(key, struct syva_zone_pair);
	__type(value, __u8);
} zone_allowed_comms SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYVA_MAX_ZONES);
	__type(key, __u32);
	__type(value, struct syva_writable_paths);
} writable_paths SEC(".maps") __weak;

/* Per-CPU room for the path of a file being written: too big for the BPF
 * stack, and PATH_MAX so that no path the kernel accepts is too long. */
#define SYVA_PATH_SCRATCH 4096
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[SYVA_PATH_SCRATCH]);
} path_scratch SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYVA_MAX_EGRESS_RULES);
	__type(key, struct syva_egress_key);
	__type(value, struct syva_egress_ports);
} egress_rules SEC(".maps") __weak;

/* The zone whose pod holds an address: traffic to it is judged by the
 * pair decision, not by allowed_egress. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYVA_MAX_ADDRESSES);
	__type(key, struct syva_address);
	__type(value, __u32);
} address_zone SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYVA_HOOK_COUNT);
	__type(key, __u32);
	__type(value, struct syva_counters);
} counters SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SYVA_EVENTS_BYTES);
} events SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syva_selftest);
} selftest SEC(".maps") __weak;

/* Tasks that run a zone's workload: marked when a zoned task completes an
 * execve, and inherited on fork. The runtime's own setup inside the
 * container's cgroup (runc's init, before it execs the command, on start
 * and on exec) is not the workload and is not held to [capabilities]. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} workload SEC(".maps") __weak;

/* Who asked for a file's SIGIO: the zone that last set its owner
 * (F_SETOWN), keyed by the file's address. Written for every setter, the
 * host (zone 0) included, and removed only when the file is freed, so no
 * number of other owners set can push a record out. The kernel has no BPF
 * storage of its own for files; a file with an owner and no record (the
 * map was full, or the owner was set before Syva attached) sends no signal
 * at all. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYVA_MAX_SIGIO_OWNERS);
	__type(key, __u64);
	__type(value, __u32);
} sigio_owner_zone SEC(".maps") __weak;

/* How many sigio_owner_zone records each slot of file addresses holds at
 * least (see sigio_slot in tasks.bpf.c): a file freed with an empty slot
 * has no record to delete. Only the programs write it. A count below the
 * true number only leaks a record (freed files never reach
 * file_send_sigiotask); the decision reads sigio_owner_zone itself. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYVA_SIGIO_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} sigio_slots SEC(".maps") __weak;

/* The zone that made each SysV IPC object (see ipc.bpf.c). Only zoned
 * makers are recorded: an object without an entry is the host's. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYVA_MAX_IPC_OBJECTS);
	__type(key, __u64);
	__type(value, struct syva_ipc_owner);
} ipc_owner SEC(".maps") __weak;

/* Credentials io_uring runs a zone's requests with instead of the task's
 * own (a registered personality, an SQPOLL thread's), keyed by their
 * address: capable judges these as it judges the task's own. The entry
 * goes when the credentials are freed. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYVA_MAX_URING_CREDS);
	__type(key, __u64);
	__type(value, __u32);
} uring_creds SEC(".maps") __weak;

/* The BPF objects the agent owns (maps, programs, links), which no zoned
 * process may hold a descriptor of. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYVA_MAX_OBJECTS);
	__type(key, struct syva_object);
	__type(value, __u8);
} syva_objects SEC(".maps") __weak;

/* Top-level cgroups under which a new cgroup starts PENDING (see
 * placement.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYVA_MAX_GUARDED_ROOTS);
	__type(key, struct syva_cgroup_name);
	__type(value, __u8);
} guarded_roots SEC(".maps") __weak;

/* Not read by any program: pinned so that `syva status` can read it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syva_agent_state);
} agent_state SEC(".maps") __weak;
