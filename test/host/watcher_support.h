// SPDX-License-Identifier: Apache-2.0
// What the containerd watcher tests (watcher_test.cpp, watcher_load_test.cpp)
// share: polling, the agent's log lines, the pin directory, the test policy
// and a watcher that reconnects quickly.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "policy/compiled_policy.h"
#include "support/private_containerd.h"
#include "watcher/containerd_watcher.h"

namespace syva::test {

// Polls `done` every 10 ms until it holds or `timeout` passes; its last answer.
bool wait_until(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

// Every line the agent logs while a test runs, to check what it said.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  // The lines holding every one of `words`.
  std::vector<std::string> lines_with(const std::vector<std::string>& words) const;
  size_t count(const std::vector<std::string>& words) const { return lines_with(words).size(); }

 private:
  struct Sink;
  std::shared_ptr<Sink> sink_;
};

// A pin directory of this process under /sys/fs/bpf, e.g. syva-wt-1234-order.
std::string pin_path(const std::string& tag);

// Writes policy files into `dir` and compiles them: zones frontend and
// database (empty files are valid zones: isolated, no allowed pairs;
// database has pids_max = 64).
syva::CompiledPolicy test_policy(const std::string& dir);

// Quick reconnects and an early settle reconcile (so every test also shows
// it changes nothing that is right); the periodic resync stays out of the
// way (5 min) so that what these tests see is the event path.
syva::WatcherOptions fast_options(const PrivateContainerd& cd);

// Starts the watcher; true once it is connected and past the settle
// reconcile: from there on, map writes come from events.
bool started_and_settled(syva::ContainerdWatcher& watcher);

}  // namespace syva::test
