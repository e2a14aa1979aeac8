// SPDX-License-Identifier: Apache-2.0
// syva-bench-containerd (host): how long after containerd's /tasks/create
// event the container's cgroup is in zone_membership. A real containerd
// (the tests' private one, test/support/private_containerd.h) runs real
// containers with a zone label; the agent's own watcher and Enforcer (maps
// only: this host's kernel refuses BPF-LSM, and the map write is the same
// either way) log `latency_ms=` for each membership, which is collected here.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "args.h"
#include "enforcer/enforcer.h"
#include "markdown.h"
#include "policy/compiled_policy.h"
#include "policy/policy_loader.h"
#include "stats.h"
#include "support/private_containerd.h"
#include "watcher/containerd_watcher.h"
#include "watcher/enforcer_sink.h"

namespace {

using Clock = std::chrono::steady_clock;

// Keeps every "membership +:" line the watcher logs.
class MembershipLines : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // The latency of the membership line naming `container`, once it came.
  bool latency_of(const std::string& container, double& ms, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    const std::string needle = "container=" + container + " ";
    return cv_.wait_for(lock, timeout, [&] {
      for (const auto& l : lines_) {
        if (l.find(needle) == std::string::npos) continue;
        const size_t at = l.find("latency_ms=");
        if (at == std::string::npos) continue;
        ms = std::stod(l.substr(at + 11));
        return true;
      }
      return false;
    });
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line(msg.payload.data(), msg.payload.size());
    if (line.find("membership +:") == std::string::npos) return;
    {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::move(line));
    }
    cv_.notify_all();
  }
  void flush_() override {}

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

void write(const std::string& out_dir, const std::string& md, const std::string& target) {
  syva::bench::append_file(out_dir + "/containerd.md", md);
  if (!target.empty()) syva::bench::append_file(out_dir + "/targets.tsv", target);
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir = ".";
  try {
    syva::bench::Args args(argc - 1, argv + 1);
    out_dir = args.str("out-dir", ".");
    const size_t n = args.num("containers", 40);
    const std::string pin = args.str("pin", "/sys/fs/bpf/syva-bench-containerd");

    if (auto why = syva::test::PrivateContainerd::unavailable(); !why.empty()) {
      write(out_dir, "Not measured: " + why + "\n", "");
      fprintf(stderr, "syva-bench-containerd: not measured: %s\n", why.c_str());
      return 0;
    }
    auto lines = std::make_shared<MembershipLines>();
    auto errors = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    errors->set_level(spdlog::level::warn);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("bench", spdlog::sinks_init_list{lines, errors}));
    spdlog::set_level(spdlog::level::info);

    syva::test::PrivateContainerd cd("bench");
    const std::string ns = cd.ns("lat");
    cd.import_image(ns);
    syva::Enforcer enforcer(syva::EnforcerOptions{pin, false});
    const auto policy = syva::compile_policy(syva::load_policy_dir(std::string(SYVA_SOURCE_DIR) + "/policies"));
    enforcer.apply_policy(policy);
    syva::EnforcerSink sink(enforcer);
    syva::WatcherOptions options;
    options.socket = cd.socket();
    // The shipped policies admit their own namespaces; this run's is private.
    options.admission = policy.admission;
    options.admission["frontend"].containerd_namespaces = {ns};
    syva::ContainerdWatcher watcher(options, sink);
    watcher.start();
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (!(watcher.connections() >= 1 && watcher.reconciles() >= 2) && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));

    std::vector<double> latency, run_wall;
    size_t missing = 0;
    for (size_t i = 0; i < n; ++i) {
      const std::string id = fmt::format("lat{:03}", i);
      const auto t0 = Clock::now();
      cd.run_detached(ns, id, "--label syva.dev/zone=frontend", "sleep 300");
      run_wall.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      double ms = 0;
      if (lines->latency_of(id, ms, std::chrono::seconds(20)))
        latency.push_back(ms);
      else
        ++missing;
      cd.remove(ns, id);
      fprintf(stderr, "syva-bench-containerd: %zu/%zu\n", i + 1, n);
    }
    watcher.stop();

    std::vector<double> sorted = latency;
    std::sort(sorted.begin(), sorted.end());
    const syva::bench::Summary s = syva::bench::summarize(latency);
    const double p99 = sorted.empty() ? 0 : syva::bench::percentile(sorted, 0.99);
    syva::bench::Table t({"containers", "p50", "p90", "p99", "max", "no membership line", "`ctr run -d` wall, median"});
    t.row({std::to_string(latency.size()), fmt::format("{:.2f} ms", s.median), fmt::format("{:.2f} ms", s.p90),
           fmt::format("{:.2f} ms", p99), fmt::format("{:.2f} ms", s.max), std::to_string(missing),
           syva::bench::duration_ns(syva::bench::summarize(run_wall).median * 1e6)});
    write(out_dir,
          fmt::format("One container at a time (`ctr run -d --label syva.dev/zone=frontend`, then removed), {} in "
                      "all; latency is the agent's own `latency_ms=`, from the event's containerd timestamp to the "
                      "map write.{}\n\n",
                      n, latency.size() < 100 ? " With fewer than 100 samples, p99 is in effect the maximum." : "") +
              t.str(),
          fmt::format("/tasks/create to map write (host, real containerd)\tp50 {:.2f} ms, p99 {:.2f} ms\t(no target "
                      "set)\treported\t{} containers, {} without a membership line\n",
                      s.median, p99, latency.size(), missing));
    return missing ? 1 : 0;
  } catch (const std::exception& e) {
    write(out_dir, fmt::format("Not measured: {}\n", e.what()), "");
    fprintf(stderr, "syva-bench-containerd: %s\n", e.what());
    return 1;
  }
}
