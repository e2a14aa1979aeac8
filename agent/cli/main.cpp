// SPDX-License-Identifier: Apache-2.0
// syva: the agent (`syva --policy-dir DIR`) and `syva status`.
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "cli/status.h"
#include "daemon/run_agent.h"
#include "events/batched_log_sink.h"
#include "policy/admission.h"
#include "syva_abi.h"

namespace {

constexpr const char* kUsage = R"(Usage:
  syva [--policy-dir DIR] [--containerd-sock PATH] [--pin-path PATH] [--log-level LEVEL] [--persist]
       [--unzoned MODE] [--exempt-namespace PATTERN]... [--guard-cgroup NAME]...
      Run the agent: load the zone policies in DIR (one <zone>.toml each), load
      and pin the BPF-LSM programs, self-test, and enforce until SIGINT/SIGTERM.
      A change in DIR, or SIGHUP, reloads the policy (kept if invalid).
      --persist: on SIGINT/SIGTERM leave the programs attached and the maps
      pinned, as a crash would, for the next agent to adopt with no gap
      (rolling updates); without it a stop detaches and removes the pins.
      --unzoned: containers that name no zone are `unenforced` (the default),
      `isolate`d (each pod or container in a zone of its own, with no pairs),
      or join `zone:NAME`; --exempt-namespace: Kubernetes (for pods) or
      containerd (for other containers) namespaces, '*' and '?' allowed,
      whose containers that name no zone stay unenforced.
      --guard-cgroup: a top-level cgroup (e.g. kubepods.slice, kubepods, or a
      containerd namespace's) in which every new cgroup is pending, confined
      alone, until the agent places it: no container command runs free.
      Defaults: /etc/syva/policies, /run/containerd/containerd.sock,
      /sys/fs/bpf/syva, info.
  syva status [--pin-path PATH] [--json]
      Print what the kernel enforces, from the pinned maps alone.
      Exit 0 when ACTIVE and healthy, 2 when ACTIVE but degraded, 1 when not
      enforcing (unsafe).
  syva --help | --version

Agent exit codes: 0 stopped cleanly, 1 runtime error, 2 invalid policy,
3 kernel cannot run BPF-LSM, 4 self-test failed (refused to enforce).
)";

int usage_error(const char* what) {
  fprintf(stderr, "syva: %s\n\n%s", what, kUsage);
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("syva", std::make_shared<syva::BatchedStdoutSink>()));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");

  bool status = argc > 1 && strcmp(argv[1], "status") == 0;
  if (status) {
    --argc;
    ++argv;
  }

  syva::AgentOptions agent;
  bool json = false;
  std::string log_level = "info";
  enum { kPolicyDir = 1, kSock, kPin, kLogLevel, kJson, kPersist, kUnzoned, kExempt, kGuard };
  static const option longopts[] = {
      {"policy-dir", required_argument, nullptr, kPolicyDir},
      {"containerd-sock", required_argument, nullptr, kSock},
      {"pin-path", required_argument, nullptr, kPin},
      {"log-level", required_argument, nullptr, kLogLevel},
      {"json", no_argument, nullptr, kJson},
      {"persist", no_argument, nullptr, kPersist},
      {"unzoned", required_argument, nullptr, kUnzoned},
      {"exempt-namespace", required_argument, nullptr, kExempt},
      {"guard-cgroup", required_argument, nullptr, kGuard},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "hV", longopts, nullptr)) != -1) {
    switch (opt) {
      case kPolicyDir: agent.policy_dir = optarg; break;
      case kSock: agent.containerd_sock = optarg; break;
      case kPin: agent.pin_path = optarg; break;
      case kLogLevel: log_level = optarg; break;
      case kJson: json = true; break;
      case kPersist: agent.persist = true; break;
      case kUnzoned: {
        auto setting = syva::parse_unzoned(optarg);
        if (!setting) return usage_error("--unzoned: one of unenforced, isolate, zone:NAME (a valid zone name)");
        setting->exempt = std::move(agent.unzoned.exempt);
        agent.unzoned = std::move(*setting);
        break;
      }
      case kExempt:
        if (!syva::valid_namespace_pattern(optarg))
          return usage_error("--exempt-namespace: 1-63 of a-z, 0-9, '-', '.', '_', '*', '?'");
        agent.unzoned.exempt.emplace_back(optarg);
        break;
      case kGuard:
        if (!*optarg || strchr(optarg, '/') || strlen(optarg) >= SYVA_CGROUP_NAME_LEN || optarg[0] == '.')
          return usage_error("--guard-cgroup: the name of a top-level cgroup (no '/'), under 64 characters");
        agent.guarded_roots.emplace_back(optarg);
        break;
      case 'h': fputs(kUsage, stdout); return 0;
      case 'V': printf("syva %s\n", SYVA_VERSION); return 0;
      default: return usage_error(("unknown or incomplete option '" + std::string(argv[optind - 1]) + "'").c_str());
    }
  }
  if (optind < argc) return usage_error(("unexpected argument '" + std::string(argv[optind]) + "'").c_str());

  if (status && (agent.persist || !agent.guarded_roots.empty() || !agent.unzoned.exempt.empty()))
    return usage_error("--persist, --guard-cgroup and --exempt-namespace belong to the agent");
  if (status) {
    auto report = syva::read_status(agent.pin_path);
    fputs((json ? syva::format_status_json(report) : syva::format_status_text(report)).c_str(), stdout);
    return syva::status_exit_code(report);
  }
  if (json) return usage_error("--json belongs to `syva status`");

  auto level = spdlog::level::from_str(log_level);
  if (level == spdlog::level::off && log_level != "off") return usage_error("--log-level: unknown level");
  spdlog::set_level(level);
  return syva::run_agent(agent);
}
