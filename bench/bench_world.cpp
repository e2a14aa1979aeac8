// SPDX-License-Identifier: Apache-2.0
#include "bench_world.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include "enforcer/kernel_ids.h"
#include "events/event_reader.h"
#include "syva.skel.h"
#include "trampoline_frees.h"

namespace fs = std::filesystem;

namespace syva::bench {

const char* config_name(Config c) {
  switch (c) {
    case Config::none: return "none";
    case Config::unzoned: return "unzoned";
    case Config::allowed: return "allowed";
    case Config::denied: return "denied";
  }
  return "?";
}

const char* config_label(Config c) {
  switch (c) {
    case Config::none: return "no program attached";
    case Config::unzoned: return "Syva attached, caller in no zone";
    case Config::allowed: return "caller's cgroup in zone A, target in zone A";
    case Config::denied: return "caller's cgroup in zone B, target in zone A (EPERM)";
  }
  return "?";
}

syva_inode_key inode_key(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) throw std::runtime_error(fmt::format("stat {}: {}", path, strerror(errno)));
  return {kernel_dev(st.st_dev), st.st_ino};
}

namespace {

void write_file(const std::string& path, size_t bytes) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << std::string(bytes, 'x');
  if (!out) throw std::runtime_error("cannot write " + path);
}

// A process parked in `cgroup` as the kill(pid, 0) target.
pid_t park_in(const BenchCgroup& cgroup) {
  int ready[2];
  if (pipe(ready) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    try {
      cgroup.join();
    } catch (...) {
      _exit(1);
    }
    // The SIGIO benchmark signals this process.
    signal(SIGIO, SIG_IGN);
    [[maybe_unused]] ssize_t n = write(ready[1], "r", 1);
    for (;;) pause();
  }
  close(ready[1]);
  char c;
  const bool ok = read(ready[0], &c, 1) == 1;
  close(ready[0]);
  if (!ok) throw std::runtime_error("the kill target could not join its cgroup");
  return pid;
}

// The listening socket records the cgroup it was created in: create it
// while the bench is in A.
int listen_in(const BenchCgroup& cgroup, const std::string& path) {
  cgroup.join();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  unlink(path.c_str());
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 64) != 0)
    throw std::runtime_error(fmt::format("listening on {}: {}", path, strerror(errno)));
  return fd;
}

// An IPv4 socket of `type` on 127.0.0.1 (a port the kernel picks), made
// while the bench is in `cgroup`; listening if a stream. Returns the fd and
// sets `port`.
int inet_socket_in(const BenchCgroup& cgroup, int type, int& port, uint32_t ip = htonl(INADDR_LOOPBACK)) {
  cgroup.join();
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = ip;
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      (type == SOCK_STREAM && listen(fd, 64) != 0) ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error(fmt::format("a loopback socket: {}", strerror(errno)));
  port = ntohs(addr.sin_port);
  return fd;
}

// 10.254.0.1/32 on an alias of lo: an address of this host that is not
// loopback, which the bench gives to zone A's "pod" in address_zone.
constexpr const char* kZoneAlias = "lo:254";

uint32_t add_zone_address() {
  const uint32_t ip = htonl(0x0afe0001);
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq req{};
  strncpy(req.ifr_name, kZoneAlias, IFNAMSIZ - 1);
  auto* sin = reinterpret_cast<sockaddr_in*>(&req.ifr_addr);
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = ip;
  const bool ok = s >= 0 && ioctl(s, SIOCSIFADDR, &req) == 0;
  sin->sin_addr.s_addr = 0xffffffff;
  if (ok) ioctl(s, SIOCSIFNETMASK, &req);
  const int err = errno;
  if (s >= 0) close(s);
  if (!ok) throw std::runtime_error(fmt::format("adding 10.254.0.1 to lo: {}", strerror(err)));
  return ip;
}

void remove_zone_address() {
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq req{};
  strncpy(req.ifr_name, kZoneAlias, IFNAMSIZ - 1);
  if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &req) == 0) {
    req.ifr_flags &= ~IFF_UP;  // takes an IPv4 alias's address away
    ioctl(s, SIOCSIFFLAGS, &req);
  }
  if (s >= 0) close(s);
}

}  // namespace

