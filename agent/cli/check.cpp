// SPDX-License-Identifier: Apache-2.0
#include "cli/check.h"

#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "daemon/run_agent.h"
#include "policy/compiled_policy.h"
#include "policy/policy_loader.h"

namespace syva {

int run_check(const std::string& policy_dir) {
  // Compilation warns (a host path missing on this machine): on stderr, with
  // the problems, leaving stdout to the one-line verdict.
  auto warnings = std::make_shared<spdlog::logger>("syva", std::make_shared<spdlog::sinks::stderr_sink_st>());
  warnings->set_pattern("%l: %v");
  spdlog::set_default_logger(warnings);
  try {
    // The very calls the agent makes at start and on reload, so that "check
    // passed" means "the agent would take it" on a node with the same host_paths.
    const CompiledPolicy policy = compile_policy(load_policy_dir(policy_dir));
    for (const auto& d : policy.degraded) fmt::print(stderr, "warning: {} (on this machine)\n", d);
    // A one-line verdict: a directory of thousands of zones names the first few.
    constexpr size_t kNamed = 20;
    std::string zones;
    for (size_t i = 0; i < policy.zone_names.size() && i < kNamed; ++i)
      zones += (zones.empty() ? "" : ", ") + policy.zone_names[i];
    if (policy.zone_names.size() > kNamed) zones += fmt::format(", and {} more", policy.zone_names.size() - kNamed);
    fmt::print("{}: valid: {} zones ({}), {} allowed pairs, {} owned inodes on this machine\n", policy_dir,
               policy.zone_names.size(), zones, policy.pairs.size() / 2, policy.inodes.size());
    return kExitOk;
  } catch (const PolicyError& e) {
    if (e.problems().empty()) fmt::print(stderr, "{}\n", e.what());
    for (const auto& problem : e.problems()) fmt::print(stderr, "{}\n", problem);
    const size_t n = e.problems().empty() ? 1 : e.problems().size();
    fmt::print(stderr, "{}: invalid: {} problem{}\n", policy_dir, n, n == 1 ? "" : "s");
    return kExitBadPolicy;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: cannot check: {}\n", policy_dir, e.what());
    return kExitFailure;
  }
}

}  // namespace syva
