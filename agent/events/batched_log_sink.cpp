// SPDX-License-Identifier: Apache-2.0
#include "events/batched_log_sink.h"

#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

namespace syva {

namespace {

thread_local bool t_batching = false;
constexpr size_t kMaxHeld = 64 * 1024;

}  // namespace

void BatchedStdoutSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t line;
  formatter_->format(msg, line);
  pending_.append(line.data(), line.size());
  if (!t_batching || pending_.size() >= kMaxHeld) flush_();
}

void BatchedStdoutSink::flush_() {
  size_t done = 0;
  while (done < pending_.size()) {
    ssize_t n = write(STDOUT_FILENO, pending_.data() + done, pending_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // nowhere to say it; the lines are lost, not the agent
    done += static_cast<size_t>(n);
  }
  pending_.clear();
}

LogBatch::LogBatch() { t_batching = true; }

LogBatch::~LogBatch() {
  t_batching = false;
  spdlog::default_logger_raw()->flush();
}

}  // namespace syva