BenchWorld::BenchWorld(const std::string& pin_path, const std::string& scratch, const std::string& true_binary)
    : scratch_(scratch) {
  fs::create_directories(scratch);
  enforcer_ = std::make_unique<Enforcer>(EnforcerOptions{pin_path, true});
  links_ = std::make_unique<ProgramLinks>(*enforcer_);

  parent_ = std::make_unique<BenchCgroup>("syva-bench");
  caller_ = std::make_unique<BenchCgroup>("syva-bench/caller");
  a_ = std::make_unique<BenchCgroup>("syva-bench/a");

  targets_.file = scratch + "/owned-file";
  write_file(targets_.file, 64);
  const std::string mapped = scratch + "/owned-mapped";
  write_file(mapped, 4096);
  targets_.executable = scratch + "/owned-true";
  fs::copy_file(true_binary, targets_.executable, fs::copy_options::overwrite_existing);
  fs::permissions(targets_.executable, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  targets_.socket_path = scratch + "/owned.sock";

  targets_.sealed_file = scratch + "/owned-sealed";
  write_file(targets_.sealed_file, 64);
  fs::permissions(targets_.sealed_file, fs::perms::none);
  targets_.walk_dir = scratch + "/walk/a/b/c/d";
  fs::create_directories(targets_.walk_dir);
  // Where io_uring is switched off (kernel.io_uring_disabled), the uring
  // row reports no success rather than the bench failing.
  try {
    uring_ = std::make_unique<UringRing>();
    targets_.uring_personality = static_cast<uint16_t>(uring_->register_personality());
    recommit_credentials();
    targets_.uring = uring_.get();
  } catch (const std::exception& e) {
    fprintf(stderr, "syva-bench: no io_uring row: %s\n", e.what());
    uring_.reset();
  }
  self_pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
  if (self_pidfd_ < 0) throw std::runtime_error(fmt::format("pidfd_open of the bench: {}", strerror(errno)));

  owned_ = {inode_key(targets_.file), inode_key(mapped), inode_key(targets_.executable),
            inode_key(targets_.sealed_file)};
  targets_.mmap_fd = open(mapped.c_str(), O_RDONLY | O_CLOEXEC);
  if (targets_.mmap_fd < 0) throw std::runtime_error("open " + mapped + " failed");
  targets_.kill_target = park_in(*a_);
  targets_.listen_fd = listen_in(*a_, targets_.socket_path);
  targets_.scratch = scratch;
  targets_.tcp_listen_fd = inet_socket_in(*a_, SOCK_STREAM, targets_.tcp_port);
  targets_.udp_fd = inet_socket_in(*a_, SOCK_DGRAM, targets_.udp_port);
  targets_.zone_ip = add_zone_address();
  targets_.zone_tcp_listen_fd = inet_socket_in(*a_, SOCK_STREAM, targets_.zone_tcp_port, targets_.zone_ip);
  targets_.zone_udp_fd = inet_socket_in(*a_, SOCK_DGRAM, targets_.zone_udp_port, targets_.zone_ip);
  targets_.unowned_file = scratch + "/unowned-file";
  write_file(targets_.unowned_file, 64);
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, targets_.sigio_fds) != 0 ||
      fcntl(targets_.sigio_fds[0], F_SETFL, O_ASYNC | O_NONBLOCK) != 0)
    throw std::runtime_error(fmt::format("the SIGIO socket pair: {}", strerror(errno)));
  caller_->join();
}

BenchWorld::~BenchWorld() {
  // Out of any zone first: a denied caller could not even signal its target.
  links_->detach();
  try {
    join_cgroup_root();
  } catch (...) {
  }
  if (targets_.kill_target > 0) {
    kill(targets_.kill_target, SIGKILL);
    waitpid(targets_.kill_target, nullptr, 0);
  }
  close(targets_.listen_fd);
  close(targets_.tcp_listen_fd);
  close(targets_.udp_fd);
  close(targets_.zone_tcp_listen_fd);
  close(targets_.zone_udp_fd);
  remove_zone_address();
  close(targets_.sigio_fds[0]);
  close(targets_.sigio_fds[1]);
  if (targets_.sem_id >= 0) semctl(targets_.sem_id, 0, IPC_RMID);
  if (targets_.shm_id >= 0) shmctl(targets_.shm_id, IPC_RMID, nullptr);
  unlink(targets_.unowned_file.c_str());
  unlink(targets_.sealed_file.c_str());
  std::error_code ec;
  fs::remove_all(scratch_ + "/walk", ec);
  uring_.reset();
  if (self_pidfd_ >= 0) close(self_pidfd_);
  for (const char* name : {"/unlinked", "/renamed-a", "/renamed-b"}) unlink((scratch_ + name).c_str());
  close(targets_.mmap_fd);
  unlink(targets_.socket_path.c_str());
  links_.reset();
  a_.reset();
  caller_.reset();
  parent_.reset();
  enforcer_.reset();  // unpins everything under the bench's pin path
}

