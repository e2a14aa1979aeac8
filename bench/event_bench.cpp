// SPDX-License-Identifier: Apache-2.0
// The deny-event path end to end: a process in a zone (written into the
// running agent's pinned zone_membership, as the watcher would) opens a file
// another zone owns at rising rates; the agent logs one DENY line per event.
// For each rate: attempts, denials counted by the kernel, lines the agent
// logged, events dropped at the ring buffer, the agent's CPU, and the cost
// of the denied open itself. A last step stops the agent (SIGSTOP) so the
// buffer fills: the cost per denied open then shows whether logging ever
// slows the operation.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_cgroup.h"
#include "bench_paths.h"
#include "cpu_pin.h"
#include "enforcer/enforcer.h"
#include "enforcer/map_readers.h"
#include "enforcer/member_slots.h"
#include "markdown.h"
#include "subcommands.h"
#include "support/proc_info.h"

namespace syva::bench {

namespace {

using Clock = std::chrono::steady_clock;
using syva::test::cpu_seconds;

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Counts "DENY " lines appended to the agent's log since the last call.
class LogCounter {
 public:
  explicit LogCounter(std::string path) : path_(std::move(path)) {}
  size_t total() {
    std::ifstream in(path_, std::ios::binary);
    in.seekg(offset_);
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Only whole lines: a line being written is counted next time.
    const size_t end = chunk.rfind('\n');
    if (end == std::string::npos) return count_;
    for (size_t pos = 0; (pos = chunk.find("DENY hook=", pos)) != std::string::npos && pos < end; ++pos) ++count_;
    offset_ += end + 1;
    return count_;
  }

 private:
  std::string path_;
  std::streamoff offset_ = 0;
  size_t count_ = 0;
};

int pinned(const std::string& pin, const char* map) {
  const int fd = bpf_obj_get((pin + "/" + map).c_str());
  if (fd < 0) throw std::runtime_error(fmt::format("no pinned {} under {}: {}", map, pin, strerror(errno)));
  return fd;
}

uint32_t zone_id(int names_fd, const std::string& zone) {
  for (uint32_t id = 1; id < SYVA_MAX_ZONES; ++id) {
    syva_zone_name v{};
    if (bpf_map_lookup_elem(names_fd, &id, &v) != 0 || v.name[0] == '\0') break;
    if (zone == v.name) return id;
  }
  throw std::runtime_error("the agent has no zone " + zone);
}

struct Step {
  std::string label;
  double offered = 0;  // attempts/s asked for; 0: as fast as possible
  size_t attempts = 0;
  double gen_s = 0, catch_up_s = 0;
  uint64_t denies = 0, dropped = 0;
  size_t logged = 0;
  double op_ns = 0;  // mean cost of one denied open
  double agent_cpu_s = 0;
};

// Denied opens at `rate` per second for `seconds`; returns attempts and the
// time spent inside open() in total.
size_t generate(const std::string& file, double rate, double seconds, double& op_s) {
  const auto start = Clock::now();
  size_t done = 0;
  op_s = 0;
  for (;;) {
    const double t = secs(Clock::now() - start);
    if (t >= seconds) break;
    const size_t due = rate > 0 ? static_cast<size_t>(rate * t) + 1 : done + 256;
    if (done >= due) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      continue;
    }
    const auto t0 = Clock::now();
    for (; done < due; ++done) {
      int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) close(fd);  // not denied: counted by the caller as a failure
    }
    op_s += secs(Clock::now() - t0);
  }
  return done;
}

}  // namespace

