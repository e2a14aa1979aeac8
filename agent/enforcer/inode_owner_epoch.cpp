// SPDX-License-Identifier: Apache-2.0
#include "enforcer/inode_owner_epoch.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "enforcer/errors.h"
#include "syva_abi.h"

namespace syva {

namespace {

uint64_t* word(void* memory) { return static_cast<uint64_t*>(memory); }

}  // namespace

InodeOwnerEpoch::InodeOwnerEpoch(int epoch_fd) : memory_(nullptr), length_(getpagesize()) {
  memory_ = mmap(nullptr, length_, PROT_READ | PROT_WRITE, MAP_SHARED, epoch_fd, 0);
  if (memory_ == MAP_FAILED) throw EnforcerError(fmt::format("mapping inode_owner_epoch failed: {}", strerror(errno)));
  advance();
}

InodeOwnerEpoch::~InodeOwnerEpoch() { munmap(memory_, length_); }

// The programs keep SYVA_OWNER_ZONE_BITS of a cached word for the zone: an
// epoch that no longer fits starts again at 1 (0 is never valid), where an
// entry last refreshed 2^48 advances ago could ring true; not reachable at
// any rate of writes a node makes.
void InodeOwnerEpoch::advance() {
  constexpr uint64_t kLast = (1ULL << (64 - SYVA_OWNER_ZONE_BITS)) - 1;
  uint64_t now = __atomic_load_n(word(memory_), __ATOMIC_ACQUIRE), next;
  do {
    next = now >= kLast ? 1 : now + 1;
  } while (!__atomic_compare_exchange_n(word(memory_), &now, next, false, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE));
}

}  // namespace syva
