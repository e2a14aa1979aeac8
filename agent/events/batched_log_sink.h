// SPDX-License-Identifier: Apache-2.0
// The agent's log on stdout. A flood of denials is thousands of DENY lines a
// second; written one write(2) each, they cost the agent more than reading
// the ring buffer does. Lines logged on a thread inside a LogBatch (the
// event reader's, for one drained batch) are written together when the
// batch ends; every other line is written at once, after any held before it.
#pragma once

#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>

namespace syva {

class BatchedStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  std::string pending_;
};

// Holds back this thread's lines until it ends (or 64 KiB are held).
class LogBatch {
 public:
  LogBatch();
  ~LogBatch();
  LogBatch(const LogBatch&) = delete;
  LogBatch& operator=(const LogBatch&) = delete;
};

}  // namespace syva
