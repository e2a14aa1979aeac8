// SPDX-License-Identifier: Apache-2.0
// `syva probe` on a kernel that runs BPF-LSM: every check passes and it
// exits 0 (the host test shows the refusal on one that does not).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "kernel/agent_process.h"
#include "support/unix_listener.h"
#include "support/shell.h"

using syva::ktest::syva_binary;
using syva::test::shell;

TEST_CASE("syva probe passes every check on a BPF-LSM kernel", "[kernel][probe]") {
  // A listening socket stands in for containerd: the probe only connects.
  const syva::test::UnixListener containerd("/tmp/syva-probe-test.sock");
  REQUIRE(containerd.listening());
  auto r = shell(syva_binary() + " probe --containerd-sock " + containerd.path());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("FAIL") == std::string::npos);
  CHECK(r.output.find("OK    bpf-lsm load: an LSM program loaded and attached to file_open") != std::string::npos);
  CHECK(r.output.find("OK    kernel features: task storage, ring buffer and the helpers the programs call are "
                      "there") != std::string::npos);
  CHECK(r.output.find("syva probe: this node can run Syva\n") != std::string::npos);
}
