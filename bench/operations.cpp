// SPDX-License-Identifier: Apache-2.0
#include "operations.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

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

}  // namespace

const std::vector<Operation>& operations() {
  static const std::vector<Operation> ops = {
      {"open", "open()+close() of a file zone A owns", open_close},
      {"exec", "posix_spawn()+waitpid() of a static binary zone A owns", exec_true},
      {"kill0", "kill(pid, 0) of a process in zone A's cgroup", kill_zero},
      {"mmap", "mmap(PROT_READ|PROT_EXEC)+munmap() of an open file zone A owns", mmap_exec},
      {"connect", "socket()+connect()+accept()+close() to a Unix stream socket made in zone A", unix_connect},
  };
  return ops;
}

const Operation& operation(const std::string& name) {
  for (const auto& op : operations())
    if (op.name == name) return op;
  throw std::invalid_argument("no operation named " + name);
}

}  // namespace syva::bench
