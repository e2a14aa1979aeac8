// SPDX-License-Identifier: Apache-2.0
// syva: the agent (`syva --policy-dir DIR`) and its commands; this file only
// parses the command line and dispatches.
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>

#include <spdlog/spdlog.h>

#include "cli/check.h"
#include "cli/configmap.h"
#include "cli/probe.h"
#include "cli/status.h"
#include "daemon/run_agent.h"
#include "events/batched_log_sink.h"
#include "events/json_log.h"
#include "metrics/metrics.h"
#include "policy/admission.h"
#include "syva_abi.h"

namespace {

constexpr const char* kUsage = R"(Usage:
  syva [--policy-dir DIR] [--containerd-sock PATH] [--pin-path PATH] [--log-level LEVEL]
       [--log-format text|json] [--metrics-address HOST:PORT] [--persist]
       [--unzoned MODE] [--exempt-namespace PATTERN]... [--guard-cgroup NAME]...
      Run the agent: load the zone policies in DIR (one <zone>.toml each), load
      and pin the BPF-LSM programs, self-test, and enforce until SIGINT/SIGTERM.
      A change in DIR, or SIGHUP, reloads the policy (kept if invalid).
      --persist: on SIGINT/SIGTERM leave the programs attached and the maps
      pinned, as a crash would, for the next agent to adopt with no gap
      (rolling updates); without it a stop detaches and removes the pins.
      --log-format json: each log line one JSON object (time, level, msg;
      a DENY/AUDIT line adds hook, verdict, zones, pid, comm, cgroup, target).
      --metrics-address: serve Prometheus metrics at http://HOST:PORT/metrics
      (read-only; off unless given), e.g. 0.0.0.0:9464.
      --unzoned: containers that name no zone are `unenforced` (the default),
      `isolate`d (each pod or container in a zone of its own, with no pairs),
      or join `zone:NAME`; --exempt-namespace: Kubernetes (for pods) or
      containerd (for other containers) namespaces, '*' and '?' allowed,
      whose containers that name no zone stay unenforced.
      --guard-cgroup: a top-level cgroup (e.g. kubepods.slice, kubepods, or a
      containerd namespace's) in which every new cgroup is pending, confined
      alone, until the agent places it: no container command runs free.
      Defaults: /etc/syva/policies, /run/containerd/containerd.sock,
      /sys/fs/bpf/syva, info, text.
  syva status [--pin-path PATH] [--json]
      Print what the kernel enforces, from the pinned maps alone.
      Exit 0 when ACTIVE and healthy, 2 when ACTIVE but degraded, 1 when not
      enforcing (unsafe).
  syva check [--policy-dir DIR]
      Validate and compile the policy in DIR as the agent would, offline (no
      kernel, no root). Exit 0 with a one-line summary, 2 with every problem
      as FILE:LINE: [section] field: what is wrong.
  syva print-configmap [--policy-dir DIR] [--name NAME] [--namespace NS]
      Print the Kubernetes ConfigMap holding every *.toml of DIR byte for
      byte (keys: file names). Defaults: syva-policies, syva-system.
      Exit 2, printing nothing, when the policy is invalid.
  syva probe [--containerd-sock PATH]
      Can this node run Syva? One line per requirement, OK or what to change:
      bpf in the active LSM list, kernel BTF, bpffs at /sys/fs/bpf, cgroup v2,
      containerd's socket, and a real BPF-LSM program load (attached to
      file_open for a moment, allowing everything). Exit 0 all OK, 1 otherwise.
  syva --help | --version

Agent exit codes: 0 stopped cleanly, 1 runtime error, 2 invalid policy,
3 kernel cannot run BPF-LSM, 4 self-test failed (refused to enforce).
)";

int usage_error(const std::string& what) {
  fprintf(stderr, "syva: %s\n\n%s", what.c_str(), kUsage);
  return 64;
}

enum class Command { kAgent, kStatus, kCheck, kPrintConfigMap, kProbe };

struct CommandName {
  const char* word;
  Command command;
};
constexpr CommandName kCommands[] = {
    {"status", Command::kStatus},
    {"check", Command::kCheck},
    {"print-configmap", Command::kPrintConfigMap},
    {"probe", Command::kProbe},
};

enum Flag {
  kPolicyDir = 1,
  kSock,
  kPin,
  kLogLevel,
  kLogFormat,
  kMetrics,
  kJson,
  kPersist,
  kName,
  kNamespace,
  kUnzoned,
  kExempt,
  kGuard
};

