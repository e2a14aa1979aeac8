// SPDX-License-Identifier: Apache-2.0
// Bypass attempts: a process in zone alpha tries, by the side doors the
// kernel offers, what the front door denies it about zone beta. Each must be
// refused with the errno the kernel gives when Syva says no; each also runs
// from beta, where it must succeed, so a refusal is Syva's and not a broken
// attempt.
#include <fcntl.h>
#include <liburing.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
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
#include <tuple>
#include <vector>

#include "kernel/agent_process.h"
#include "kernel/zone_fixture.h"
#include "support/exit_codes.h"
#include "support/files.h"

using namespace syva;
using namespace syva::ktest;
using syva::test::read_file;
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

  // The inode is what is owned, whatever name reaches it; a hard link to
  // it is a change to it and refused itself (path_link).
  CHECK(run_in(&alpha, [&] {
          if (link(secret.c_str(), (dir + "/hard").c_str()) != 0) return errno;
          return open_file(dir + "/hard");
        }).err == EPERM);
  CHECK(run_in(&alpha, [&] {
          if (symlink(secret.c_str(), (dir + "/soft").c_str()) != 0) return SYVA_TEST_EXIT_STEP1;
          return open_file(dir + "/soft");
        }).err == EPERM);
  CHECK(run_in(nullptr, [&] { return rename(secret.c_str(), (dir + "/moved").c_str()) == 0 ? 0 : errno; }).err == 0);
  CHECK(run_in(&alpha, [&] { return open_file(dir + "/moved"); }).err == EPERM);

  // A beta process holding the file open: its /proc entries need ptrace
  // access to it, which is cross-zone.
  Target holder(&beta, [&] {
    int fd = open((dir + "/moved").c_str(), O_RDONLY);
    if (fd < 0 || dup2(fd, 200) != 200) _exit(SYVA_TEST_EXIT_TARGET_SETUP);
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
          if (pidfd < 0) return SYVA_TEST_EXIT_STEP1;
          return errno_of(syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0));
        }).err == EPERM);
  CHECK(run_in(&alpha, [&] {
          int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
          if (pidfd < 0) return SYVA_TEST_EXIT_STEP1;
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
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd, 8) != 0)
      _exit(SYVA_TEST_EXIT_TARGET_SETUP);
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

namespace {

// A directory under kScratch holding `secret`, owned by beta, and a copy of
// the zone probe as `beta-bin`, owned by beta too.
struct BetaFiles {
  std::string dir, secret, binary;
  explicit BetaFiles(const std::string& name) : dir(kScratch + "/" + name) {
    fs::remove_all(dir);
    fs::create_directories(dir + "/beta");
    secret = dir + "/beta/secret";
    binary = dir + "/beta/beta-bin";
    std::ofstream(secret) << "beta's";
    fs::copy_file(zone_probe_binary(), binary);
    apply_policy(false, {{secret, kBeta}, {binary, kBeta}});
  }
  ~BetaFiles() { fs::remove_all(dir); }
};

int exec_fd(int fd, const std::string& action, const std::string& arg) {
  std::string argv0 = "zone-probe";
  char* argv[] = {argv0.data(), const_cast<char*>(action.c_str()), const_cast<char*>(arg.c_str()), nullptr};
  char* envp[] = {nullptr};
  syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
  return errno;
}

}  // namespace

TEST_CASE("bypass: bind mounts, O_PATH reopened through /proc/self/fd and openat2 reach the owned inode",
          "[kernel][bypass]") {
  REQUIRE_BPF_LSM();
  BetaFiles files("bypass-paths");
  Cgroup alpha("bypass4-alpha", kAlpha);
  const std::string bound = files.dir + "/bound", decoy = files.dir + "/decoy";
  fs::create_directories(bound);
  std::ofstream(decoy) << "alpha may read this";

  // Mounts in a private mount namespace of the child: nothing outlives it.
  auto in_private_mounts = [](const std::function<int()>& action) {
    return [action] {
      if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return SYVA_TEST_EXIT_STEP1;
      return action();
    };
  };
  CHECK(run_in(&alpha, in_private_mounts([&] {
          if (mount((files.dir + "/beta").c_str(), bound.c_str(), nullptr, MS_BIND, nullptr) != 0)
            return SYVA_TEST_EXIT_STEP2;
          return open_file(bound + "/secret");
        })).err == EPERM);
  CHECK(run_in(&alpha, in_private_mounts([&] {
          if (mount(files.secret.c_str(), decoy.c_str(), nullptr, MS_BIND, nullptr) != 0) return SYVA_TEST_EXIT_STEP2;
          return open_file(decoy);
        })).err == EPERM);
  CHECK(run_in(&alpha, [&] { return open_file(decoy); }).err == 0);

  // O_PATH opens nothing for reading (no file_open), so it succeeds; the
  // reopen through /proc/self/fd is a real open of the same inode.
  CHECK(run_in(&alpha, [&] {
          int fd = open(files.secret.c_str(), O_PATH);
          if (fd < 0) return SYVA_TEST_EXIT_STEP1;
          return open_file("/proc/self/fd/" + std::to_string(fd));
        }).err == EPERM);
  CHECK(run_in(&alpha, [&] {
          open_how how{};
          how.flags = O_RDONLY;
          how.resolve = RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;
          long fd = syscall(SYS_openat2, AT_FDCWD, files.secret.c_str(), &how, sizeof(how));
          return fd < 0 ? errno : 0;
        }).err == EPERM);
  drain_events();
}

TEST_CASE("bypass: execveat of another zone's binary is refused; code run from a memfd stays in its zone",
          "[kernel][bypass]") {
  REQUIRE_BPF_LSM();
  BetaFiles files("bypass-exec");
  Cgroup alpha("bypass5-alpha", kAlpha);
  Cgroup beta("bypass5-beta", kBeta);
  const auto exec_beta_bin = [&] {
    int fd = open(files.binary.c_str(), O_PATH);
    return fd < 0 ? SYVA_TEST_EXIT_STEP1 : exec_fd(fd, "open", "/");
  };
  CHECK(run_in(&alpha, exec_beta_bin).err == EPERM);
  CHECK(run_in(&beta, exec_beta_bin).err == 0);  // its own zone's binary runs, and its open of / succeeds
  const auto before = counters(SYVA_HOOK_BPRM_CHECK).deny + counters(SYVA_HOOK_FILE_OPEN).deny;

  // A memfd is nobody's file: the exec succeeds, and the program it runs is
  // still the caller's zone's workload, refused beta's file.
  const auto exec_from_memfd = [&] {
    int fd = static_cast<int>(syscall(SYS_memfd_create, "zone-probe", 0));
    const std::string code = read_file(zone_probe_binary());
    if (fd < 0 || code.empty() || write(fd, code.data(), code.size()) != static_cast<ssize_t>(code.size()))
      return SYVA_TEST_EXIT_STEP1;
    return exec_fd(fd, "open", files.secret);
  };
  CHECK(run_in(&alpha, exec_from_memfd).err == EPERM);
  CHECK(run_in(&beta, exec_from_memfd).err == 0);
  CHECK(counters(SYVA_HOOK_BPRM_CHECK).deny + counters(SYVA_HOOK_FILE_OPEN).deny == before + 1);
  drain_events();
}

TEST_CASE("bypass: io_uring's openat is judged as open() is, inline, in io-wq and in an SQPOLL thread",
          "[kernel][bypass]") {
  REQUIRE_BPF_LSM();
  {
    io_uring probe;
    if (int rc = io_uring_queue_init(2, &probe, 0); rc < 0)
      SYVA_SKIP(std::string("io_uring is not available on this kernel: ") + strerror(-rc));
    io_uring_queue_exit(&probe);
  }
  BetaFiles files("bypass-uring");
  Cgroup alpha("bypass6-alpha", kAlpha);
  Cgroup beta("bypass6-beta", kBeta);
  // 0 or the errno the ring's completion carried.
  auto uring_open = [&](unsigned setup_flags, unsigned char sqe_flags) {
    return [=, &files] {
      io_uring ring;
      io_uring_params params{};
      params.flags = setup_flags;
      params.sq_thread_idle = 100;
      if (io_uring_queue_init_params(4, &ring, &params) < 0) return SYVA_TEST_EXIT_STEP1;
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      io_uring_prep_openat(sqe, AT_FDCWD, files.secret.c_str(), O_RDONLY, 0);
      sqe->flags |= sqe_flags;
      io_uring_cqe* cqe = nullptr;
      if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe) != 0) return SYVA_TEST_EXIT_STEP2;
      const int res = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
      io_uring_queue_exit(&ring);
      return res < 0 ? -res : 0;
    };
  };
  for (const auto& [name, setup, flags] : std::vector<std::tuple<const char*, unsigned, unsigned char>>{
           {"inline", 0, 0}, {"io-wq worker", 0, IOSQE_ASYNC}, {"SQPOLL thread", IORING_SETUP_SQPOLL, 0}}) {
    INFO(name);
    CHECK(run_in(&alpha, uring_open(setup, flags)).err == EPERM);
    CHECK(run_in(&beta, uring_open(setup, flags)).err == 0);
  }
  drain_events();
}

