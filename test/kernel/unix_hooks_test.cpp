// SPDX-License-Identifier: Apache-2.0
// unix_stream_connect and unix_may_send against the real kernel. A socket's
// zone is the zone of the cgroup it was created in.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>

#include "kernel/zone_fixture.h"
#include "support/exit_codes.h"

using namespace syva;
using namespace syva::ktest;

namespace {

sockaddr_un address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
  return a;
}

// Runs in a Target: a socket of `type` bound at `path` (listening if stream).
std::function<void()> serve(const std::string& path, int type) {
  return [path, type] {
    unlink(path.c_str());
    int s = socket(AF_UNIX, type, 0);
    auto a = address(path);
    if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) _exit(SYVA_TEST_EXIT_TARGET_SETUP);
    if (type == SOCK_STREAM && listen(s, 16) != 0) _exit(SYVA_TEST_EXIT_TARGET_SETUP);
  };
}

int stream_connect(const std::string& path) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  auto a = address(path);
  int err = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 ? 0 : errno;
  close(s);
  return err;
}

int dgram_send(const std::string& path) {
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  auto a = address(path);
  int err = sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 1 ? 0 : errno;
  close(s);
  return err;
}

}  // namespace

TEST_CASE("unix_stream_connect: connecting to another zone's socket is EPERM", "[kernel][unix_stream_connect]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("ustream-alpha", kAlpha);
  Cgroup alpha2("ustream-alpha-2", kAlpha);
  Cgroup beta("ustream-beta", kBeta);
  const std::string beta_sock = kScratch + "/beta.sock", alpha_sock = kScratch + "/alpha.sock",
                    host_sock = kScratch + "/host.sock";
  Target beta_server(&beta, serve(beta_sock, SOCK_STREAM));
  Target alpha_server(&alpha2, serve(alpha_sock, SOCK_STREAM));
  Target host_server(nullptr, serve(host_sock, SOCK_STREAM));

  const auto before = counters(SYVA_HOOK_UNIX_CONNECT);
  drain_events();
  auto denied = run_in(&alpha, [&] { return stream_connect(beta_sock); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_UNIX_CONNECT).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_UNIX_CONNECT, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  CHECK(e.target_cgroup == beta.id());

  CHECK(run_in(&alpha, [&] { return stream_connect(host_sock); }).err == EPERM);  // the host is no zone
  CHECK(run_in(&alpha, [&] { return stream_connect(alpha_sock); }).err == 0);     // (2)
  CHECK(run_in(nullptr, [&] { return stream_connect(beta_sock); }).err == 0);     // (4)
  apply_policy(true);
  CHECK(run_in(&alpha, [&] { return stream_connect(beta_sock); }).err == 0);  // (3)
  CHECK(counters(SYVA_HOOK_UNIX_CONNECT).deny - before.deny == 2);
}

TEST_CASE("unix_may_send: a datagram to another zone's socket is EPERM", "[kernel][unix_may_send]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("udgram-alpha", kAlpha);
  Cgroup alpha2("udgram-alpha-2", kAlpha);
  Cgroup beta("udgram-beta", kBeta);
  const std::string beta_sock = kScratch + "/beta.dgram", alpha_sock = kScratch + "/alpha.dgram";
  Target beta_server(&beta, serve(beta_sock, SOCK_DGRAM));
  Target alpha_server(&alpha2, serve(alpha_sock, SOCK_DGRAM));

  const auto before = counters(SYVA_HOOK_UNIX_SEND);
  drain_events();
  auto denied = run_in(&alpha, [&] { return dgram_send(beta_sock); });
  CHECK(denied.err == EPERM);
  CHECK(counters(SYVA_HOOK_UNIX_SEND).deny - before.deny == 1);
  auto e = only_event(drain_events(), SYVA_HOOK_UNIX_SEND, denied.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  CHECK(e.target_cgroup == beta.id());

  CHECK(run_in(&alpha, [&] { return dgram_send(alpha_sock); }).err == 0);  // (2)
  CHECK(run_in(nullptr, [&] { return dgram_send(beta_sock); }).err == 0);  // (4)
  apply_policy(true);
  CHECK(run_in(&alpha, [&] { return dgram_send(beta_sock); }).err == 0);  // (3)
  CHECK(counters(SYVA_HOOK_UNIX_SEND).deny - before.deny == 1);
}
