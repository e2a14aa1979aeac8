// SPDX-License-Identifier: Apache-2.0
// Inherited inode_zone entries the agent writes for a container's writable
// layer. The kernel writes such entries too (inode_init_security) and frees
// them with their inodes, so every write here checks what is there first
// and creates only with BPF_NOEXIST. A change advances inode_owner_epoch.
#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "enforcer/enforcer.h"
#include "enforcer/inode_owner_epoch.h"
#include "syva.skel.h"

namespace syva {

bool Enforcer::claim_inode(const syva_inode_key& key, uint32_t zone) {
  const int fd = bpf_map__fd(skel_->maps.inode_zone);
  const uint32_t inherited = zone | SYVA_INODE_INHERITED;
  for (int attempt = 0; attempt < 2; ++attempt) {
    uint32_t value = 0;
    if (bpf_map_lookup_elem(fd, &key, &value) == 0) return (value & ~SYVA_INODE_INHERITED) == zone;
    if (bpf_map_update_elem(fd, &key, &inherited, BPF_NOEXIST) == 0) {
      inode_owner_epoch_->advance();
      return true;
    }
    // EEXIST: the kernel gave it an owner since the lookup; read it again.
    if (errno != EEXIST) throw EnforcerError(fmt::format("writing map inode_zone failed: {}", strerror(errno)));
  }
  return false;
}

void Enforcer::release_inode(const syva_inode_key& key, uint32_t zone) {
  const int fd = bpf_map__fd(skel_->maps.inode_zone);
  uint32_t value = 0;
  if (bpf_map_lookup_elem(fd, &key, &value) != 0 || value != (zone | SYVA_INODE_INHERITED)) return;
  if (bpf_map_delete_elem(fd, &key) != 0) {
    if (errno == ENOENT) return;
    throw EnforcerError(fmt::format("removing an entry from inode_zone failed: {}", strerror(errno)));
  }
  inode_owner_epoch_->advance();
}

}  // namespace syva
