// Bypass attempts: a process in zone alpha tries, by the side doors the
// kernel offers, what the front door denies it about zone beta. Each must be
// refused with the errno the kernel gives when Syva says no.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "kernel/zone_fixture.h"

using namespace syva;
using namespace syva::ktest;
namespace fs = std::filesystem;

namespace {

int errno_of(long rc) { return rc < 0 ? errno : 0; }

}  // namespace

TEST_CASE("bypass: links, renames and /proc paths to another zone's file are refused", "[kernel][bypass]") {
  REQUIRE_BPF_LSM();
  const std::string dir = kScratch + "/bypass";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string secret = dir + "/secret";
  std::ofstream(secret) << "beta's";
  apply_policy(false, {{secret, kBeta}});
  Cgroup alpha("bypass-alpha", kAlpha);
  Cgroup beta("bypass-beta", kBeta);

  // The inode is what is owned, whatever name reaches it.
  CHECK(run_in(&alpha, [&] {
          if (link(secret.c_str(), (dir + "/hard").c_str()) != 0) return 100;
          return open_file(dir + "/hard");
        }).err == EPERM);
  CHECK(run_in(&alpha, [&] {
          if (symlink(secret.c_str(), (dir + "/soft").c_str()) != 0) return 100;
          return open_file(dir + "/soft");
        }).err == EPERM);
  CHECK(run_in(nullptr, [&] { return rename(secret.c_str(), (dir + "/moved").c_str()) == 0 ? 0 : errno; }).err == 0);
  CHECK(run_in(&alpha, [&] { return open_file(dir + "/moved"); }).err == EPERM);

  // A beta process holding the file open: its /proc entries need ptrace
  // access to it, which is cross-zone.
  Target holder(&beta, [&] {
    int fd = open((dir + "/moved").c_str(), O_RDONLY);
    if (fd < 0 || dup2(fd, 200) != 200) _exit(90);
  });
  const std::string proc = "/proc/" + std::to_string(holder.pid());
  CHECK(run_in(&alpha, [&] { return open_file(proc + "/fd/200"); }).err == EACCES);
  CHECK(run_in(&alpha, [&] { return open_file(proc + "/mem"); }).err == EACCES);
  CHECK(run_in(&alpha, [&] { return open_file(proc + "/environ"); }).err == EACCES);
  CHECK(run_in(&beta, [&] { return open_file(proc + "/fd/200"); }).err == 0);  // same zone: its own file
  drain_events();
  fs::remove_all(dir);
}

TEST_CASE("bypass: process_vm_readv, pidfd_send_signal, pidfd_getfd and process-group signals are refused",
          "[kernel][bypass]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("bypass2-alpha", kAlpha);
  Cgroup beta("bypass2-beta", kBeta);
  Target victim(&beta, [] { setpgid(0, 0); });  // its own process group
  const pid_t pid = victim.pid();

  CHECK(run_in(&alpha, [&] {
          char buf[8];
          iovec local{buf, sizeof(buf)}, remote{reinterpret_cast<void*>(0x400000), sizeof(buf)};
          return errno_of(process_vm_readv(pid, &local, 1, &remote, 1, 0));
        }).err == EPERM);
  CHECK(run_in(&alpha, [&] {
          int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
          if (pidfd < 0) return 100;
          return errno_of(syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0));
        }).err == EPERM);
  CHECK(run_in(&alpha, [&] {
          int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
          if (pidfd < 0) return 100;
          return errno_of(syscall(SYS_pidfd_getfd, pidfd, 0, 0));
        }).err == EPERM);
  CHECK(run_in(&alpha, [&] { return errno_of(kill(-pid, 0)); }).err == EPERM);  // the group's only member
  CHECK(run_in(&beta, [&] { return errno_of(kill(-pid, 0)); }).err == 0);
  drain_events();
}

TEST_CASE("bypass: an abstract Unix socket of another zone is refused like a named one", "[kernel][bypass]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("bypass3-alpha", kAlpha);
  Cgroup beta("bypass3-beta", kBeta);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const char name[] = "\0syva-bypass-test";
  memcpy(addr.sun_path, name, sizeof(name));
  const socklen_t len = offsetof(sockaddr_un, sun_path) + sizeof(name) - 1;
  Target server(&beta, [&] {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd, 8) != 0) _exit(90);
  });
  auto connect_abstract = [&] {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 ? 0 : errno;
    close(fd);
    return rc;
  };
  CHECK(run_in(&alpha, connect_abstract).err == EPERM);
  CHECK(run_in(&beta, connect_abstract).err == 0);
  drain_events();
}
