// SPDX-License-Identifier: Apache-2.0
#include "kernel/zone_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "enforcer/kernel_ids.h"
#include "events/event_reader.h"
#include "support/exit_codes.h"
#include "syva.skel.h"

namespace syva::ktest {

namespace {

std::string g_unavailable;

std::unique_ptr<Enforcer> make_enforcer() {
  std::filesystem::create_directories(kScratch);
  auto e = std::make_unique<Enforcer>(EnforcerOptions{"/sys/fs/bpf/syva-ktest", true});
  e->attach();
  return e;
}

std::string test_root() {
  static const std::string root = [] {
    std::string r = cgroup2_mount() + "/syva-ktest";
    mkdir(r.c_str(), 0755);
    return r;
  }();
  return root;
}

}  // namespace

Enforcer& enforcer() {
  static std::unique_ptr<Enforcer> e = [] {
    try {
      return make_enforcer();
    } catch (const std::exception& ex) {
      g_unavailable = ex.what();
      return std::unique_ptr<Enforcer>();
    }
  }();
  if (!e) throw KernelUnsupported(g_unavailable);
  return *e;
}

std::string bpf_lsm_unavailable() {
  try {
    enforcer();
    return "";
  } catch (const std::exception& ex) {
    return ex.what();
  }
}

Cgroup::Cgroup(const std::string& name, uint32_t zone) : path_(test_root() + "/" + name) {
  if (mkdir(path_.c_str(), 0755) != 0 && errno != EEXIST) FAIL("mkdir " << path_ << ": " << strerror(errno));
  id_ = cgroup_id_of(path_);
  if (zone != SYVA_ZONE_NONE) enforcer().set_member(id_, zone);
}

Cgroup::~Cgroup() {
  enforcer().remove_member(id_);
  rmdir(path_.c_str());
}

void apply_policy(bool alpha_beta_allowed, const std::vector<std::pair<std::string, uint32_t>>& owned_files) {
  CompiledPolicy p;
  p.zone_names = {"alpha", "beta"};
  p.zone_values.resize(2);
  for (auto& v : p.zone_values) v.flags = SYVA_ZONE_F_DEFINED;
  if (alpha_beta_allowed) p.pairs = {{kAlpha, kBeta}, {kBeta, kAlpha}};
  for (const auto& [path, zone] : owned_files) {
    struct stat st;
    REQUIRE(stat(path.c_str(), &st) == 0);
    p.inodes.push_back({{kernel_dev(st.st_dev), st.st_ino}, zone});
  }
  enforcer().apply_policy(p);
}

void apply_zone_rules(syva_zone_policy alpha, syva_zone_policy beta, const std::vector<EgressEntry>& egress,
                      const std::vector<std::pair<uint32_t, syva_writable_paths>>& writable) {
  CompiledPolicy p;
  p.egress = egress;
  p.writable = writable;
  p.zone_names = {"alpha", "beta"};
  alpha.flags |= SYVA_ZONE_F_DEFINED;
  beta.flags |= SYVA_ZONE_F_DEFINED;
  p.zone_values = {alpha, beta};
  enforcer().apply_policy(p);
}

int open_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

std::string scratch_file(const std::string& name, const std::string& content) {
  const std::string path = kScratch + "/" + name;
  std::ofstream(path, std::ios::trunc) << content;
  return path;
}

namespace {

void join(const Cgroup* cgroup) {
  if (!cgroup) return;
  const std::string procs = cgroup->path() + "/cgroup.procs";
  int fd = open(procs.c_str(), O_WRONLY);
  if (fd < 0 || write(fd, "0", 1) != 1) _exit(SYVA_TEST_EXIT_JOIN_CGROUP);
  close(fd);
}

}  // namespace

namespace {

// A one-byte message with room for one descriptor.
struct OneByteMessage {
  char byte = 'x';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  OneByteMessage() {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
  }
  OneByteMessage(const OneByteMessage&) = delete;
  OneByteMessage& operator=(const OneByteMessage&) = delete;
};

}  // namespace

int send_descriptor(int socket, int fd) {
  OneByteMessage m;
  cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  return sendmsg(socket, &m.msg, 0) == 1 ? 0 : errno;
}

int receive_descriptor(int socket) {
  OneByteMessage m;
  if (recvmsg(socket, &m.msg, 0) != 1) return -1;
  cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return (m.msg.msg_flags & MSG_CTRUNC) ? kRefusedDescriptor : -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

Outcome run_in(const Cgroup* cgroup, const std::function<int()>& action) {
  pid_t child = fork();
  if (child == 0) {
    join(cgroup);
    _exit(action());
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) != SYVA_TEST_EXIT_JOIN_CGROUP);
  return {WEXITSTATUS(status), child};
}

Outcome receive_writable(const Cgroup* cgroup, const std::string& path) {
  int pair[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  int passed = open(path.c_str(), O_WRONLY);
  REQUIRE(passed >= 0);
  REQUIRE(send_descriptor(pair[0], passed) == 0);
  close(passed);
  const Outcome got = run_in(cgroup, [&] {
    const int fd = receive_descriptor(pair[1]);
    return fd == kRefusedDescriptor ? EPERM : fd >= 0 ? 0 : SYVA_TEST_EXIT_NO_VERDICT;
  });
  close(pair[0]);
  close(pair[1]);
  return got;
}

Target::Target(const Cgroup* cgroup, const std::function<void()>& setup) {
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  pid_ = fork();
  if (pid_ == 0) {
    close(ready[0]);
    join(cgroup);
    if (setup) setup();
    [[maybe_unused]] ssize_t n = write(ready[1], "r", 1);
    for (;;) pause();
  }
  close(ready[1]);
  char c;
  REQUIRE(read(ready[0], &c, 1) == 1);
  close(ready[0]);
}

Target::~Target() {
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

syva_counters counters(syva_hook hook) { return enforcer().counters()[hook]; }

std::vector<syva_event> drain_events() {
  std::vector<syva_event> out;
  EventReader reader(bpf_map__fd(enforcer().skeleton()->maps.events), [&out](const syva_event& e) { out.push_back(e); });
  reader.drain();
  return out;
}

syva_event only_event(const std::vector<syva_event>& events, syva_hook hook, pid_t tgid) {
  std::vector<syva_event> found;
  for (const auto& e : events)
    if (e.hook == static_cast<uint32_t>(hook) && e.tgid == static_cast<uint32_t>(tgid)) found.push_back(e);
  REQUIRE(found.size() == 1);
  return found[0];
}

}  // namespace syva::ktest
