// SPDX-License-Identifier: Apache-2.0
// A minimal io_uring over raw system calls (no liburing in the guest): one
// request at a time, submitted and reaped in the same io_uring_enter(), so
// that an operation's cost is the request's and nothing is left in flight
// between batches.
#pragma once

#include <cstddef>
#include <cstdint>

struct io_uring_sqe;
struct io_uring_cqe;

namespace syva::bench {

class UringRing {
 public:
  UringRing();  // throws std::runtime_error
  ~UringRing();
  UringRing(const UringRing&) = delete;
  UringRing& operator=(const UringRing&) = delete;

  // IORING_REGISTER_PERSONALITY: the caller's credentials as they are now.
  int register_personality();
  // IORING_OP_OPENAT(AT_FDCWD, path, O_RDONLY | O_CLOEXEC) under
  // `personality` (0: the task's own credentials): the request's result, a
  // descriptor or -errno.
  int openat(const char* path, uint16_t personality);

 private:
  int fd_ = -1;
  void* sq_map_ = nullptr;
  void* cq_map_ = nullptr;
  size_t sq_map_size_ = 0, cq_map_size_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqes_size_ = 0;
  unsigned *sq_tail_ = nullptr, *sq_mask_ = nullptr, *sq_array_ = nullptr;
  unsigned *cq_head_ = nullptr, *cq_tail_ = nullptr, *cq_mask_ = nullptr;
  io_uring_cqe* cqes_ = nullptr;
};

// capset() with the sets the task already has: the kernel commits new
// credentials with the same content, so that a personality registered
// before is no longer the task's own and io_uring overrides the
// credentials for each request that names it.
void recommit_credentials();

}  // namespace syva::bench
