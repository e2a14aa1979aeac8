// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * The floor of any BPF-LSM design, for the benchmarks only (never in the
 * agent): one program per LSM hook Syva attaches to, each allowing
 * everything at once. syva-bench attaches these instead of Syva's programs
 * to measure what an LSM program costs before it does anything, and checks
 * at run time that the hooks here are exactly Syva's (bench/empty_programs.cpp).
 */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#define EMPTY(hook)                                         \
	SEC("lsm/" #hook)                                   \
	int empty_##hook(void *ctx)                         \
	{                                                   \
		return 0;                                   \
	}

EMPTY(bpf)
EMPTY(bpf_map)
EMPTY(bpf_prog)
EMPTY(bprm_check_security)
EMPTY(bprm_committed_creds)
EMPTY(capable)
EMPTY(cred_free)
EMPTY(file_free_security)
EMPTY(file_mprotect)
EMPTY(file_open)
EMPTY(file_receive)
EMPTY(file_send_sigiotask)
EMPTY(file_set_fowner)
EMPTY(file_truncate)
EMPTY(fs_context_parse_param)
EMPTY(inode_free_security)
EMPTY(inode_init_security)
EMPTY(inode_remove_acl)
EMPTY(inode_removexattr)
EMPTY(inode_set_acl)
EMPTY(inode_setattr)
EMPTY(inode_setxattr)
EMPTY(ipc_permission)
EMPTY(kernel_load_data)
EMPTY(kernel_read_file)
EMPTY(mmap_file)
EMPTY(move_mount)
EMPTY(msg_queue_alloc_security)
EMPTY(msg_queue_free_security)
EMPTY(msg_queue_msgctl)
EMPTY(path_chroot)
EMPTY(path_link)
EMPTY(path_mkdir)
EMPTY(path_mknod)
EMPTY(path_rename)
EMPTY(path_rmdir)
EMPTY(path_symlink)
EMPTY(path_truncate)
EMPTY(path_unlink)
EMPTY(perf_event_open)
EMPTY(ptrace_access_check)
EMPTY(ptrace_traceme)
EMPTY(sb_mount)
EMPTY(sb_pivotroot)
EMPTY(sb_set_mnt_opts)
EMPTY(sb_umount)
EMPTY(sem_alloc_security)
EMPTY(sem_free_security)
EMPTY(sem_semctl)
EMPTY(shm_alloc_security)
EMPTY(shm_free_security)
EMPTY(shm_shmctl)
EMPTY(socket_connect)
EMPTY(socket_create)
EMPTY(socket_sendmsg)
EMPTY(socket_sock_rcv_skb)
EMPTY(task_alloc)
EMPTY(task_kill)
EMPTY(task_movememory)
EMPTY(task_setioprio)
EMPTY(task_setnice)
EMPTY(task_setpgid)
EMPTY(task_setrlimit)
EMPTY(task_setscheduler)
EMPTY(unix_may_send)
EMPTY(unix_stream_connect)
EMPTY(uring_override_creds)
EMPTY(uring_sqpoll)

char LICENSE[] SEC("license") = "GPL";