int run_events(const Args& args) {
  const BenchPaths paths = bench_paths(args);
  const std::string pin = args.str("agent-pin", "/sys/fs/bpf/syva-bench-agent");
  const pid_t agent = static_cast<pid_t>(args.num("agent-pid", 0));
  const std::string file = args.str("file", "/srv/syva/database/customers.db");
  const double seconds = args.num("seconds", 3);
  if (agent <= 0) throw std::invalid_argument("--agent-pid is required");
  std::vector<double> rates;
  {
    const std::string list = args.str("rates", "1000,2000,5000,10000,20000,0");
    size_t pos = 0;
    while (pos < list.size()) {
      size_t c = list.find(',', pos);
      if (c == std::string::npos) c = list.size();
      rates.push_back(std::stod(list.substr(pos, c - pos)));
      pos = c + 1;
    }
  }

  pin_to_last_cpu();
  const int names = pinned(pin, "zone_names"), members = pinned(pin, "zone_membership");
  const int counters = pinned(pin, "counters"), slots = pinned(pin, "member_slots"),
            cache = pinned(pin, "member_cache");
  const uint32_t zone = zone_id(names, args.str("zone", "frontend"));
  BenchCgroup cgroup("syva-bench-events");
  const uint64_t cg = cgroup.id();
  if (syva::put_member(members, slots, cache, cg, zone) != 0)
    throw std::runtime_error("writing zone_membership failed");
  LogCounter log(args.str("log", "/tmp/syva-bench/agent-events.log"));
  log.total();

  // The generator is a child in the zoned cgroup: a zoned process may not
  // leave its cgroup (the agent denies it), so the bench itself stays out.
  auto generate_in_zone = [&](double rate, double& op_s, double& gen_s) -> size_t {
    int p[2];
    if (pipe(p) != 0) throw std::runtime_error("pipe failed");
    const pid_t child = fork();
    if (child == 0) {
      close(p[0]);
      double result[3] = {0, 0, 0};
      try {
        cgroup.join();
        const auto t0 = Clock::now();
        result[0] = static_cast<double>(generate(file, rate, seconds, result[1]));
        result[2] = secs(Clock::now() - t0);
      } catch (...) {
        _exit(1);
      }
      _exit(write(p[1], result, sizeof(result)) == sizeof(result) ? 0 : 1);
    }
    close(p[1]);
    double result[3] = {0, 0, 0};
    const bool ok = read(p[0], result, sizeof(result)) == sizeof(result);
    close(p[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (!ok) throw std::runtime_error("the generator in the zoned cgroup failed");
    op_s = result[1];
    gen_s = result[2];
    return static_cast<size_t>(result[0]);
  };

  std::vector<Step> steps;
  auto run_step = [&](const std::string& label, double rate, bool stop_agent) {
    Step s;
    s.label = label;
    s.offered = rate;
    const syva_counters before = read_counters(counters)[SYVA_HOOK_FILE_OPEN];
    const size_t logged_before = log.total();
    const double cpu_before = cpu_seconds(agent);
    if (stop_agent) kill(agent, SIGSTOP);
    double op_s = 0;
    s.attempts = generate_in_zone(rate, op_s, s.gen_s);
    if (stop_agent) kill(agent, SIGCONT);
    const syva_counters mid = read_counters(counters)[SYVA_HOOK_FILE_OPEN];
    // The agent has caught up when its log stops growing for a second (the
    // ring buffer holds at most about 10,000 events, so this is bounded).
    const auto t_end = Clock::now();
    auto last_growth = t_end;
    size_t seen = log.total();
    while (secs(Clock::now() - last_growth) < 1.0 && secs(Clock::now() - t_end) < 120) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const size_t now = log.total();
      if (now != seen) {
        seen = now;
        last_growth = Clock::now();
      }
    }
    s.catch_up_s = secs(last_growth - t_end);
    s.logged = seen - logged_before;
    s.denies = mid.deny - before.deny;
    s.dropped = mid.dropped - before.dropped;
    s.op_ns = s.attempts ? op_s * 1e9 / s.attempts : 0;
    s.agent_cpu_s = cpu_seconds(agent) - cpu_before;
    steps.push_back(s);
    fprintf(stderr, "syva-bench events: %s: %zu attempts, %llu denied, %zu logged, %llu dropped\n", label.c_str(),
            s.attempts, (unsigned long long)s.denies, s.logged, (unsigned long long)s.dropped);
  };

  for (double r : rates) run_step(r > 0 ? fmt::format("{:.0f}/s", r) : "as fast as possible", r, false);
  run_step("as fast as possible, agent stopped (SIGSTOP)", 0, true);

  syva::remove_member(members, slots, cache, cg);
  close(cache);
  close(slots);
  close(names);
  close(members);
  close(counters);

  Table t({"offered", "attempts/s achieved", "denied (kernel)", "logged (agent)", "dropped", "logged / denied",
           "logged / s (step + catch-up)", "agent caught up after", "agent CPU over step+catch-up",
           "agent CPU per logged denial", "denied open() cost"});
  size_t best_clean = 0;
  for (const auto& s : steps) {
    const double achieved = s.attempts / s.gen_s;
    const double cpu_pct = 100.0 * s.agent_cpu_s / (s.gen_s + s.catch_up_s);
    t.row({s.label, fmt::format("{:.0f}", achieved), std::to_string(s.denies), std::to_string(s.logged),
           std::to_string(s.dropped), fmt::format("{:.3f}", s.denies ? double(s.logged) / s.denies : 0.0),
           fmt::format("{:.0f}", s.logged / (s.gen_s + s.catch_up_s)), fmt::format("{:.2f} s", s.catch_up_s),
           fmt::format("{:.0f} %", cpu_pct), s.logged ? duration_ns(1e9 * s.agent_cpu_s / double(s.logged)) : "—",
           // Paced steps sleep between calls, and the first call after a
           // sleep is slow under emulation: only flat-out steps say what a
           // denied open costs.
           s.offered > 0 ? "—" : duration_ns(s.op_ns)});
    if (s.dropped == 0 && s.logged == s.denies && s.label.find("SIGSTOP") == std::string::npos)
      best_clean = std::max(best_clean, static_cast<size_t>(achieved));
  }
  append_file(paths.out_dir + "/events.md",
              fmt::format("Each step {:.0f} s; the agent logs to a file on tmpfs. Highest rate with every denial "
                          "logged and none dropped: **{} events/s**.\n\n",
                          seconds, best_clean) +
                  t.str());
  append_file(paths.out_dir + "/events.tsv", fmt::format("best_clean_rate\t{}\n", best_clean));
  return 0;
}

}  // namespace syva::bench
