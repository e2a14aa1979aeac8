// SPDX-License-Identifier: Apache-2.0
#include "operations.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <spawn.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <linux/mount.h>

#include "uring_ring.h"

extern char** environ;

namespace syva::bench {

namespace {

size_t open_close(const OpTargets& t, size_t n) {
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i) {
    int fd = open(t.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    close(fd);
    ++ok;
  }
  return ok;
}

// posix_spawn is vfork+exec in glibc: the cost measured is the exec, not
// copying the bench's page tables as fork would.
size_t exec_true(const OpTargets& t, size_t n) {
  size_t ok = 0;
  char* argv[] = {const_cast<char*>(t.executable.c_str()), nullptr};
  for (size_t i = 0; i < n; ++i) {
    pid_t pid;
    if (posix_spawn(&pid, t.executable.c_str(), nullptr, nullptr, argv, environ) != 0) continue;
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++ok;
  }
  return ok;
}

size_t kill_zero(const OpTargets& t, size_t n) {
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i)
    if (kill(t.kill_target, 0) == 0) ++ok;
  return ok;
}

size_t mmap_exec(const OpTargets& t, size_t n) {
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i) {
    void* p = mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, t.mmap_fd, 0);
    if (p == MAP_FAILED) continue;
    munmap(p, 4096);
    ++ok;
  }
  return ok;
}

// socket + connect + accept + close both: a connection needs all of them,
// and accepting keeps the listener's backlog from filling.
size_t unix_connect(const OpTargets& t, size_t n) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (t.socket_path.size() >= sizeof(addr.sun_path)) throw std::runtime_error("socket path too long");
  memcpy(addr.sun_path, t.socket_path.c_str(), t.socket_path.size());
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) continue;
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      int c = accept4(t.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        close(c);
        ++ok;
      }
    }
    close(s);
  }
  return ok;
}

size_t chmod_owned(const OpTargets& t, size_t n) {
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i)
    if (chmod(t.file.c_str(), 0644) == 0) ++ok;
  return ok;
}

// truncate() to the size the file has: an attribute change that changes nothing.
size_t truncate_owned(const OpTargets& t, size_t n) {
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i)
    if (truncate(t.file.c_str(), 64) == 0) ++ok;
  return ok;
}

size_t create_unlink(const OpTargets& t, size_t n) {
  const std::string path = t.scratch + "/unlinked";
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) continue;
    close(fd);
    if (unlink(path.c_str()) == 0) ++ok;
  }
  return ok;
}

size_t rename_twice(const OpTargets& t, size_t n) {
  const std::string a = t.scratch + "/renamed-a", b = t.scratch + "/renamed-b";
  if (access(a.c_str(), F_OK) != 0) {
    int fd = open(a.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
  }
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i)
    if (rename(a.c_str(), b.c_str()) == 0 && rename(b.c_str(), a.c_str()) == 0) ++ok;
  return ok;
}

size_t setpriority_same(const OpTargets&, size_t n) {
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, 0);
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i)
    if (setpriority(PRIO_PROCESS, 0, nice) == 0) ++ok;
  return ok;
}

size_t udp_socket(const OpTargets&, size_t n) {
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) continue;
    close(s);
    ++ok;
  }
  return ok;
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

size_t udp_sendto_to(int drain_fd, const sockaddr_in& to, size_t n) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return 0;
  size_t ok = 0;
  char byte = 'x';
  for (size_t i = 0; i < n; ++i) {
    if (sendto(s, &byte, 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) == 1) ++ok;
    [[maybe_unused]] ssize_t r = recv(drain_fd, &byte, 1, MSG_DONTWAIT);
  }
  close(s);
  return ok;
}

// SO_LINGER 0: the client's close resets, so no TIME_WAIT piles up over
// thousands of connections and the ports never run out.
size_t tcp_connect_to(const OpTargets& t, const sockaddr_in& to, size_t n) {
  const linger reset{1, 0};
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) continue;
    setsockopt(s, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    if (connect(s, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) == 0) {
      int c = accept4(t.tcp_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        close(c);
        ++ok;
      }
    }
    close(s);
  }
  return ok;
}

size_t open_unowned(const OpTargets& t, size_t n) {
  OpTargets u = t;
  u.file = t.unowned_file;
  return open_close(u, n);
}

sockaddr_in zone_address(const OpTargets& t, int port) {
  sockaddr_in a = loopback(port);
  a.sin_addr.s_addr = t.zone_ip;
  return a;
}

size_t tcp_zone(const OpTargets& t, size_t n) {
  OpTargets z = t;
  z.tcp_listen_fd = t.zone_tcp_listen_fd;
  return tcp_connect_to(z, zone_address(t, t.zone_tcp_port), n);
}

size_t udp_zone(const OpTargets& t, size_t n) {
  return udp_sendto_to(t.zone_udp_fd, zone_address(t, t.zone_udp_port), n);
}

// semop "wait for zero" on a semaphore that is zero: ipcperms and the
// semaphore's lock, nothing that blocks.
size_t sem_zero(const OpTargets& t, size_t n) {
  sembuf op{0, 0, IPC_NOWAIT};
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i)
    if (semop(t.sem_id, &op, 1) == 0) ++ok;
  return ok;
}

