// SPDX-License-Identifier: Apache-2.0
// The agent's side of inode_owner_epoch (syva_maps.bpf.h): the epoch a
// file's owner cached in its inode must carry to hold. Every write to
// inode_zone or superblock_zone is followed by advance(), so that no cached
// answer from before the write is believed after it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace syva {

// A shared mapping of the map's one 64-bit word. Advances the epoch once
// when made: a previous agent may have stopped between a write and its
// advance. Throws EnforcerError if the map cannot be mapped.
class InodeOwnerEpoch {
 public:
  explicit InodeOwnerEpoch(int epoch_fd);
  ~InodeOwnerEpoch();
  InodeOwnerEpoch(const InodeOwnerEpoch&) = delete;
  InodeOwnerEpoch& operator=(const InodeOwnerEpoch&) = delete;
  // One 64-bit store: a reader never sees half of two epochs.
  void advance();

 private:
  void* memory_;
  size_t length_;
};

// Advances `epoch` when the scope that writes inode_zone ends, its writes
// done or not.
struct EpochAdvanceAtExit {
  InodeOwnerEpoch& epoch;
  ~EpochAdvanceAtExit() { epoch.advance(); }
};

}  // namespace syva
