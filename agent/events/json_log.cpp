// SPDX-License-Identifier: Apache-2.0
#include "events/json_log.h"

#include <atomic>
#include <chrono>
#include <ctime>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace syva {

namespace {

thread_local const nlohmann::ordered_json* t_fields = nullptr;
std::atomic<bool> g_json{false};

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e %l %v";

// UTC with the zone said: the text format's local time is for a person on
// the node, this one for a collector that gathers many nodes.
std::string utc_time(spdlog::log_clock::time_point when) {
  const auto since = when.time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count();
  const std::time_t t = secs.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace

bool parse_log_format(const std::string& word, LogFormat& format) {
  if (word == "text")
    format = LogFormat::kText;
  else if (word == "json")
    format = LogFormat::kJson;
  else
    return false;
  return true;
}

void set_log_format(LogFormat format) {
  g_json = format == LogFormat::kJson;
  if (g_json)
    spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
  else
    spdlog::set_pattern(kTextPattern);
}

bool json_logs() { return g_json; }

LogFields::LogFields(nlohmann::ordered_json fields) : fields_(std::move(fields)), previous_(t_fields) {
  t_fields = &fields_;
}

LogFields::~LogFields() { t_fields = previous_; }

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  nlohmann::ordered_json line;
  line["time"] = utc_time(msg.time);
  const auto level = spdlog::level::to_string_view(msg.level);
  line["level"] = std::string(level.data(), level.size());
  line["msg"] = std::string(msg.payload.data(), msg.payload.size());
  if (t_fields && t_fields->is_object())
    for (const auto& [key, value] : t_fields->items())
      if (!line.contains(key)) line[key] = value;
  // Messages carry paths and process names as the kernel gave them: bytes
  // that are not UTF-8 become U+FFFD rather than a line no parser takes.
  const std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  dest.append(text.data(), text.data() + text.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const { return std::make_unique<JsonLogFormatter>(); }

}  // namespace syva
