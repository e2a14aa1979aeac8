// SPDX-License-Identifier: Apache-2.0
#include "daemon/run_agent.h"

#include <bpf/libbpf.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "daemon/node_addresses.h"
#include "daemon/policy_dir_watch.h"
#include "enforcer/enforcer.h"
#include "enforcer/hooks.h"
#include "enforcer/map_readers.h"
#include "enforcer/selftest.h"
#include "events/event_format.h"
#include "events/event_reader.h"
#include "metrics/metrics.h"
#include "policy/compiled_policy.h"
#include "policy/policy_loader.h"
#include "syva.skel.h"
#include "enforcer/kernel_ids.h"
#include "watcher/cgroup_path.h"
#include "watcher/containerd_watcher.h"
#include "watcher/enforcer_sink.h"

namespace syva {

namespace {

// Zone names for the event thread; replaced whole when the policy changes.
class ZoneNames {
 public:
  void set(std::map<uint32_t, std::string> names) {
    std::lock_guard lock(mutex_);
    names_ = std::move(names);
  }
  // Ids the table does not know yet (a zone the watcher made for a name
  // without a policy file) are looked up in the map once.
  std::string get(uint32_t id, const Enforcer& enforcer) {
    std::lock_guard lock(mutex_);
    if (!names_.count(id)) names_ = enforcer.zone_names();
    auto it = names_.find(id);
    return it == names_.end() ? "" : it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<uint32_t, std::string> names_;
};

// Loads and compiles the policy directory; nullopt (logged) when invalid.
std::optional<CompiledPolicy> load_policy(const std::string& dir, std::string& error) {
  try {
    CompiledPolicy policy = compile_policy(load_policy_dir(dir));
    spdlog::info("policy: {} zones, {} allowed pairs, {} owned inodes", policy.zone_names.size(),
                 policy.pairs.size() / 2, policy.inodes.size());
    for (const auto& d : policy.degraded) spdlog::error("policy: NOT FULLY ENFORCED: {}", d);
    return policy;
  } catch (const PolicyError& e) {
    for (const auto& p : e.problems()) spdlog::error("policy: {}", p);
    error = e.problems().empty() ? e.what() : e.problems().front();
    if (e.problems().size() > 1) error += fmt::format(" (and {} more)", e.problems().size() - 1);
    return std::nullopt;
  }
}

void record_policy(Enforcer& enforcer, const std::string& rejected_because, const CompiledPolicy* applied = nullptr) {
  enforcer.update_state([&](syva_agent_state& state) {
    memset(state.policy_error, 0, sizeof(state.policy_error));
    if (rejected_because.empty()) {
      ++state.policy_generation;
      state.policy_applied_at = static_cast<uint64_t>(time(nullptr));
      state.policy_rejected = 0;
      state.policy_degraded = applied ? static_cast<uint32_t>(applied->degraded.size()) : 0;
      memset(state.policy_degraded_error, 0, sizeof(state.policy_degraded_error));
      if (applied && !applied->degraded.empty())
        applied->degraded.front().copy(state.policy_degraded_error, sizeof(state.policy_degraded_error) - 1);
    } else {
      state.policy_rejected = 1;
      rejected_because.copy(state.policy_error, sizeof(state.policy_error) - 1);
    }
  });
}

void record_containerd(Enforcer& enforcer, bool connected) {
  const uint32_t link = connected ? SYVA_CONTAINERD_CONNECTED : SYVA_CONTAINERD_UNREACHABLE;
  if (enforcer.state().containerd == link) return;
  enforcer.update_state([&](syva_agent_state& state) { state.containerd = link; });
}

// What a scrape reports, read from the maps at that moment (from the
// exposer's thread: map reads are system calls, safe beside the writers).
MetricsSnapshot metrics_snapshot(const syva_bpf& skel) {
  MetricsSnapshot s;
  const auto counters = read_counters(bpf_map__fd(skel.maps.counters));
  for (size_t hook = 0; hook < counters.size() && hook < kChecks.size(); ++hook) {
    // The self-test probe judges nothing while enforcing; markers only count their errors.
    if (kChecks[hook].kind == SYVA_KIND_PROBE) continue;
    s.hooks.emplace_back(std::string(hook_name(static_cast<uint32_t>(hook))), counters[hook]);
  }
  std::map<uint32_t, uint64_t> members;
  for (const auto& [cgroup, zone] : read_zone_entries(bpf_map__fd(skel.maps.zone_membership))) ++members[zone];
  s.quarantined = members[SYVA_ZONE_QUARANTINE];
  s.pending = members[SYVA_ZONE_PENDING];
  for (const auto& [id, name] : read_zone_names(bpf_map__fd(skel.maps.zone_names)))
    s.zone_members.emplace_back(name, members[id]);
  if (auto state = read_agent_state(bpf_map__fd(skel.maps.agent_state))) {
    s.has_agent_state = true;
    s.policy_generation = state->policy_generation;
    s.policy_rejected = state->policy_rejected != 0;
    s.containerd_connected = state->containerd == SYVA_CONTAINERD_CONNECTED;
  }
  return s;
}

}  // namespace

int run_agent(const AgentOptions& options) {
  // Signals are read from a signalfd below; block them before any thread
  // starts, so that no thread has them delivered instead.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  spdlog::info("syva {} starting: policy dir {}, pin path {}", SYVA_VERSION, options.policy_dir, options.pin_path);

  std::string policy_error;
  std::optional<CompiledPolicy> policy = load_policy(options.policy_dir, policy_error);
  if (!policy) {
    spdlog::error("refusing to start: the policy in {} is invalid; nothing was changed in the kernel",
                  options.policy_dir);
    return kExitBadPolicy;
  }

  // Bound before the kernel is touched: an address in use is a start-up
  // error that changes nothing, like an invalid policy.
  std::unique_ptr<MetricsServer> metrics;
  if (!options.metrics_address.empty()) {
    try {
      metrics = std::make_unique<MetricsServer>(options.metrics_address);
    } catch (const std::exception& e) {
      spdlog::error("cannot serve metrics on {}: {}", options.metrics_address, e.what());
      return kExitFailure;
    }
  }

  std::unique_ptr<Enforcer> enforcer;
  try {
    enforcer = std::make_unique<Enforcer>(EnforcerOptions{options.pin_path, true});
  } catch (const KernelUnsupported& e) {
    spdlog::error("cannot enforce: {}", e.what());
    return kExitNoBpfLsm;
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return kExitFailure;
  }

  // Started under a guarded root while a previous agent's programs enforce
  // (the DaemonSet's pod after an update): the kernel made this agent's own
  // cgroup PENDING. It leaves that state before doing anything else.
  try {
    const auto own = cgroup_of_pid(getpid(), cgroup2_mount());
    if (enforcer->clear_pending(own.id))
      spdlog::warn("this agent's own cgroup {} was pending (made under a guarded root): cleared", own.path);
  } catch (const std::exception& e) {
    spdlog::warn("cannot read this agent's own cgroup: {}", e.what());
  }

  try {
    const auto self = std::filesystem::read_symlink("/proc/self/exe").string();
    SelftestResult st = run_selftest(*enforcer, self);
    if (!st.passed) {
      spdlog::error("self-test FAILED: {}", st.summary);
      spdlog::error("refusing to enforce: the kernel programs would not recognise the cgroups and files "
                    "user space names");
      return kExitSelftestFailed;
    }
    spdlog::info("self-test passed: {}", st.summary);

    enforcer->apply_policy(*policy);
    record_policy(*enforcer, "", &*policy);
    enforcer->set_guarded_roots(options.guarded_roots);
    enforcer->attach();
  } catch (const KernelUnsupported& e) {
    spdlog::error("cannot enforce: {}", e.what());
    return kExitNoBpfLsm;
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return kExitFailure;
  }

  // Membership comes from containerd; the watcher retries while containerd is away.
  EnforcerSink membership(*enforcer);
  WatcherOptions watch;
  watch.socket = options.containerd_sock;
  watch.unzoned = options.unzoned;
  watch.admission = policy->admission;
  ContainerdWatcher watcher(watch, membership);
  ZoneNames names;
  // Declared after the watcher: the reader's thread, which asks it who a
  // cgroup is, stops first.
  EventReader events(bpf_map__fd(enforcer->skeleton()->maps.events), [&](const syva_event& e) {
    log_deny(e, [&](uint32_t id) { return names.get(id, *enforcer); },
             [&](uint64_t cgroup) { return watcher.origin_of(cgroup); });
  });
  events.start();
  spdlog::info("containers that name no zone: {}; new cgroups start pending under: {}", describe(options.unzoned),
               options.guarded_roots.empty() ? "none (--guard-cgroup)" : fmt::format("{}", fmt::join(options.guarded_roots, ", ")));
  watcher.start();
  spdlog::info("enforcing: {} hooks attached, maps pinned at {}", enforcer->attached_programs(), options.pin_path);
  if (metrics) {
    metrics->serve([skel = enforcer->skeleton()] { return metrics_snapshot(*skel); });
    spdlog::info("metrics: http://{}/metrics", options.metrics_address);
  }

  std::unique_ptr<PolicyDirWatch> dir_watch;
  try {
    dir_watch = std::make_unique<PolicyDirWatch>(options.policy_dir);
  } catch (const std::exception& e) {
    spdlog::warn("policy changes are picked up on SIGHUP only: {}", e.what());
  }
  auto reload = [&](const char* why) {
    spdlog::info("reloading the policy in {} ({})", options.policy_dir, why);
    std::string error;
    auto next = load_policy(options.policy_dir, error);
    if (!next) {
      spdlog::error("policy change rejected: the policy in force stays enforced unchanged");
      record_policy(*enforcer, error);
      return;
    }
    try {
      enforcer->apply_policy(*next);
      watcher.set_admission(next->admission);
      names.set(enforcer->zone_names());
      record_policy(*enforcer, "", &*next);
      spdlog::info("policy reloaded: generation {}", enforcer->state().policy_generation);
      watcher.reapply_limits();
    } catch (const std::exception& e) {
      spdlog::error("applying the new policy failed: {}", e.what());
      record_policy(*enforcer, e.what());
    }
  };

  // The node's addresses change (a CNI bridge gets its address with the
  // first pod): read again every few seconds. Unreadable, packets from the
  // node are judged as from outside it.
  std::string node_addresses_error;
  std::chrono::steady_clock::time_point node_addresses_at{};
  auto refresh_node_addresses = [&] {
    if (std::chrono::steady_clock::now() < node_addresses_at) return;
    node_addresses_at = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string error;
    try {
      if (auto addresses = read_node_addresses(error)) enforcer->set_node_addresses(*addresses);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty() && error != node_addresses_error)
      spdlog::error("the node's addresses are not known ({}): [network] accept_from_node does not admit them; "
                    "packets from the node reach only bridged zones",
                    error);
    node_addresses_error = error;
  };

  // member_slots must count every member (member_slots.h); checked now and
  // then in case a writer does not.
  std::chrono::steady_clock::time_point member_slots_at = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto check_member_slots = [&] {
    if (std::chrono::steady_clock::now() < member_slots_at) return;
    member_slots_at = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    try {
      enforcer->check_member_slots();
    } catch (const std::exception& e) {
      spdlog::error("checking member_slots failed: {}", e.what());
    }
  };

  const int sig_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
  // A ConfigMap update is a burst of directory events: wait for quiet.
  constexpr auto kSettle = std::chrono::milliseconds(300);
  bool reload_pending = false;
  std::chrono::steady_clock::time_point reload_at;
  int sig = 0;
  while (sig == 0) {
    record_containerd(*enforcer, watcher.connected());
    refresh_node_addresses();
    check_member_slots();
    pollfd fds[2] = {{sig_fd, POLLIN, 0}, {dir_watch ? dir_watch->fd() : -1, POLLIN, 0}};
    poll(fds, 2, reload_pending ? static_cast<int>(kSettle.count()) : 1000);
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(sig_fd, &info, sizeof(info)) == sizeof(info)) {
        if (info.ssi_signo == SIGHUP)
          reload("SIGHUP");
        else
          sig = static_cast<int>(info.ssi_signo);
      }
    }
    if (dir_watch && (fds[1].revents & POLLIN) && dir_watch->drain()) {
      reload_pending = true;
      reload_at = std::chrono::steady_clock::now() + kSettle;
    }
    if (reload_pending && std::chrono::steady_clock::now() >= reload_at) {
      reload_pending = false;
      reload("the policy directory changed");
    }
  }
  close(sig_fd);
  metrics.reset();  // declared before the enforcer, so it would outlive the maps it reads
  watcher.stop();   // no map writes after this
  if (options.persist) {
    enforcer->leave_pinned();
    spdlog::info("received {}, stopping: programs stay attached and maps pinned at {} (--persist); the next agent "
                 "adopts them",
                 strsignal(sig), options.pin_path);
  } else {
    spdlog::info("received {}, stopping: detaching programs and removing pins", strsignal(sig));
  }
  return kExitOk;
}

}  // namespace syva