size_t shm_attach(const OpTargets& t, size_t n) {
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i) {
    void* p = shmat(t.shm_id, nullptr, SHM_RDONLY);
    if (p == reinterpret_cast<void*>(-1)) continue;
    shmdt(p);
    ++ok;
  }
  return ok;
}

// The new mount API as far as a parameter: a filesystem context is made and
// configured, never mounted.
size_t fs_context(const OpTargets&, size_t n) {
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i) {
    const int fd = static_cast<int>(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC));
    if (fd < 0) continue;
    if (syscall(SYS_fsconfig, fd, FSCONFIG_SET_STRING, "size", "1m", 0) == 0) ++ok;
    close(fd);
  }
  return ok;
}

// F_SETOWN to the process in zone A, then one byte of input: the kernel
// sends it SIGIO (which it ignores) through file_send_sigiotask.
size_t sigio(const OpTargets& t, size_t n) {
  size_t ok = 0;
  char byte = 'x';
  for (size_t i = 0; i < n; ++i) {
    if (fcntl(t.sigio_fds[0], F_SETOWN, t.kill_target) != 0) continue;
    if (write(t.sigio_fds[1], &byte, 1) == 1) ++ok;
    [[maybe_unused]] ssize_t r = read(t.sigio_fds[0], &byte, 1);
  }
  return ok;
}

// IORING_OP_OPENAT under a registered personality, then close(): io_uring
// asks uring_override_creds as it prepares the request and runs it with the
// personality's credentials, which are not the task's, so opening a file of
// mode 0000 asks capable(CAP_DAC_OVERRIDE) about them.
size_t uring_open(const OpTargets& t, size_t n) {
  if (!t.uring) return 0;
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i) {
    const int fd = t.uring->openat(t.sealed_file.c_str(), t.uring_personality);
    if (fd < 0) continue;
    close(fd);
    ++ok;
  }
  return ok;
}

// Each of mkdir and rmdir walks the entry's path up to the root in BPF to
// judge it against the zone's writable_paths.
size_t mkdir_walk(const OpTargets& t, size_t n) {
  const std::string dir = t.walk_dir + "/made";
  size_t ok = 0;
  for (size_t i = 0; i < n; ++i)
    if (mkdir(dir.c_str(), 0700) == 0 && rmdir(dir.c_str()) == 0) ++ok;
  return ok;
}

}  // namespace

// One line per operation: adding one to the benchmarks is adding a line here.
const std::vector<Operation>& operations() {
  static const std::vector<Operation> ops = {
      {"open", "open()+close() of a file zone A owns", open_close, true},
      {"exec", "posix_spawn()+waitpid() of a static binary zone A owns", exec_true, true},
      {"kill0", "kill(pid, 0) of a process in zone A's cgroup", kill_zero, true},
      {"mmap", "mmap(PROT_READ|PROT_EXEC)+munmap() of an open file zone A owns", mmap_exec, true},
      {"connect", "socket()+connect()+accept()+close() to a Unix stream socket made in zone A", unix_connect, true},
      {"chmod", "chmod() of a file zone A owns to the mode it has", chmod_owned},
      {"setattr", "truncate() of a file zone A owns to the size it has", truncate_owned},
      {"unlink", "open(O_CREAT)+close()+unlink() of a file in the bench's directory", create_unlink},
      {"rename", "two rename()s of a file in the bench's directory, there and back", rename_twice},
      {"setprio", "setpriority() of the caller itself to the nice value it has", setpriority_same},
      {"socket", "socket(AF_INET, SOCK_DGRAM)+close()", udp_socket},
      {"tcp",
       "socket()+connect()+accept()+close() to 10.254.0.1 (an address of zone A's pod), a TCP socket made in zone A",
       tcp_zone},
      {"udp",
       "sendto() of one byte to 10.254.0.1 (an address of zone A's pod), a UDP socket bound in zone A (then drained)",
       udp_zone},
      {"open-unowned", "open()+close() of a file no zone owns", open_unowned},
      {"semop", "semop() (wait for zero, IPC_NOWAIT) on a semaphore set zone A made", sem_zero},
      {"shmat", "shmat(SHM_RDONLY)+shmdt() of a shared memory segment zone A made", shm_attach},
      {"fsconfig", "fsopen(\"tmpfs\")+fsconfig(FSCONFIG_SET_STRING size)+close(), never mounted", fs_context},
      {"sigio", "fcntl(F_SETOWN) to a process in zone A's cgroup, then one byte of input: SIGIO to it", sigio},
      {"uring",
       "IORING_OP_OPENAT under a registered personality (not the caller's credentials), submitted and reaped, of a "
       "file zone A owns with mode 0000 (capable(CAP_DAC_OVERRIDE) of the personality's credentials), then close(); "
       "run as the zone's workload",
       uring_open, false, true},
      {"mkdir-walk",
       "mkdir()+rmdir() of walk/a/b/c/d/made in the bench's directory (9 components from /), under zone A's "
       "writable_paths and outside zone B's; run as the zone's workload, so each walks the path in BPF",
       mkdir_walk, false, true},
  };
  return ops;
}

const Operation& operation(const std::string& name) {
  for (const auto& op : operations())
    if (op.name == name) return op;
  throw std::invalid_argument("no operation named " + name);
}

}  // namespace syva::bench