double BenchWorld::apply(size_t zones, const std::vector<syva_inode_key>& extra_inodes) {
  if (zones < 1 || zones >= SYVA_MAX_ZONES) throw std::invalid_argument("zone count out of range");
  const auto start = std::chrono::steady_clock::now();
  CompiledPolicy p;
  for (size_t i = 1; i <= zones; ++i) p.zone_names.push_back(fmt::format("z{:05}", i));
  syva_zone_policy defined{};
  defined.flags = SYVA_ZONE_F_DEFINED;
  p.zone_values.assign(zones, defined);
  // writable_paths for A (the walk's directory) and B (elsewhere): judged
  // only for the workload, so only the rows run as one see them.
  for (uint32_t zone : {kZoneA, kZoneB}) {
    if (zone > zones) continue;
    p.zone_values[zone - 1].flags |= SYVA_ZONE_F_WRITABLE;
    syva_writable_paths w{};
    w.count = 1;
    const std::string path = zone == kZoneA ? scratch_ + "/walk" : scratch_ + "/walk-b";
    if (path.size() >= sizeof(w.paths[0])) throw std::runtime_error("the bench's directory is too long a path");
    path.copy(w.paths[0], sizeof(w.paths[0]) - 1);
    p.writable.push_back({zone, w});
  }
  // Some allowed pairs so the pair map is not empty at scale; never A with
  // B, which must stay denied.
  for (uint32_t a = 3; a + 1 <= zones; a += 2) {
    p.pairs.push_back({a, a + 1});
    p.pairs.push_back({a + 1, a});
  }
  for (const auto& key : owned_) p.inodes.push_back({key, kZoneA});
  for (size_t i = 0; i < extra_inodes.size(); ++i)
    p.inodes.push_back({extra_inodes[i], static_cast<uint32_t>(i % zones) + 1});
  enforcer_->apply_policy(p);
  enforcer_->set_member(a_->id(), kZoneA);
  have_b_ = zones >= 2;
  enforcer_->remove_member(caller_->id());
  syva_address zone_address{};
  zone_address.addr[10] = zone_address.addr[11] = 0xff;
  memcpy(&zone_address.addr[12], &targets_.zone_ip, 4);
  enforcer_->set_address_owner(zone_address, kZoneA);
  if (targets_.sem_id < 0) make_ipc_objects_in_a();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void BenchWorld::set_config(Config c) {
  if (c == Config::denied && !have_b_) throw std::logic_error("denied needs two zones");
  const bool was_attached = links_->attached();
  if (c == Config::none) {
    links_->detach();
    if (was_attached) wait_for_trampoline_frees();
  } else
    links_->attach();
  if (c == Config::allowed)
    enforcer_->set_member(caller_->id(), kZoneA);
  else if (c == Config::denied)
    enforcer_->set_member(caller_->id(), kZoneB);
  else
    enforcer_->remove_member(caller_->id());
  if (was_attached != links_->attached()) usleep(settle_ms_ * 1000);
  config_ = c;
}

// SysV objects belong to the zone that made them, recorded by Syva's
// programs as the kernel allocates them: made in A with the programs attached.
void BenchWorld::make_ipc_objects_in_a() {
  const bool attached = links_->attached();
  links_->attach();
  a_->join();
  targets_.sem_id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  targets_.shm_id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  const int err = errno;
  // A zoned process may not move itself out of its cgroup (cgroup escape).
  links_->detach();
  wait_for_trampoline_frees();
  caller_->join();
  if (attached) links_->attach();
  if (targets_.sem_id < 0 || targets_.shm_id < 0)
    throw std::runtime_error(fmt::format("SysV objects in zone A: {}", strerror(err)));
}

// The mark is task storage: written for the bench's own task through a
// pidfd, as bprm_committed_creds would write it after a zoned execve.
void BenchWorld::set_workload(bool on) {
  if (on == workload_) return;
  const int map = bpf_map__fd(enforcer_->skeleton()->maps.workload);
  const uint32_t mark = 1;
  const int err = on ? bpf_map_update_elem(map, &self_pidfd_, &mark, BPF_ANY) : bpf_map_delete_elem(map, &self_pidfd_);
  if (err != 0) throw std::runtime_error(fmt::format("marking the bench as a workload: {}", strerror(errno)));
  workload_ = on;
}

size_t BenchWorld::drain_events() {
  size_t n = 0;
  EventReader reader(bpf_map__fd(enforcer_->skeleton()->maps.events), [&n](const syva_event&) { ++n; });
  reader.drain();
  return n;
}

}  // namespace syva::bench
