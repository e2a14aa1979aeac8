// SPDX-License-Identifier: Apache-2.0
// Against this machine's own kernel BTF (loading BPF-LSM is not needed).
#include <catch2/catch.hpp>

#include <bpf/btf.h>

#include "enforcer/hook_arguments.h"
#include "support/skip.h"

using namespace syva;

TEST_CASE("hook argument positions come from the kernel's own prototypes", "[hook_arguments]") {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) {
    SYVA_SKIP("this kernel has no BTF at /sys/kernel/btf/vmlinux");
    return;
  }
  CHECK(lsm_argument_index(vmlinux, "file_open", "file") == 0u);
  CHECK(lsm_argument_index(vmlinux, "path_rename", "dentry") == 1u);
  CHECK_FALSE(lsm_argument_index(vmlinux, "file_open", "dentry"));
  CHECK_FALSE(lsm_argument_index(vmlinux, "no_such_hook", "file"));
  // inode_setattr's dentry follows the mount's idmap where the kernel
  // passes one (6.9 on), and comes first where it does not.
  const auto idmap = lsm_argument_index(vmlinux, "inode_setattr", "mnt_idmap");
  CHECK(lsm_argument_index(vmlinux, "inode_setattr", "dentry") == (idmap ? 1u : 0u));
  CHECK(lsm_argument_count(vmlinux, "file_open") == 1u);
  CHECK(lsm_argument_count(vmlinux, "path_rename") >= 4u);
  CHECK_FALSE(lsm_argument_count(vmlinux, "no_such_hook"));
  btf__free(vmlinux);
}
