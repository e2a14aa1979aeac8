// SPDX-License-Identifier: Apache-2.0
// The agent's memory over container churn: the real `syva` process, its
// watcher connected to a fake containerd (fake_containerd.h) that replays
// thousands of container lifecycles (churn_cycle.h) with real cgroups and
// processes. Its VmRSS, RssAnon and VmHWM and the entries left in its pinned
// zone_membership are sampled every so many cycles: a per-container leak
// shows as growth between the first sample after warm-up and the last.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bench_cgroup.h"
#include "bench_paths.h"
#include "churn_cycle.h"
#include "enforcer/map_readers.h"
#include "fake_containerd.h"
#include "markdown.h"
#include "subcommands.h"
#include "support/proc_info.h"

extern char** environ;

namespace syva::bench {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using syva::test::status_kib;

struct Sample {
  size_t cycles = 0;
  double seconds = 0;                  // since the first cycle began
  long rss = -1, anon = -1, hwm = -1;  // KiB
  size_t members = 0;                  // zone_membership entries, every zone and PENDING
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The agent, its output going to `log`: a file rather than a pipe, so that
// nothing has to keep draining it during the run.
class AgentProcess {
 public:
  AgentProcess(const std::vector<std::string>& argv_s, const std::string& log) : log_(log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> argv;
    for (const auto& a : argv_s) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error(fmt::format("spawning {}: {}", argv[0], strerror(rc)));
  }
  ~AgentProcess() { stop(); }
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool alive() {
    if (pid_ > 0 && waitpid(pid_, &status_, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }

  // Waits for a log line containing `text` (and `also()` to hold).
  void await(const std::string& text, std::chrono::seconds patience, const std::function<bool()>& also = {}) {
    const auto deadline = Clock::now() + patience;
    while (slurp(log_).find(text) == std::string::npos || (also && !also())) {
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("the agent exited before '" + text + "':\n" + slurp(log_));
      }
      if (Clock::now() > deadline) throw std::runtime_error("the agent did not say '" + text + "':\n" + slurp(log_));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // SIGTERM and wait: its exit code (128 + signal when killed).
  int stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int status_ = 0;
};

// Enables the controllers the zones' [resources] write, so that the agent's
// limit writes succeed as they do under containerd's namespace cgroups.
void enable_controllers(const std::string& dir) {
  for (const char* c : {"+cpu", "+memory", "+pids"}) {
    std::ofstream out(dir + "/cgroup.subtree_control");
    out << c;
  }
}

std::string mib(long kib) { return kib < 0 ? "?" : fmt::format("{:.2f} MiB", kib / 1024.0); }

std::string signed_kib(long kib) { return fmt::format("{:+} KiB", kib); }

size_t count_lines(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// Lines of the agent's text log at `level` (its second field).
size_t count_level(const std::string& text, const std::string& level) {
  std::istringstream in(text);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    const size_t sp = line.find(' ');
    if (sp != std::string::npos && line.compare(sp + 1, level.size() + 1, level + " ") == 0) ++n;
  }
  return n;
}

// Start-up, then every line above info (a thousand membership lines
// would hide them), then the last cycles and the stop.
std::string log_excerpt(const std::string& log) {
  const size_t connected = log.find("containerd: connected");
  const size_t head_end = connected == std::string::npos ? 0 : log.find('\n', connected) + 1;
  const size_t tail_from = log.size() > 4000 ? log.rfind('\n', log.size() - 4000) + 1 : 0;
  if (tail_from <= head_end) return log;
  std::string out = log.substr(0, head_end) + "...\n";
  std::istringstream middle(log.substr(head_end, tail_from - head_end));
  for (std::string line; std::getline(middle, line);)
    if (line.find(" info ") == std::string::npos && line.find(" debug ") == std::string::npos) out += line + "\n";
  return out + "...\n" + log.substr(tail_from);
}

}  // namespace

int run_churn(const Args& args) {
  const BenchPaths paths = bench_paths(args);
  const size_t cycles = args.num("cycles", 10000);
  const size_t every = std::max(1L, args.num("sample-every", 1000));
  const std::string ns = args.str("namespace", "demo");
  const std::string zone = args.str("zone", "database");
  const std::string pin = args.str("agent-pin", "/sys/fs/bpf/syva-bench-churn");
  fs::create_directories(paths.scratch);
  const std::string socket = paths.scratch + "/churn-containerd.sock";
  const std::string log = paths.scratch + "/churn-agent.log";

  // The guarded root first: the agent marks each container cgroup made
  // under it PENDING, as a node's runtime root would be guarded.
  BenchCgroup root(ns);
  enable_controllers(root.path());
  FakeContainerd containerd(socket, ns);
  const std::vector<std::string> argv = {args.str("syva", "/opt/syva/bin/syva"),
                                         "--policy-dir",
                                         args.str("policy-dir", "/opt/syva/policies"),
                                         "--pin-path",
                                         pin,
                                         "--containerd-sock",
                                         socket,
                                         "--guard-cgroup",
                                         ns};
  AgentProcess agent(argv, log);
  agent.await("enforcing:", std::chrono::seconds(300));
  agent.await("containerd: connected", std::chrono::seconds(60), [&] { return containerd.subscribers() > 0; });
  const int members_fd = bpf_obj_get((pin + "/zone_membership").c_str());
  if (members_fd < 0) throw std::runtime_error(fmt::format("{}/zone_membership: {}", pin, strerror(errno)));

  auto sample = [&](size_t done, Clock::time_point t0) {
    Sample s;
    s.cycles = done;
    s.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    s.rss = status_kib(agent.pid(), "VmRSS");
    s.anon = status_kib(agent.pid(), "RssAnon");
    s.hwm = status_kib(agent.pid(), "VmHWM");
    s.members = map_keys<uint64_t>(members_fd).size();
    fprintf(stderr, "syva-bench churn: %zu cycles, %.0f s: VmRSS %ld KiB, RssAnon %ld KiB, members %zu\n", s.cycles,
            s.seconds, s.rss, s.anon, s.members);
    return s;
  };

  ChurnCycle cycle(containerd, ns, zone, members_fd, std::chrono::seconds(60));
  std::vector<Sample> samples;
  size_t unplaced = 0, quarantined = 0, unremoved = 0;
  const auto t0 = Clock::now();
  samples.push_back(sample(0, t0));
  for (size_t n = 1; n <= cycles; ++n) {
    const CycleOutcome o = cycle.run(n);
    // Each later cycle would wait out its patience too.
    if (!o.placed && !agent.alive())
      throw std::runtime_error(fmt::format("the agent exited during cycle {}:\n{}", n, log_excerpt(slurp(log))));
    unplaced += !o.placed;
    if (unplaced > 10) throw std::runtime_error("the agent stopped placing containers:\n" + log_excerpt(slurp(log)));
    quarantined += o.quarantined;
    unremoved += !o.removed;
    if (n % every == 0 || n == cycles) {
      // The last cycle's deletes are in flight: the final sample waits for
      // the agent to have read them (it applies events in order).
      if (n == cycles) std::this_thread::sleep_for(std::chrono::seconds(2));
      samples.push_back(sample(n, t0));
    }
  }
  const double run_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const auto calls = containerd.calls();
  close(members_fd);
  const int agent_rc = agent.stop();
  const std::string agent_log = slurp(log);

  // The first sample after warm-up (gRPC's buffers, the allocator's arenas
  // and the agent's maps reach their working size in the first cycles)
  // against the last.
  const Sample& warm = samples.size() > 2 ? samples[1] : samples.front();
  const Sample& last = samples.back();
  const long growth_anon = last.anon - warm.anon, growth_rss = last.rss - warm.rss;
  const size_t measured = last.cycles - warm.cycles;
  // A leak of even a few bytes per container would show over thousands of
  // cycles; below this, what moves is the allocator's page granularity.
  const long tolerance_kib = 256;
  const bool flat = growth_anon <= tolerance_kib && last.members == 0;

  Table table({"cycles", "VmRSS", "RssAnon", "VmHWM", "zone_membership entries", "elapsed (emulated)"});
  for (const auto& s : samples)
    table.row({fmt::format("{}", s.cycles), mib(s.rss), mib(s.anon), mib(s.hwm), fmt::format("{}", s.members),
               fmt::format("{:.0f} s", s.seconds)});
  std::vector<std::string> served;
  for (const auto& [method, n] : calls) served.push_back(fmt::format("{} ×{}", method, n));
  std::string md = fmt::format(
      "{} container lifecycles replayed against the real agent (`{}`), its watcher connected to a fake containerd "
      "on a Unix socket (containerd namespace `{}`, label `syva.dev/zone={}`). Each cycle makes a real cgroup "
      "`/{}/churn-N` under the guarded root, starts a real process in it (clone3 into the cgroup), and publishes "
      "/containers/create, /tasks/create, /tasks/start, /tasks/exit, /tasks/delete, /containers/delete, waiting for "
      "the agent's map write after /tasks/create and its removal after /tasks/exit; the process and cgroup are then "
      "removed. Memory is read from the agent's `/proc/PID/status`; entries from its pinned `zone_membership`.\n\n",
      cycles, fmt::join(argv, " "), ns, zone, ns);
  md += table.str();
  Table foot({"measure", "value"});
  foot.row({fmt::format("RssAnon growth, cycle {} to {}", warm.cycles, last.cycles),
            fmt::format("{} ({:.1f} bytes per cycle)", signed_kib(growth_anon),
                        measured ? growth_anon * 1024.0 / measured : 0.0)});
  foot.row({fmt::format("VmRSS growth, cycle {} to {}", warm.cycles, last.cycles), signed_kib(growth_rss)});
  foot.row({"zone_membership entries left after the last cycle", fmt::format("{}", last.members)});
  foot.row({"cycles/s (wall clock, emulated)", fmt::format("{:.1f}", cycles / run_s)});
  foot.row({"cycles not placed / quarantined / entry not removed after /tasks/exit",
            fmt::format("{} / {} / {}", unplaced, quarantined, unremoved)});
  foot.row({"agent log: membership + / - lines",
            fmt::format("{} / {}", count_lines(agent_log, "membership +"), count_lines(agent_log, "membership -"))});
  foot.row({"agent log: error / warning lines",
            fmt::format("{} / {}", count_level(agent_log, "error"), count_level(agent_log, "warning"))});
  foot.row({"calls the fake containerd served", fmt::format("{}", fmt::join(served, ", "))});
  foot.row({"agent exit code (SIGTERM)", fmt::format("{}", agent_rc)});
  md += "\n" + foot.str();
  md += fmt::format("\nVerdict: {} (RssAnon {} over {} cycles after warm-up; tolerance {} KiB; {} entries left).\n",
                    flat ? "**no growth**" : "**growth**", signed_kib(growth_anon), measured, tolerance_kib,
                    last.members);
  append_file(paths.out_dir + "/churn.md", md);
  std::string tsv = "cycles\tseconds\tvmrss_kib\trssanon_kib\tvmhwm_kib\tmembers\n";
  for (const auto& s : samples)
    tsv += fmt::format("{}\t{:.1f}\t{}\t{}\t{}\t{}\n", s.cycles, s.seconds, s.rss, s.anon, s.hwm, s.members);
  append_file(paths.out_dir + "/churn.tsv", tsv);
  append_file(paths.out_dir + "/churn-agent-log.txt", log_excerpt(agent_log));
  fs::remove(log);
  append_file(paths.out_dir + "/targets.tsv",
              fmt::format("agent RSS after {} container start/stop cycles (replayed events)\t{} RssAnon\tno "
                          "growth\t{}\tVmRSS {} → {}, {} zone_membership entries left\n",
                          cycles, signed_kib(growth_anon), flat ? "met" : "missed", mib(warm.rss), mib(last.rss),
                          last.members));
  return flat && agent_rc == 0 && unplaced == 0 && unremoved == 0 ? 0 : 1;
}

}  // namespace syva::bench