TEST_CASE("bypass: a descriptor of another zone's file is refused when passed, by SCM_RIGHTS or pidfd_getfd",
          "[kernel][bypass]") {
  REQUIRE_BPF_LSM();
  BetaFiles files("bypass-passing");
  Cgroup alpha("bypass7-alpha", kAlpha);
  Cgroup beta("bypass7-beta", kBeta);

  // A stream pair made before either side joined its zone, as a runtime or
  // a shared parent would leave one: no connect for unix_stream_connect to
  // judge, so the descriptor itself must be.
  int pair[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  const auto send_secret = [&] {
    int fd = open(files.secret.c_str(), O_RDONLY);
    return fd < 0 ? errno : send_descriptor(pair[0], fd);
  };
  // 0 when the descriptor arrived and reads beta's bytes; EPERM when the
  // kernel dropped it (a refused descriptor is not installed, and the
  // message says so with MSG_CTRUNC).
  const auto receive = [&] {
    const int fd = receive_descriptor(pair[1]);
    if (fd == kRefusedDescriptor) return EPERM;
    char text[6] = {};
    const bool intact = fd >= 0 && read(fd, text, sizeof(text)) == 6 && memcmp(text, "beta's", 6) == 0;
    return intact ? 0 : SYVA_TEST_EXIT_NO_VERDICT;
  };
  const auto denied_before = counters(SYVA_HOOK_FILE_RECEIVE).deny;
  REQUIRE(run_in(&beta, send_secret).err == 0);
  const auto alpha_receives = run_in(&alpha, receive);
  CHECK(alpha_receives.err == EPERM);
  CHECK(counters(SYVA_HOOK_FILE_RECEIVE).deny == denied_before + 1);
  const syva_event e = only_event(drain_events(), SYVA_HOOK_FILE_RECEIVE, alpha_receives.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  REQUIRE(run_in(&beta, send_secret).err == 0);
  CHECK(run_in(&beta, receive).err == 0);
  close(pair[0]);
  close(pair[1]);

  // A process that opened the file before it was zoned alpha (out of
  // Syva's sight) holds it; another alpha process may ptrace-read its
  // descriptors, but not take that one.
  Target holder(nullptr, [&] {
    int fd = open(files.secret.c_str(), O_RDONLY);
    if (fd < 0 || dup2(fd, 200) != 200) _exit(SYVA_TEST_EXIT_TARGET_SETUP);
  });
  std::ofstream(alpha.path() + "/cgroup.procs") << holder.pid() << std::endl;
  CHECK(run_in(&alpha, [&] {
          int pidfd = static_cast<int>(syscall(SYS_pidfd_open, holder.pid(), 0));
          if (pidfd < 0) return SYVA_TEST_EXIT_STEP1;
          return errno_of(syscall(SYS_pidfd_getfd, pidfd, 200, 0));
        }).err == EPERM);
  drain_events();
}

TEST_CASE("bypass: open_by_handle_at and /proc/PID/cwd reach the owned inode only through the same gates",
          "[kernel][bypass]") {
  REQUIRE_BPF_LSM();
  BetaFiles files("bypass-handles");
  Cgroup alpha("bypass8-alpha", kAlpha);
  Cgroup beta("bypass8-beta", kBeta);
  // A file handle opens the inode with no path walk at all.
  const auto open_by_handle = [&] {
    alignas(file_handle) char storage[sizeof(file_handle) + MAX_HANDLE_SZ];
    auto* handle = reinterpret_cast<file_handle*>(storage);
    handle->handle_bytes = MAX_HANDLE_SZ;
    int mount_id;
    if (name_to_handle_at(AT_FDCWD, files.secret.c_str(), handle, &mount_id, 0) != 0) return SYVA_TEST_EXIT_STEP1;
    int mount_fd = open(files.dir.c_str(), O_RDONLY | O_DIRECTORY);
    int fd = open_by_handle_at(mount_fd, handle, O_RDONLY);
    return fd < 0 ? errno : 0;
  };
  CHECK(run_in(&alpha, open_by_handle).err == EPERM);
  CHECK(run_in(&beta, open_by_handle).err == 0);

  Target worker(&beta, [&] {
    if (chdir((files.dir + "/beta").c_str()) != 0) _exit(SYVA_TEST_EXIT_TARGET_SETUP);
  });
  const std::string cwd = "/proc/" + std::to_string(worker.pid()) + "/cwd";
  CHECK(run_in(&alpha, [&] { return open_file(cwd + "/secret"); }).err == EACCES);
  CHECK(run_in(&beta, [&] { return open_file(cwd + "/secret"); }).err == 0);
  drain_events();
}

TEST_CASE("bypass: a signal by SIGIO (F_SETOWN, F_SETSIG) to another zone's process is refused", "[kernel][bypass]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("bypass9-alpha", kAlpha);
  Cgroup beta("bypass9-beta", kBeta);
  // 0 when the signal reached the target (it died of it), EPERM when not.
  const auto sigio_kill = [](pid_t target) {
    return [target] {
      int p[2];
      if (pipe(p) != 0) return SYVA_TEST_EXIT_STEP1;
      if (fcntl(p[0], F_SETOWN, target) != 0) return SYVA_TEST_EXIT_STEP2;
      if (fcntl(p[0], F_SETSIG, SIGKILL) != 0) return SYVA_TEST_EXIT_STEP3;
      if (fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC) != 0) return SYVA_TEST_EXIT_STEP4;
      if (write(p[1], "x", 1) != 1) return SYVA_TEST_EXIT_STEP5;
      for (int i = 0; i < 50; ++i) {  // delivered at once, or never
        // The target is the test's child: dead, it stays a zombie until reaped.
        std::ifstream stat("/proc/" + std::to_string(target) + "/stat");
        std::string pid, comm, state;
        if (!(stat >> pid >> comm >> state) || state == "Z") return 0;
        usleep(10'000);
      }
      return EPERM;
    };
  };
  Target victim(&beta), same_zone_victim(&beta);
  const auto denied_before = counters(SYVA_HOOK_SIGIO).deny;
  const Outcome attempt = run_in(&alpha, sigio_kill(victim.pid()));
  CHECK(attempt.err == EPERM);
  // A pipe write may signal its reader's owner more than once.
  const auto denied = counters(SYVA_HOOK_SIGIO).deny - denied_before;
  CHECK(denied >= 1);
  size_t events = 0;
  for (const auto& e : drain_events()) {
    if (e.hook != SYVA_HOOK_SIGIO) continue;
    ++events;
    CHECK(static_cast<pid_t>(e.tgid) == attempt.pid);
    CHECK(e.caller_zone == kAlpha);
    CHECK(e.target_zone == kBeta);
    CHECK(e.signal == SIGKILL);
  }
  CHECK(events == denied);
  CHECK(run_in(&beta, sigio_kill(same_zone_victim.pid())).err == 0);
  drain_events();
}
