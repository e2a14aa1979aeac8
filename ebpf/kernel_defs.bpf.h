/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Kernel constants the programs test against that vmlinux.h cannot carry:
 * it holds types and enums from BTF, not the kernel's #defines.
 */
#pragma once

#define EPERM 1
#define ENOMEM 12

/* open_exec() passes __FMODE_EXEC in the open flags; 6.1 does not copy it
 * into f_mode, so f_flags is where an exec open shows (as AppArmor and
 * TOMOYO test it since 6.8). open(2) cannot set this bit. */
#define __FMODE_EXEC 0x20
#define FMODE_WRITE 0x2
#define O_TRUNC 01000

#define S_IFMT 00170000
#define S_IFREG 0100000

#define PROT_EXEC 0x4
#define SIGIO 29
#define CLONE_INTO_CGROUP 0x200000000ULL
#define CAP_OPT_NOAUDIT 0x2
#define SB_KERNMOUNT (1u << 22)

#define AF_UNSPEC 0
#define AF_INET 2
#define AF_INET6 10
#define AF_PACKET 17
#define AF_XDP 44

/* Superblock magics of the kernel's own interfaces. */
#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define SECURITYFS_MAGIC 0x73636673
#define DEBUGFS_MAGIC 0x64626720
#define TRACEFS_MAGIC 0x74726163
#define BPF_FS_MAGIC 0xcafe4a11
