// SPDX-License-Identifier: Apache-2.0
// The commands around the agent, run as an operator would: `syva check` and
// `syva print-configmap` offline, with the same verdict and words as the
// agent on the same directory; the agent's --log-format json on this host.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/bad_policies.h"
#include "support/shell.h"
#include "support/skip.h"
#include "unit/policy_test_util.h"

using syva::test::shell;

namespace {

const std::string kSyva = SYVA_BINARY;
const std::string kPolicies = std::string(SYVA_SOURCE_DIR) + "/policies";

}  // namespace

TEST_CASE("syva check accepts the shipped policies with a one-line summary", "[host][check]") {
  auto r = shell("(" + kSyva + " check --policy-dir " + kPolicies + " 2>/dev/null)");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find(kPolicies + ": valid: 3 zones (database, frontend, monitoring)") == 0);
  CHECK(r.output.find('\n') == r.output.size() - 1);
}

TEST_CASE("syva check reports each invalid policy as the agent does, exit 2", "[host][check]") {
  for (const auto& c : syva::test::kBadPolicies) {
    DYNAMIC_SECTION(c.what) {
      syva::test::PolicyDir dir;
      dir.write(c.file, c.body);
      auto check = shell(kSyva + " check --policy-dir " + dir.path());
      INFO(check.output);
      CHECK(check.exit_code == 2);
      CHECK(check.output.find(c.expected) != std::string::npos);
      // The agent refuses the same directory (before any kernel work) with the same line.
      auto agent = shell(kSyva + " --policy-dir " + dir.path() + " --pin-path /sys/fs/bpf/syva-check-test");
      INFO(agent.output);
      CHECK(agent.exit_code == 2);
      const auto first = check.output.substr(0, check.output.find('\n'));
      CHECK(agent.output.find("policy: " + first) != std::string::npos);
    }
  }
}

TEST_CASE("syva check names every problem of every file", "[host][check]") {
  syva::test::PolicyDir dir;
  dir.write("a.toml", "[resources]\npids_max = -1\n");
  dir.write("b.toml", "[network]\nmode = \"x\"\n");
  auto r = shell(kSyva + " check --policy-dir " + dir.path());
  INFO(r.output);
  CHECK(r.exit_code == 2);
  CHECK(r.output.find(dir.path() + "/a.toml:2: [resources] pids_max") != std::string::npos);
  CHECK(r.output.find(dir.path() + "/b.toml:2: [network] mode") != std::string::npos);
  CHECK(r.output.find(": invalid: 2 problems") != std::string::npos);
  CHECK(shell(kSyva + " check --policy-dir " + dir.path() + "/none").exit_code == 2);
}

TEST_CASE("a tenant's unreadable directory under host_paths degrades the policy, never invalidates it",
          "[host][check][host_paths]") {
  // As the agent without DAC_READ_SEARCH meets it: a 0700 directory of
  // another uid under the owned tree. Root here reads everything, so the
  // capabilities that let it are dropped for the command.
  syva::test::PolicyDir dir;
  const std::string owned = dir.path() + "/owned";
  std::filesystem::create_directories(owned + "/private");
  std::filesystem::create_directories(owned + "/public");
  REQUIRE(chown((owned + "/private").c_str(), 54321, 54321) == 0);
  REQUIRE(chmod((owned + "/private").c_str(), 0700) == 0);
  dir.write("database.toml", "[filesystem]\nhost_paths = [\"" + owned + "\"]\n");
  dir.write("frontend.toml", "");
  auto r = shell("setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search " +
                 kSyva + " check --policy-dir " + dir.path());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("database.toml:2: [filesystem] host_paths: cannot read '" + owned +
                      "/private': Permission denied; what is below it is not owned") != std::string::npos);
  // Everything else is owned: the root, the two directories (the unreadable
  // one's own inode too).
  CHECK(r.output.find("valid: 2 zones (database, frontend), 0 allowed pairs, 3 owned inodes") != std::string::npos);
  // The same agent on this kernel: past the policy (it would enforce the
  // rest), refused only by the kernel.
  auto agent = shell("setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search " +
                     kSyva + " --policy-dir " + dir.path() + " --pin-path /sys/fs/bpf/syva-degraded-test");
  INFO(agent.output);
  CHECK(agent.exit_code != 2);
  CHECK(agent.output.find("NOT FULLY ENFORCED") != std::string::npos);
}

TEST_CASE("syva print-configmap refuses an invalid policy and prints nothing", "[host][configmap]") {
  syva::test::PolicyDir dir;
  dir.write("a.toml", "[network]\nmode = \"mesh\"\n");
  auto out = shell("(" + kSyva + " print-configmap --policy-dir " + dir.path() + " 2>/dev/null)");
  CHECK(out.exit_code == 2);
  CHECK(out.output.empty());
}

