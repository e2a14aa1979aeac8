// SPDX-License-Identifier: Apache-2.0
#include "uring_ring.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace syva::bench {

namespace {

template <typename T>
T* at(void* base, uint32_t offset) {
  return reinterpret_cast<T*>(static_cast<char*>(base) + offset);
}

void* map_ring(int fd, size_t size, off_t offset) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
  if (p == MAP_FAILED) throw std::runtime_error(fmt::format("mapping the io_uring: {}", strerror(errno)));
  return p;
}

}  // namespace

UringRing::UringRing() {
  io_uring_params p{};
  fd_ = static_cast<int>(syscall(SYS_io_uring_setup, 4, &p));
  if (fd_ < 0) throw std::runtime_error(fmt::format("io_uring_setup: {}", strerror(errno)));
  sq_map_size_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  cq_map_size_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  if (p.features & IORING_FEAT_SINGLE_MMAP) sq_map_size_ = cq_map_size_ = std::max(sq_map_size_, cq_map_size_);
  sq_map_ = map_ring(fd_, sq_map_size_, IORING_OFF_SQ_RING);
  cq_map_ = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq_map_ : map_ring(fd_, cq_map_size_, IORING_OFF_CQ_RING);
  sqes_size_ = p.sq_entries * sizeof(io_uring_sqe);
  sqes_ = static_cast<io_uring_sqe*>(map_ring(fd_, sqes_size_, IORING_OFF_SQES));
  sq_tail_ = at<unsigned>(sq_map_, p.sq_off.tail);
  sq_mask_ = at<unsigned>(sq_map_, p.sq_off.ring_mask);
  sq_array_ = at<unsigned>(sq_map_, p.sq_off.array);
  cq_head_ = at<unsigned>(cq_map_, p.cq_off.head);
  cq_tail_ = at<unsigned>(cq_map_, p.cq_off.tail);
  cq_mask_ = at<unsigned>(cq_map_, p.cq_off.ring_mask);
  cqes_ = at<io_uring_cqe>(cq_map_, p.cq_off.cqes);
}

UringRing::~UringRing() {
  if (sqes_) munmap(sqes_, sqes_size_);
  if (cq_map_ && cq_map_ != sq_map_) munmap(cq_map_, cq_map_size_);
  if (sq_map_) munmap(sq_map_, sq_map_size_);
  if (fd_ >= 0) close(fd_);
}

int UringRing::register_personality() {
  const int id = static_cast<int>(syscall(SYS_io_uring_register, fd_, IORING_REGISTER_PERSONALITY, nullptr, 0));
  if (id < 0) throw std::runtime_error(fmt::format("IORING_REGISTER_PERSONALITY: {}", strerror(errno)));
  return id;
}

int UringRing::openat(const char* path, uint16_t personality) {
  const unsigned tail = *sq_tail_;
  const unsigned slot = tail & *sq_mask_;
  io_uring_sqe& sqe = sqes_[slot];
  memset(&sqe, 0, sizeof(sqe));
  sqe.opcode = IORING_OP_OPENAT;
  sqe.fd = AT_FDCWD;
  sqe.addr = reinterpret_cast<uint64_t>(path);
  sqe.open_flags = O_RDONLY | O_CLOEXEC;
  sqe.personality = personality;
  sq_array_[slot] = slot;
  std::atomic_ref<unsigned>(*sq_tail_).store(tail + 1, std::memory_order_release);
  if (syscall(SYS_io_uring_enter, fd_, 1, 1, IORING_ENTER_GETEVENTS, nullptr, 0) != 1) return -errno;
  const unsigned head = *cq_head_;
  if (std::atomic_ref<unsigned>(*cq_tail_).load(std::memory_order_acquire) == head) return -EAGAIN;
  const int res = cqes_[head & *cq_mask_].res;
  std::atomic_ref<unsigned>(*cq_head_).store(head + 1, std::memory_order_release);
  return res;
}

void recommit_credentials() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0 || syscall(SYS_capset, &header, data) != 0)
    throw std::runtime_error(fmt::format("capset() of the task's own sets: {}", strerror(errno)));
}

}  // namespace syva::bench
