// SPDX-License-Identifier: Apache-2.0
// A container's writable layer reached through the node's paths, end to
// end: the real agent, a real containerd and runc. Container A (database)
// writes into its rootfs; container B (frontend) has containerd's state
// directory mounted (as a hostPath of it would give it) and is handed the
// node path of A's upperdir. The kernel must refuse B what it refuses
// through A's overlay, and leave A and the node their access.
#include <bpf/bpf.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "enforcer/kernel_ids.h"
#include "kernel/agent_process.h"
#include "kernel/zone_fixture.h"
#include "support/files.h"
#include "support/private_containerd.h"
#include "support/shell.h"
#include "syva_abi.h"
#include "watcher/mountinfo.h"

using namespace syva::ktest;
using syva::test::PrivateContainerd;
using syva::test::read_file;
using syva::test::read_pinned_membership;
using syva::test::shell;
namespace fs = std::filesystem;

namespace {

const std::string kPin = "/sys/fs/bpf/syva-layer-test";

syva_inode_key key_of(const std::string& path) {
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return {syva::kernel_dev(st.st_dev), st.st_ino};
}

// The pinned inode_zone entry of `key`, with its inherited bit.
std::optional<uint32_t> pinned_owner(const syva_inode_key& key) {
  const int fd = bpf_obj_get((kPin + "/inode_zone").c_str());
  REQUIRE(fd >= 0);
  uint32_t value = 0;
  const bool found = bpf_map_lookup_elem(fd, &key, &value) == 0;
  close(fd);
  return found ? std::optional(value) : std::nullopt;
}

}  // namespace

TEST_CASE("a container's writable layer on the node is its zone's: another zone that sees the node path is refused",
          "[kernel][containers][writable-layer]") {
  REQUIRE_BPF_LSM();
  if (auto why = PrivateContainerd::unavailable(); !why.empty())
    SYVA_SKIP("no containerd in this kernel test run (test/vm/run-in-vm.sh --containerd): " + why);

  const std::string dir = kScratch + "/layer";
  fs::remove_all(dir);
  fs::create_directories(dir + "/policies");
  const std::string admit = "[zone]\ncontainerd_namespaces = [\"syva-wt-*\"]\n";
  std::ofstream(dir + "/policies/database.toml") << admit;
  std::ofstream(dir + "/policies/frontend.toml") << admit;

  PrivateContainerd cd("layer");
  const std::string ns = cd.ns("l");
  cd.import_image(ns);
  AgentProcess agent({"--policy-dir", dir + "/policies", "--pin-path", kPin, "--containerd-sock", cd.socket()},
                     dir + "/agent.log");
  REQUIRE(agent.wait_for("containerd: connected"));

  const std::string probe = fmt::format("--mount type=bind,src={},dst=/probe,options=rbind:ro", zone_probe_binary());
  cd.run_detached(ns, "a", "--no-pivot --label syva.dev/zone=database " + probe,
                  "sh -c 'echo before >/before; exec sleep 300'");
  cd.run_detached(ns, "b",
                  fmt::format("--no-pivot --label syva.dev/zone=frontend {} "
                              "--mount type=bind,src={},dst=/node,options=rbind:rw",
                              probe, cd.dir()));
  REQUIRE(agent.wait_for("writable layer +: container=a "));
  REQUIRE(agent.wait_for("writable layer +: container=b "));
  INFO(agent.log());

  // A's upperdir as the kernel names it, and as B sees it.
  const auto root = syva::root_mount(read_file(fmt::format("/proc/{}/mountinfo", cd.task_pid(ns, "a"))), "overlay", 0);
  REQUIRE(root);
  const std::string upper = syva::parse_overlay_options(root->super_options).upper;
  REQUIRE(upper.starts_with(cd.dir() + "/"));
  const std::string seen_by_b = "/node" + upper.substr(cd.dir().size());
  for (int i = 0; i < 100 && !fs::exists(upper + "/before"); ++i) usleep(100'000);
  REQUIRE(fs::exists(upper + "/before"));

  int execs = 0;
  auto exec = [&](const std::string& id, const std::string& command) {
    auto r = shell(fmt::format("ctr --address {} -n {} task exec --exec-id x{} {} sh -c '{}'", cd.socket(), ns, ++execs,
                               id, command));
    INFO(r.output);
    CHECK(r.exit_code == 0);
    return r.output;
  };
  // Each attempt's answer from inside B, in order, in one exec (each costs
  // seconds under TCG): "0" or the errno.
  auto attempts_of_b = [&](const std::vector<std::string>& attempts) {
    std::string script;
    for (const auto& a : attempts) script += "/probe " + a + "; echo $?; ";
    std::istringstream out(exec("b", script));
    std::vector<int> answers;
    for (int answer; out >> answer;) answers.push_back(answer);
    return answers;
  };

  // Made after placement: a file, a directory and files in it, and a copy-up
  // of an image file (made in the workdir, then moved into the upperdir). A
  // reads and writes its own files, old and new.
  CHECK(exec("a", "echo after >/after && mkdir /made && echo nested >/made/file && touch /bin/busybox && "
                  "cat /before /after /made/file && echo more >>/before && echo again >/made/second") ==
        "before\nafter\nnested\n");

  // B, through the node path: nothing of A's layer opens, lists or takes a
  // new entry.
  std::vector<std::string> attempts;
  for (const char* path : {"/before", "/after", "/made/file", "/made", "/bin/busybox", ""})
    attempts.push_back("open " + seen_by_b + path);
  attempts.push_back("write " + seen_by_b + "/planted");
  attempts.push_back("write " + seen_by_b + "/before");
  CHECK(attempts_of_b(attempts) == std::vector<int>(attempts.size(), EPERM));
  CHECK_FALSE(fs::exists(upper + "/planted"));
  CHECK(agent.wait_for("DENY hook=file_open", 5));
  CHECK(agent.log().find("caller_zone=frontend target_zone=database") != std::string::npos);

  // The node is not a zone: an unzoned process reads them.
  CHECK(read_file(upper + "/made/file") == "nested\n");
  CHECK(read_file(upper + "/before") == "before\nmore\n");

  // The entries: A's zone, as the kernel's own inherited ones are.
  const uint32_t database = read_pinned_membership(kPin).at(cd.cgroup_id(ns, "a"));
  const std::vector<std::string> files = {upper, upper + "/before", upper + "/after", upper + "/made/second"};
  std::vector<syva_inode_key> keys;
  for (const auto& f : files) {
    INFO(f);
    keys.push_back(key_of(f));
    CHECK(pinned_owner(keys.back()) == (database | SYVA_INODE_INHERITED));
  }

  // A policy reload keeps them.
  std::ofstream(dir + "/policies/database.toml") << admit << "\n";
  REQUIRE(agent.wait_for("policy reloaded"));
  CHECK(attempts_of_b({"open " + seen_by_b + "/after"}) == std::vector<int>{EPERM});

  // A's task ends: its layer's entries go with its membership.
  cd.remove(ns, "a");
  REQUIRE(agent.wait_for("writable layer -: container=a "));
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO(files[i]);
    CHECK_FALSE(pinned_owner(keys[i]));
  }

  cd.remove(ns, "b");
  CHECK(agent.stop(SIGTERM) == 0);
  fs::remove_all(dir);
}
