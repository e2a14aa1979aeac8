#include "cli/run_agent.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include <spdlog/spdlog.h>

#include "enforcer/enforcer.h"
#include "enforcer/selftest.h"
#include "events/event_format.h"
#include "events/event_reader.h"
#include "policy/compiled_policy.h"
#include "policy/policy_loader.h"
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
  std::string get(uint32_t id) const {
    std::lock_guard lock(mutex_);
    auto it = names_.find(id);
    return it == names_.end() ? "" : it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<uint32_t, std::string> names_;
};

}  // namespace

int run_agent(const AgentOptions& options) {
  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  spdlog::info("syva {} starting: policy dir {}, pin path {}", SYVA_VERSION, options.policy_dir, options.pin_path);

  CompiledPolicy policy;
  try {
    auto zones = load_policy_dir(options.policy_dir);
    policy = compile_policy(zones);
    spdlog::info("policy: {} zones, {} allowed pairs, {} owned inodes", policy.zone_names.size(),
                 policy.pairs.size() / 2, policy.inodes.size());
  } catch (const PolicyError& e) {
    for (const auto& p : e.problems()) spdlog::error("policy: {}", p);
    spdlog::error("refusing to start: the policy in {} is invalid; nothing was changed in the kernel",
                  options.policy_dir);
    return kExitBadPolicy;
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

    enforcer->apply_policy(policy);
    enforcer->attach();
  } catch (const KernelUnsupported& e) {
    spdlog::error("cannot enforce: {}", e.what());
    return kExitNoBpfLsm;
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return kExitFailure;
  }

  ZoneNames names;
  names.set(enforcer->zone_names());
  EventReader events(enforcer->map_fd("events"), [&names](const syva_event& e) {
    spdlog::warn("{}", format_deny(e, [&names](uint32_t id) { return names.get(id); }));
  });
  events.start();
  // Membership comes from containerd; the watcher retries while containerd is away.
  EnforcerSink membership(*enforcer);
  ContainerdWatcher watcher(WatcherOptions{options.containerd_sock}, membership);
  watcher.start();
  spdlog::info("enforcing: {} hooks attached, maps pinned at {}", Enforcer::enforcing_programs().size(),
               options.pin_path);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  watcher.stop();  // no map writes after this
  spdlog::info("received {}, stopping: detaching programs and removing pins", strsignal(sig));
  return kExitOk;
}

}  // namespace syva
