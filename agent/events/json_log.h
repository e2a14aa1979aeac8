// SPDX-License-Identifier: Apache-2.0
// `--log-format json`: every log line one JSON object, for log pipelines that
// index fields instead of parsing text. The message stays the text line, so
// a reader of either format sees the same words.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/formatter.h>

namespace syva {

enum class LogFormat { kText, kJson };

// Parses "text" or "json"; false for anything else.
bool parse_log_format(const std::string& word, LogFormat& format);

// Sets the default logger's format (text is the timestamped line).
void set_log_format(LogFormat format);
bool json_logs();

// While alive, this thread's log lines carry `fields` as members of their
// JSON object (a deny event's hook, zones, pid...). Loggers here are
// synchronous, so the line is formatted on the thread that holds them.
class LogFields {
 public:
  explicit LogFields(nlohmann::ordered_json fields);
  ~LogFields();
  LogFields(const LogFields&) = delete;
  LogFields& operator=(const LogFields&) = delete;

 private:
  nlohmann::ordered_json fields_;  // owned: callers pass temporaries
  const nlohmann::ordered_json* previous_;
};

// {"time":"2026-11-23T17:39:45.370Z","level":"warning","msg":"...", fields...}
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace syva