const option kLongopts[] = {
    {"policy-dir", required_argument, nullptr, kPolicyDir},
    {"containerd-sock", required_argument, nullptr, kSock},
    {"pin-path", required_argument, nullptr, kPin},
    {"log-level", required_argument, nullptr, kLogLevel},
    {"log-format", required_argument, nullptr, kLogFormat},
    {"metrics-address", required_argument, nullptr, kMetrics},
    {"json", no_argument, nullptr, kJson},
    {"persist", no_argument, nullptr, kPersist},
    {"unzoned", required_argument, nullptr, kUnzoned},
    {"exempt-namespace", required_argument, nullptr, kExempt},
    {"guard-cgroup", required_argument, nullptr, kGuard},
    {"name", required_argument, nullptr, kName},
    {"namespace", required_argument, nullptr, kNamespace},
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'V'},
    {nullptr, 0, nullptr, 0},
};

// The flags each command reads; any other given is an error, not ignored.
std::set<int> flags_of(Command command) {
  switch (command) {
    case Command::kAgent:
      return {kPolicyDir, kSock, kPin, kLogLevel, kLogFormat, kMetrics, kPersist, kUnzoned, kExempt, kGuard};
    case Command::kStatus: return {kPin, kJson};
    case Command::kCheck: return {kPolicyDir};
    case Command::kPrintConfigMap: return {kPolicyDir, kName, kNamespace};
    case Command::kProbe: return {kSock};
  }
  return {};
}

const char* command_label(Command command) {
  for (const auto& c : kCommands)
    if (c.command == command) return c.word;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("syva", std::make_shared<syva::BatchedStdoutSink>()));
  syva::set_log_format(syva::LogFormat::kText);

  Command command = Command::kAgent;
  if (argc > 1 && argv[1][0] != '-') {
    const CommandName* found = nullptr;
    for (const auto& c : kCommands)
      if (strcmp(argv[1], c.word) == 0) found = &c;
    if (!found) return usage_error("unknown command '" + std::string(argv[1]) + "'");
    command = found->command;
    --argc;
    ++argv;
  }

  syva::AgentOptions agent;
  bool json = false;
  std::string log_level = "info", log_format = "text";
  std::string configmap_name = "syva-policies", configmap_namespace = "syva-system";
  std::set<int> given;
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "hV", kLongopts, nullptr)) != -1) {
    given.insert(opt);
    switch (opt) {
      case kPolicyDir: agent.policy_dir = optarg; break;
      case kSock: agent.containerd_sock = optarg; break;
      case kPin: agent.pin_path = optarg; break;
      case kLogLevel: log_level = optarg; break;
      case kLogFormat: log_format = optarg; break;
      case kMetrics: agent.metrics_address = optarg; break;
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
      case kName: configmap_name = optarg; break;
      case kNamespace: configmap_namespace = optarg; break;
      case 'h': fputs(kUsage, stdout); return 0;
      case 'V': printf("syva %s\n", SYVA_VERSION); return 0;
      default: return usage_error("unknown or incomplete option '" + std::string(argv[optind - 1]) + "'");
    }
  }
  if (optind < argc) return usage_error("unexpected argument '" + std::string(argv[optind]) + "'");

  const std::set<int> allowed = flags_of(command);
  for (int flag : given) {
    if (allowed.count(flag)) continue;
    std::string name;
    for (const option* o = kLongopts; o->name; ++o)
      if (o->val == flag) name = o->name;
    std::string owner = "another command";
    for (Command c : {Command::kAgent, Command::kStatus, Command::kCheck, Command::kPrintConfigMap, Command::kProbe}) {
      if (!flags_of(c).count(flag)) continue;
      owner = c == Command::kAgent ? "the agent" : "`syva " + std::string(command_label(c)) + "`";
      break;
    }
    return usage_error("--" + name + " belongs to " + owner);
  }

  switch (command) {
    case Command::kStatus: {
      auto report = syva::read_status(agent.pin_path);
      fputs((json ? syva::format_status_json(report) : syva::format_status_text(report)).c_str(), stdout);
      return syva::status_exit_code(report);
    }
    case Command::kCheck: return syva::run_check(agent.policy_dir);
    case Command::kPrintConfigMap:
      return syva::run_print_configmap(agent.policy_dir, configmap_name, configmap_namespace);
    case Command::kProbe: return syva::run_probe(agent.containerd_sock);
    case Command::kAgent: break;
  }

  auto level = spdlog::level::from_str(log_level);
  if (level == spdlog::level::off && log_level != "off") return usage_error("--log-level: unknown level");
  spdlog::set_level(level);
  syva::LogFormat format;
  if (!syva::parse_log_format(log_format, format)) return usage_error("--log-format: text or json");
  if (given.count(kMetrics)) {
    const std::string problem = syva::check_metrics_address(agent.metrics_address);
    if (!problem.empty()) return usage_error("--metrics-address: " + problem);
  }
  syva::set_log_format(format);
  return syva::run_agent(agent);
}
