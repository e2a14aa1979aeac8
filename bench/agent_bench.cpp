// SPDX-License-Identifier: Apache-2.0
// The agent as an operator runs it: `syva --policy-dir` from exec to its
// "enforcing:" line (policy, load, self-test, attach), several times; then,
// on the last run, its resident memory and its CPU use while idle.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_paths.h"
#include "markdown.h"
#include "stats.h"
#include "subcommands.h"
#include "support/proc_info.h"

extern char** environ;

namespace syva::bench {

namespace {

using Clock = std::chrono::steady_clock;
using syva::test::cpu_seconds;
using syva::test::status_kib;

// The log lines that end each start-up phase, in order.
const std::vector<std::pair<std::string, std::string>> kPhases = {
    {"starting", "process start to first log line (exec, loader, main)"},
    {"policy:", "policy loaded and compiled"},
    {"self-test passed", "programs loaded, maps pinned, self-test"},
    {"enforcing:", "policy written, programs attached, watcher started"},
};

struct Agent {
  pid_t pid = -1;
  int out = -1;  // the agent's stdout and stderr
  Clock::time_point spawned;
  std::string pending;
};

Agent spawn_agent(const std::vector<std::string>& argv_s) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  std::vector<char*> argv;
  for (const auto& a : argv_s) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Agent a;
  a.spawned = Clock::now();
  const int rc = posix_spawn(&a.pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  if (rc != 0) throw std::runtime_error(fmt::format("spawning {}: {}", argv[0], strerror(rc)));
  a.out = p[0];
  return a;
}

// Reads lines until one contains `until`; each line's arrival time (ms since
// spawn) is recorded under the first phase marker it contains.
void read_until(Agent& a, const std::string& until, std::map<std::string, double>& at, std::string& log) {
  char buf[4096];
  const auto deadline = Clock::now() + std::chrono::minutes(3);
  for (;;) {
    size_t nl;
    while ((nl = a.pending.find('\n')) != std::string::npos) {
      const std::string line = a.pending.substr(0, nl);
      a.pending.erase(0, nl + 1);
      log += line + "\n";
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - a.spawned).count();
      for (const auto& [marker, what] : kPhases)
        if (line.find(marker) != std::string::npos && !at.count(marker)) at[marker] = ms;
      if (line.find(until) != std::string::npos) return;
    }
    pollfd pfd{a.out, POLLIN, 0};
    if (Clock::now() > deadline || poll(&pfd, 1, 1000) < 0)
      throw std::runtime_error("agent did not say '" + until + "':\n" + log);
    if (!(pfd.revents & (POLLIN | POLLHUP))) continue;
    const ssize_t n = read(a.out, buf, sizeof(buf));
    if (n <= 0) throw std::runtime_error("agent exited before '" + until + "':\n" + log);
    a.pending.append(buf, n);
  }
}

int stop_agent(Agent& a, double& stop_ms) {
  const auto t0 = Clock::now();
  kill(a.pid, SIGTERM);
  // Keep reading so a chatty exit never blocks on a full pipe.
  std::thread drain([fd = a.out] {
    char buf[4096];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
  });
  int status = 0;
  waitpid(a.pid, &status, 0);
  stop_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  drain.join();
  close(a.out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int run_agent(const Args& args) {
  const BenchPaths paths = bench_paths(args);
  const std::string syva = args.str("syva", "/opt/syva/bin/syva");
  const std::vector<std::string> argv = {syva,
                                         "--policy-dir",
                                         args.str("policy-dir", "/opt/syva/policies"),
                                         "--pin-path",
                                         args.str("agent-pin", "/sys/fs/bpf/syva-bench-agent"),
                                         "--containerd-sock",
                                         args.str("containerd-sock", "/run/syva-bench-no-containerd.sock")};
  const size_t runs = args.num("runs", 5);
  const long idle_s = args.num("idle-seconds", 10);

  std::map<std::string, std::vector<double>> phase_ms;
  std::vector<double> stop_ms;
  std::vector<int> exits;
  long rss = -1, hwm = -1, anon = -1, file = -1;
  double idle_cpu_pct = -1;
  std::string log;
  for (size_t r = 0; r < runs; ++r) {
    Agent a = spawn_agent(argv);
    std::map<std::string, double> at;
    log.clear();
    read_until(a, "enforcing:", at, log);
    for (const auto& [marker, ms] : at) phase_ms[marker].push_back(ms);
    if (r + 1 == runs) {
      // Keep the pipe drained while idle: the watcher logs its retries.
      std::thread drain([fd = a.out] {
        char buf[4096];
        while (read(fd, buf, sizeof(buf)) > 0) {
        }
      });
      std::this_thread::sleep_for(std::chrono::seconds(2));
      const double c0 = cpu_seconds(a.pid);
      std::this_thread::sleep_for(std::chrono::seconds(idle_s));
      idle_cpu_pct = 100.0 * (cpu_seconds(a.pid) - c0) / idle_s;
      rss = status_kib(a.pid, "VmRSS");
      hwm = status_kib(a.pid, "VmHWM");
      anon = status_kib(a.pid, "RssAnon");
      file = status_kib(a.pid, "RssFile");
      const auto t0 = Clock::now();
      kill(a.pid, SIGTERM);
      drain.join();
      int status = 0;
      waitpid(a.pid, &status, 0);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      close(a.out);
      stop_ms.push_back(ms);
      exits.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    } else {
      double ms = 0;
      exits.push_back(stop_agent(a, ms));
      stop_ms.push_back(ms);
    }
    fprintf(stderr, "syva-bench agent: run %zu: enforcing after %.0f ms\n", r + 1, at["enforcing:"]);
  }

  Table phases({"start-up reached", "median since exec", "min–max", "what happened by then"});
  for (const auto& [marker, what] : kPhases) {
    const Summary s = summarize(phase_ms[marker]);
    phases.row({"`" + marker + "`", duration_ns(s.median * 1e6),
                duration_ns(s.min * 1e6) + "–" + duration_ns(s.max * 1e6), what});
  }
  const Summary startup = summarize(phase_ms["enforcing:"]);
  std::string exit_list;
  for (int e : exits) exit_list += std::to_string(e) + " ";
  std::string md = fmt::format("{} runs of `{}`.\n\n", runs, fmt::join(argv, " ")) + phases.str();
  Table foot({"measure", "value"});
  foot.row({"VmRSS after start-up + 12 s idle", fmt::format("{:.1f} MiB", rss / 1024.0)});
  foot.row({"VmHWM (peak resident)", fmt::format("{:.1f} MiB", hwm / 1024.0)});
  foot.row({"RssAnon / RssFile", fmt::format("{:.1f} / {:.1f} MiB", anon / 1024.0, file / 1024.0)});
  foot.row({fmt::format("CPU while idle ({} s, no containerd: watcher retrying)", idle_s),
            fmt::format("{:.2f} % of one CPU", idle_cpu_pct)});
  foot.row({"SIGTERM to exit (detach, unpin), median", duration_ns(summarize(stop_ms).median * 1e6)});
  foot.row({"exit codes", exit_list});
  md += "\n" + foot.str();
  append_file(paths.out_dir + "/agent.md", md);
  append_file(paths.out_dir + "/agent-log.txt", log);
  append_file(
      paths.out_dir + "/targets.tsv",
      fmt::format("agent start-up to enforcing (VM, TCG)\t{}\t≤ 300 ms on a normal kernel\t{}\t"
                  "median of {} runs, emulated CPU\n",
                  duration_ns(startup.median * 1e6), startup.median <= 300 ? "met" : "missed (VM figure)", runs));
  append_file(paths.out_dir + "/targets.tsv",
              fmt::format("agent resident memory (VmHWM)\t{:.1f} MiB\t≤ 30 MiB\t{}\tVmRSS {:.1f} MiB idle\n",
                          hwm / 1024.0, hwm <= 30 * 1024 ? "met" : "missed", rss / 1024.0));
  for (int e : exits)
    if (e != 0) return 1;
  return 0;
}

}  // namespace syva::bench
