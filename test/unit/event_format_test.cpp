// SPDX-License-Identifier: Apache-2.0
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <cstring>

#include "events/event_format.h"
#include "unit/sample_events.h"

using namespace syva;

namespace {

std::string names(uint32_t id) { return id == 1 ? "database" : id == 2 ? "frontend" : ""; }

}  // namespace

TEST_CASE("a file deny line names hook, process, both zones and the inode", "[events]") {
  const syva_event e = test::file_open_deny();
  CHECK(format_deny(e, names) ==
        "DENY hook=file_open pid=41 tgid=40 comm=cat caller_zone=frontend target_zone=database dev=8:1 ino=1234 "
        "caller_cgroup=99");
}

TEST_CASE("a signal deny to the host names the signal and the target", "[events]") {
  syva_event e{};
  e.hook = SYVA_HOOK_TASK_KILL;
  e.pid = e.tgid = 7;
  e.caller_zone = 2;
  e.target_zone = SYVA_ZONE_NONE;
  e.target_pid = 1;
  e.target_cgroup = 5;
  e.signal = 9;
  strcpy(e.comm, "sh");
  CHECK(format_deny(e, names) ==
        "DENY hook=task_kill pid=7 tgid=7 comm=sh caller_zone=frontend target_zone=host target_pid=1 "
        "target_cgroup=5 signal=9 caller_cgroup=0");
}

TEST_CASE("a passed descriptor and a SIGIO name the zone reached like open and kill", "[events]") {
  syva_event e{};
  e.hook = SYVA_HOOK_FILE_RECEIVE;
  e.pid = e.tgid = 12;
  e.caller_zone = 2;
  e.target_zone = 1;
  e.dev = (8ull << 20) | 1;
  e.ino = 77;
  strcpy(e.comm, "recv");
  CHECK(format_deny(e, names) ==
        "DENY hook=file_receive pid=12 tgid=12 comm=recv caller_zone=frontend target_zone=database dev=8:1 ino=77 "
        "caller_cgroup=0");
  e.hook = SYVA_HOOK_SIGIO;
  e.target_pid = 30;
  e.target_cgroup = 6;
  e.signal = 9;
  CHECK(format_deny(e, names) ==
        "DENY hook=file_send_sigiotask pid=12 tgid=12 comm=recv caller_zone=frontend target_zone=database "
        "target_pid=30 target_cgroup=6 signal=9 caller_cgroup=0");
}

TEST_CASE("hostile comm values cannot break the line", "[events]") {
  syva_event e{};
  e.hook = SYVA_HOOK_UNIX_CONNECT;
  e.caller_zone = 3;  // no name known
  e.target_zone = 1;
  strcpy(e.comm, "a b\n\"c");
  const auto line = format_deny(e, names);
  CHECK(line.find("comm=a?b??c ") != std::string::npos);
  CHECK(line.find("caller_zone=zone#3") != std::string::npos);
}

TEST_CASE("an egress deny names the destination; a raw socket refused names what was asked for", "[events]") {
  syva_event e{};
  e.hook = SYVA_HOOK_SOCKET_CONNECT;
  e.pid = e.tgid = 9;
  e.caller_zone = 2;
  e.family = AF_INET;
  e.port = 8080;
  e.addr[10] = e.addr[11] = 0xff;
  e.addr[12] = 10;
  e.addr[15] = 3;
  strcpy(e.comm, "curl");
  CHECK(format_deny(e, names) ==
        "DENY hook=socket_connect pid=9 tgid=9 comm=curl caller_zone=frontend dst=10.0.0.3:8080 caller_cgroup=0");
  e.hook = SYVA_HOOK_SOCKET_SENDMSG;
  e.family = AF_INET6;
  std::memset(e.addr, 0, sizeof(e.addr));
  e.addr[0] = 0xfd;
  e.addr[15] = 1;
  e.port = 0;  // raw IP or ping: no port
  CHECK(format_deny(e, names) ==
        "DENY hook=socket_sendmsg pid=9 tgid=9 comm=curl caller_zone=frontend dst=fd00::1 caller_cgroup=0");
  e.hook = SYVA_HOOK_ZONE_ADDRESS;  // another zone's pod: names the zone too
  e.target_zone = 1;
  e.port = 5432;
  CHECK(format_deny(e, names) ==
        "DENY hook=zone_address pid=9 tgid=9 comm=curl caller_zone=frontend target_zone=database dst=[fd00::1]:5432 "
        "caller_cgroup=0");
  e.hook = SYVA_HOOK_ZONE_INBOUND;  // frontend's socket got a packet from database's pod, at its port 5432
  CHECK(format_deny(e, names) ==
        "DENY hook=zone_inbound pid=9 tgid=9 comm=curl caller_zone=frontend target_zone=database src=fd00::1 "
        "port=5432 caller_cgroup=0");
  e.hook = SYVA_HOOK_SOCKET_CREATE;
  e.family = 17;
  e.aux = 3;
  e.port = 768;
  CHECK(format_deny(e, names) ==
        "DENY hook=socket_create pid=9 tgid=9 comm=curl caller_zone=frontend family=17 type=3 protocol=768 "
        "caller_cgroup=0");
}
