// SPDX-License-Identifier: Apache-2.0
#include "host/watcher_support.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "policy/policy_loader.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace syva::test {

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

struct LogCapture::Sink : spdlog::sinks::base_sink<std::mutex> {
  std::mutex lines_mutex;
  std::vector<std::string> lines;
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::lock_guard lock(lines_mutex);
    lines.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}
};

LogCapture::LogCapture() : sink_(std::make_shared<Sink>()) { spdlog::default_logger()->sinks().push_back(sink_); }

LogCapture::~LogCapture() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

std::vector<std::string> LogCapture::lines_with(const std::vector<std::string>& words) const {
  std::lock_guard lock(sink_->lines_mutex);
  std::vector<std::string> out;
  for (const auto& l : sink_->lines) {
    bool all = true;
    for (const auto& w : words) all = all && l.find(w) != std::string::npos;
    if (all) out.push_back(l);
  }
  return out;
}

std::string pin_path(const std::string& tag) { return fmt::format("/sys/fs/bpf/syva-wt-{}-{}", getpid(), tag); }

syva::CompiledPolicy test_policy(const std::string& dir) {
  fs::create_directories(dir);
  // Every namespace may join: these tests are about membership, not admission.
  const std::string everyone = "[zone]\nnamespaces = [\"*\"]\ncontainerd_namespaces = [\"*\"]\n";
  std::ofstream(dir + "/frontend.toml") << everyone;
  std::ofstream(dir + "/database.toml") << everyone << "[resources]\npids_max = 64\n";
  return syva::compile_policy(syva::load_policy_dir(dir));
}

syva::WatcherOptions fast_options(const PrivateContainerd& cd) {
  syva::WatcherOptions o;
  o.socket = cd.socket();
  o.admission = test_policy(cd.dir() + "/policies").admission;
  o.backoff_first = 50ms;
  o.backoff_max = 400ms;
  o.settle = 200ms;
  return o;
}

bool started_and_settled(syva::ContainerdWatcher& watcher) {
  watcher.start();
  return wait_until([&] { return watcher.connections() >= 1 && watcher.reconciles() >= 2; });
}

}  // namespace syva::test
