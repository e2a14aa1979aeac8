// SPDX-License-Identifier: Apache-2.0
// SIGIO's owner record against a flood: a zone that sets the owner of more
// files than the record could once hold still does not become the host
// when the I/O completes in the host's context. And a file whose owner has
// no record sends no signal at all, SIGIO (or F_SETSIG's) nor SIGURG.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "kernel/zone_fixture.h"
#include "support/exit_codes.h"
#include "syva.skel.h"

using namespace syva;
using namespace syva::ktest;

namespace {

// More owners than the old least-recently-used record held (65,536).
constexpr int kFlood = 80'000;

// Whether `pid` died of a signal: the test's child stays a zombie until
// reaped. Delivery is at once, or never.
bool killed(pid_t pid) {
  for (int i = 0; i < 50; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string p, comm, state;
    if (!(stat >> p >> comm >> state) || state == "Z") return true;
    usleep(10'000);
  }
  return false;
}

// In `cgroup`: the read end of `pipe` signals SIGKILL to `target` on I/O,
// then the owners of `flood` other files, all open at once (a closed file's
// memory, and so its key, would be the next file's), are set.
Outcome arm(const Cgroup* cgroup, int read_end, pid_t target, int flood) {
  return run_in(cgroup, [=] {
    if (fcntl(read_end, F_SETOWN, target) != 0) return SYVA_TEST_EXIT_STEP1;
    if (fcntl(read_end, F_SETSIG, SIGKILL) != 0) return SYVA_TEST_EXIT_STEP2;
    if (fcntl(read_end, F_SETFL, fcntl(read_end, F_GETFL) | O_ASYNC) != 0) return SYVA_TEST_EXIT_STEP3;
    const rlimit files{static_cast<rlim_t>(flood) + 1024, static_cast<rlim_t>(flood) + 1024};
    if (flood && setrlimit(RLIMIT_NOFILE, &files) != 0) return SYVA_TEST_EXIT_STEP4;
    for (int i = 0; i < flood; ++i) {
      const int fd = open("/dev/null", O_RDONLY);
      if (fd < 0 || fcntl(fd, F_SETOWN, getpid()) != 0) return SYVA_TEST_EXIT_STEP5;
    }
    return 0;  // the flood's descriptors close as the process exits
  });
}

int sigio_records_fd() { return bpf_map__fd(enforcer().skeleton()->maps.sigio_owner_zone); }

// The files (their kernel addresses) whose owner `zone` set, as recorded.
std::set<uint64_t> sigio_records_of(uint32_t zone) {
  std::set<uint64_t> keys;
  uint64_t key = 0, next = 0;
  const int fd = sigio_records_fd();
  for (const uint64_t* at = nullptr; bpf_map_get_next_key(fd, at, &next) == 0; at = &key) {
    key = next;
    uint32_t setter = 0;
    if (bpf_map_lookup_elem(fd, &key, &setter) == 0 && setter == zone) keys.insert(key);
  }
  return keys;
}

// Arms `read_end` in `cgroup` (zone `zone`) to SIGKILL `target` (with
// `urgent`: only the owner set, for SIGURG), then takes its record away: the
// state a record map that was full, or an owner set before Syva attached,
// leaves. False if the record was not found.
bool arm_without_record(const Cgroup* cgroup, uint32_t zone, int read_end, pid_t target, bool urgent = false) {
  const auto before = sigio_records_of(zone);
  const int armed = urgent ? run_in(cgroup, [=] { return fcntl(read_end, F_SETOWN, target) == 0 ? 0 : errno; }).err
                           : arm(cgroup, read_end, target, 0).err;
  if (armed != 0) return false;
  std::set<uint64_t> added;
  for (uint64_t key : sigio_records_of(zone))
    if (!before.count(key)) added.insert(key);
  if (added.size() != 1) return false;
  return bpf_map_delete_elem(sigio_records_fd(), &*added.begin()) == 0;
}

// A TCP connection over loopback: {client, the accepted server side}.
std::pair<int, int> tcp_pair() {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  REQUIRE(listener >= 0);
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  REQUIRE(listen(listener, 1) == 0);
  REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  const int server = accept(listener, nullptr, nullptr);
  REQUIRE(server >= 0);
  close(listener);
  return {client, server};
}

// Whether SIGURG, which `pid` blocks, is pending for it: the signal would
// otherwise be ignored and leave no trace.
bool sigurg_pending(pid_t pid) {
  for (int i = 0; i < 50; ++i) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
      if (line.starts_with("SigPnd:") || line.starts_with("ShdPnd:"))
        if (std::stoull(line.substr(7), nullptr, 16) & (1ULL << (SIGURG - 1))) return true;
    usleep(10'000);
  }
  return false;
}

void block_sigurg() {
  sigset_t urg;
  sigemptyset(&urg);
  sigaddset(&urg, SIGURG);
  sigprocmask(SIG_BLOCK, &urg, nullptr);
}

}  // namespace

TEST_CASE("sigio: SIGURG for a socket whose owner has no record is not sent; with a record, within a zone, it is",
          "[kernel][sigio]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("sigurg-alpha", kAlpha);
  Cgroup beta("sigurg-beta", kBeta);
  drain_events();
  const auto before = counters(SYVA_HOOK_SIGIO);

  // Alpha's owner of the server side, aimed at beta's process; urgent data
  // sent by the host.
  auto [client, server] = tcp_pair();
  Target victim(&beta, block_sigurg);
  REQUIRE(arm_without_record(&alpha, kAlpha, server, victim.pid(), true));
  REQUIRE(send(client, "!", 1, MSG_OOB) == 1);
  CHECK_FALSE(sigurg_pending(victim.pid()));
  CHECK(counters(SYVA_HOOK_SIGIO).error - before.error == 1);
  size_t events = 0;
  for (const auto& e : drain_events()) {
    if (e.hook != SYVA_HOOK_SIGIO) continue;
    ++events;
    CHECK(e.target_zone == kBeta);
    CHECK(e.target_pid == static_cast<uint32_t>(victim.pid()));
    CHECK(e.signal == SIGURG);
  }
  CHECK(events == 1);
  close(client);
  close(server);

  // Beta's own owner, with its record: the signal goes.
  std::tie(client, server) = tcp_pair();
  Target recorded(&beta, block_sigurg);
  REQUIRE(run_in(&beta, [&] { return fcntl(server, F_SETOWN, recorded.pid()) == 0 ? 0 : errno; }).err == 0);
  REQUIRE(send(client, "!", 1, MSG_OOB) == 1);
  CHECK(sigurg_pending(recorded.pid()));
  close(client);
  close(server);
  drain_events();
}

TEST_CASE("sigio: a file whose owner has no record sends no signal, to another zone or its own; with a record the "
          "zone's own process gets it",
          "[kernel][sigio]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("sigio-norec-alpha", kAlpha);
  Cgroup beta("sigio-norec-beta", kBeta);
  drain_events();
  const auto before = counters(SYVA_HOOK_SIGIO);

  // Alpha's owner, aimed at beta's process; the I/O completed by the host,
  // which would be the sender if the missing record were taken as no one.
  int p[2];
  REQUIRE(pipe(p) == 0);
  Target victim(&beta);
  REQUIRE(arm_without_record(&alpha, kAlpha, p[0], victim.pid()));
  REQUIRE(write(p[1], "x", 1) == 1);
  CHECK_FALSE(killed(victim.pid()));
  CHECK(counters(SYVA_HOOK_SIGIO).error - before.error == 1);
  CHECK(counters(SYVA_HOOK_SIGIO).deny == before.deny);
  size_t events = 0;
  for (const auto& e : drain_events()) {
    if (e.hook != SYVA_HOOK_SIGIO) continue;
    ++events;
    CHECK(e.caller_zone == SYVA_ZONE_NONE);  // the sender is unknown
    CHECK(e.target_zone == kBeta);
    CHECK(e.target_pid == static_cast<uint32_t>(victim.pid()));
    CHECK(e.signal == SIGKILL);
  }
  CHECK(events == 1);
  close(p[0]);
  close(p[1]);

  // Within one zone: with its record the signal goes; without, it does not.
  REQUIRE(pipe(p) == 0);
  Target recorded(&beta);
  REQUIRE(arm(&beta, p[0], recorded.pid(), 0).err == 0);
  REQUIRE(write(p[1], "x", 1) == 1);
  CHECK(killed(recorded.pid()));
  close(p[0]);
  close(p[1]);

  REQUIRE(pipe(p) == 0);
  Target unrecorded(&beta);
  REQUIRE(arm_without_record(&beta, kBeta, p[0], unrecorded.pid()));
  REQUIRE(write(p[1], "x", 1) == 1);
  CHECK_FALSE(killed(unrecorded.pid()));
  CHECK(counters(SYVA_HOOK_SIGIO).error - before.error == 2);
  close(p[0]);
  close(p[1]);
  drain_events();
}

TEST_CASE("sigio: the owner record outlives a flood of F_SETOWN; I/O completed by the host is still the zone's",
          "[kernel][sigio]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("sigio-alpha", kAlpha);
  Cgroup beta("sigio-beta", kBeta);

  int p[2];
  REQUIRE(pipe(p) == 0);
  Target victim(&beta);
  drain_events();
  const auto before = counters(SYVA_HOOK_SIGIO);
  REQUIRE(arm(&alpha, p[0], victim.pid(), kFlood).err == 0);
  // The write happens here, unzoned: the signal's sender is who set the
  // owner, however many owners were set since.
  REQUIRE(write(p[1], "x", 1) == 1);
  CHECK_FALSE(killed(victim.pid()));
  const auto after = counters(SYVA_HOOK_SIGIO);
  CHECK(after.deny - before.deny >= 1);
  CHECK(after.error == before.error);
  CHECK(counters(SYVA_HOOK_SIGIO_OWNER).error == 0);
  size_t events = 0;
  for (const auto& e : drain_events()) {
    if (e.hook != SYVA_HOOK_SIGIO) continue;
    ++events;
    CHECK(e.caller_zone == kAlpha);
    CHECK(e.target_zone == kBeta);
    CHECK(e.target_pid == static_cast<uint32_t>(victim.pid()));
    CHECK(e.signal == SIGKILL);
  }
  CHECK(events >= 1);
  close(p[0]);
  close(p[1]);

  // Within the zone, and for an allowed pair, the signal goes.
  REQUIRE(pipe(p) == 0);
  Target same_zone(&beta);
  REQUIRE(arm(&beta, p[0], same_zone.pid(), 0).err == 0);
  REQUIRE(write(p[1], "x", 1) == 1);
  CHECK(killed(same_zone.pid()));
  close(p[0]);
  close(p[1]);

  apply_policy(true);
  REQUIRE(pipe(p) == 0);
  Target paired(&beta);
  REQUIRE(arm(&alpha, p[0], paired.pid(), 0).err == 0);
  REQUIRE(write(p[1], "x", 1) == 1);
  CHECK(killed(paired.pid()));
  close(p[0]);
  close(p[1]);
  apply_policy(false);
  drain_events();
}
