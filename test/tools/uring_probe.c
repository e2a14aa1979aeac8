// SPDX-License-Identifier: Apache-2.0
// io_uring with a registered personality, exec'd inside a zone so that it is
// the zone's workload: the exit code is 0 on success or the errno the
// kernel answered (test/support/exit_codes.h has the other codes).
//   uring-probe open PATH              open(2) of PATH, for comparison
//   uring-probe personality-open PATH  register a personality, capset() the
//                                      task's own capabilities back (new
//                                      credentials, the same sets), then
//                                      IORING_OP_OPENAT of PATH under the
//                                      personality
//   uring-probe sqpoll-open PATH       IORING_OP_OPENAT of PATH through an
//                                      SQPOLL ring: its kernel thread opens
//   uring-probe sqpoll-personality-open PATH
//                                      personality-open through an SQPOLL
//                                      ring
//   uring-probe sqpoll-attach-open PATH
//                                      an SQPOLL ring, capset() as above,
//                                      then a second ring sharing the first
//                                      one's thread (IORING_SETUP_ATTACH_WQ):
//                                      the thread runs the second ring's
//                                      requests with the credentials the
//                                      task had when that ring was made,
//                                      which are not the thread's own
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "support/exit_codes.h"

static int open_plain(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

// capset() with the sets the task has: the kernel still commits new
// credentials, so the personality's are no longer the task's own.
static int recommit_credentials(void) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  memset(data, 0, sizeof(data));
  if (syscall(SYS_capget, &header, data) != 0) return -1;
  return (int)syscall(SYS_capset, &header, data);
}

// IORING_OP_OPENAT of `path` on `ring` (under `personality` unless 0): 0,
// the errno the request completed with, or STEP4 when it did not complete.
static int ring_open(struct io_uring* ring, const char* path, int personality) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(ring);
  io_uring_prep_openat(sqe, AT_FDCWD, path, O_RDONLY, 0);
  sqe->personality = (unsigned short)personality;
  struct io_uring_cqe* cqe = NULL;
  if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe) != 0) return SYVA_TEST_EXIT_STEP4;
  const int res = cqe->res;
  io_uring_cqe_seen(ring, cqe);
  if (res < 0) return -res;
  close(res);
  return 0;
}

static int sqpoll_ring(struct io_uring* ring, int attach_to) {
  struct io_uring_params params;
  memset(&params, 0, sizeof(params));
  params.flags = IORING_SETUP_SQPOLL;
  params.sq_thread_idle = 1000;
  if (attach_to >= 0) {
    params.flags |= IORING_SETUP_ATTACH_WQ;
    params.wq_fd = (unsigned)attach_to;
  }
  return io_uring_queue_init_params(2, ring, &params);
}

static int open_with_personality(const char* path, int sqpoll) {
  struct io_uring ring;
  if ((sqpoll ? sqpoll_ring(&ring, -1) : io_uring_queue_init(2, &ring, 0)) < 0) return SYVA_TEST_EXIT_STEP1;
  const int personality = io_uring_register_personality(&ring);
  if (personality < 0) return SYVA_TEST_EXIT_STEP2;
  if (recommit_credentials() != 0) return SYVA_TEST_EXIT_STEP3;
  const int rc = ring_open(&ring, path, personality);
  io_uring_queue_exit(&ring);
  return rc;
}

static int open_sqpoll(const char* path) {
  struct io_uring ring;
  if (sqpoll_ring(&ring, -1) < 0) return SYVA_TEST_EXIT_STEP1;
  const int rc = ring_open(&ring, path, 0);
  io_uring_queue_exit(&ring);
  return rc;
}

static int open_sqpoll_attached(const char* path) {
  struct io_uring first, second;
  if (sqpoll_ring(&first, -1) < 0) return SYVA_TEST_EXIT_STEP1;
  if (recommit_credentials() != 0) return SYVA_TEST_EXIT_STEP3;
  if (sqpoll_ring(&second, first.ring_fd) < 0) return SYVA_TEST_EXIT_STEP2;
  const int rc = ring_open(&second, path, 0);
  io_uring_queue_exit(&second);
  io_uring_queue_exit(&first);
  return rc;
}

int main(int argc, char** argv) {
  if (argc != 3) return SYVA_TEST_EXIT_USAGE;
  if (strcmp(argv[1], "open") == 0) return open_plain(argv[2]);
  if (strcmp(argv[1], "personality-open") == 0) return open_with_personality(argv[2], 0);
  if (strcmp(argv[1], "sqpoll-open") == 0) return open_sqpoll(argv[2]);
  if (strcmp(argv[1], "sqpoll-personality-open") == 0) return open_with_personality(argv[2], 1);
  if (strcmp(argv[1], "sqpoll-attach-open") == 0) return open_sqpoll_attached(argv[2]);
  return SYVA_TEST_EXIT_USAGE;
}