TEST_CASE("syva print-configmap takes a name and namespace; other commands' flags are usage errors",
          "[host][configmap]") {
  auto r = shell(kSyva + " print-configmap --policy-dir " + kPolicies + " --name p --namespace q");
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("kind: ConfigMap\nmetadata:\n  name: p\n  namespace: q\n") != std::string::npos);
  CHECK(r.output.find("  database.toml: |\n") != std::string::npos);
  CHECK(shell(kSyva + " check --pin-path /x").exit_code == 64);
  CHECK(shell(kSyva + " --name x").exit_code == 64);
  CHECK(shell(kSyva + " frobnicate").exit_code == 64);
}

namespace {

// Each line of `output` parsed; a line that is not one JSON object fails the test.
std::vector<nlohmann::json> json_lines(const std::string& output) {
  std::vector<nlohmann::json> lines;
  size_t pos = 0;
  while (pos < output.size()) {
    const size_t nl = output.find('\n', pos);
    const std::string line = output.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? output.size() : nl + 1;
    INFO(line);
    nlohmann::json parsed;
    REQUIRE_NOTHROW(parsed = nlohmann::json::parse(line));
    REQUIRE(parsed.is_object());
    CHECK(parsed.contains("time"));
    CHECK(parsed.contains("level"));
    lines.push_back(parsed);
  }
  return lines;
}

bool any_msg(const std::vector<nlohmann::json>& lines, const std::string& level, const std::string& part) {
  for (const auto& l : lines)
    if (l["level"] == level && l["msg"].get<std::string>().find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("--log-format json: the agent's refusal on this kernel is JSON, line by line", "[host][log]") {
  const std::string pin = "/sys/fs/bpf/syva-json-log-test";
  auto r = shell(kSyva + " --log-format json --log-level debug --policy-dir " + kPolicies + " --pin-path " + pin);
  INFO(r.output);
  if (r.exit_code != 3) SYVA_SKIP("this host's kernel loads BPF-LSM programs; the agent did not stop with exit 3");
  auto lines = json_lines(r.output);
  CHECK(lines.size() >= 3);
  CHECK(any_msg(lines, "info", "syva " SYVA_VERSION " starting"));
  CHECK(any_msg(lines, "error", "cannot enforce"));
  CHECK(any_msg(lines, "debug", "libbpf: "));
  CHECK_FALSE(std::filesystem::exists(pin));
}

TEST_CASE("--log-format json: an invalid policy's problems are JSON lines too", "[host][log]") {
  syva::test::PolicyDir dir;
  dir.write("web.toml", "[network]\nmode = \"mesh\"\n");
  auto r = shell(kSyva + " --log-format json --policy-dir " + dir.path() + " --pin-path /sys/fs/bpf/syva-json-bad");
  INFO(r.output);
  CHECK(r.exit_code == 2);
  auto lines = json_lines(r.output);
  CHECK(any_msg(lines, "error", "web.toml:2: [network] mode: 'mesh' is not one of isolated, bridged, host"));
  CHECK(shell(kSyva + " --log-format yaml").exit_code == 64);
  CHECK(shell(kSyva + " status --log-format json").exit_code == 64);
}

TEST_CASE("syva probe on this host: the BPF-LSM load is refused, said, exit 1", "[host][probe]") {
  auto r = shell(kSyva + " probe --containerd-sock /nonexistent/containerd.sock");
  INFO(r.output);
  CHECK(r.exit_code == 1);
  // One line a check, each OK or FAIL, and a verdict.
  for (const char* name : {" lsm: ", " btf: ", " bpffs: ", " cgroup2: ", " containerd: ", " bpf-lsm load: ", " kernel features: "})
    CHECK(r.output.find(name) != std::string::npos);
  CHECK(r.output.find("FAIL  containerd: /nonexistent/containerd.sock: No such file or directory") !=
        std::string::npos);
  CHECK(r.output.find("syva probe: this node cannot run Syva as it is\n") != std::string::npos);
  if (r.output.find("OK    bpf-lsm load:") != std::string::npos)
    SYVA_SKIP("this host's kernel loads BPF-LSM programs; the refusal cannot be shown");
  CHECK(r.output.find("FAIL  bpf-lsm load: kernel ") != std::string::npos);
  CHECK(r.output.find("refused BPF_PROG_LOAD of an LSM program: Operation not permitted (errno 1)") !=
        std::string::npos);
  // A kernel that loads no LSM program cannot be asked for the programs' features.
  CHECK(r.output.find("FAIL  kernel features: cannot tell") != std::string::npos);
  CHECK(shell(kSyva + " probe --pin-path /x").exit_code == 64);
}

TEST_CASE("--metrics-address: an address that cannot be bound stops the agent before the kernel", "[host][metrics]") {
  // A port this test holds.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(listen(fd, 1) == 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  const std::string pin = "/sys/fs/bpf/syva-metrics-busy";
  auto r = shell(kSyva + " --metrics-address " + address + " --policy-dir " + kPolicies + " --pin-path " + pin);
  close(fd);
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("cannot serve metrics on " + address) != std::string::npos);
  CHECK(r.output.find("cannot enforce") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(pin));
  CHECK(shell(kSyva + " --metrics-address 9464").exit_code == 64);
}
