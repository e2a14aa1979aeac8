// SPDX-License-Identifier: Apache-2.0
// --log-format json: every line one JSON object a parser takes, whatever
// bytes the message carries; a deny event's fields as members.
#include <catch2/catch.hpp>

#include <cstring>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "events/event_format.h"
#include "events/json_log.h"
#include "unit/sample_events.h"

using namespace syva;
using nlohmann::json;

namespace {

std::string names(uint32_t id) { return id == 1 ? "database" : id == 2 ? "frontend" : ""; }

struct JsonLogger {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;
  JsonLogger() {
    logger = std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
    logger->set_formatter(std::make_unique<JsonLogFormatter>());
  }
  // Every line must parse on its own; returns them parsed.
  std::vector<json> lines() {
    std::vector<json> parsed;
    std::istringstream in(out.str());
    std::string line;
    while (std::getline(in, line)) {
      INFO(line);
      REQUIRE_NOTHROW(parsed.push_back(json::parse(line)));
      REQUIRE(parsed.back().is_object());
    }
    return parsed;
  }
};


}  // namespace

TEST_CASE("a JSON log line has time, level and the message, one line each", "[log]") {
  JsonLogger l;
  l.logger->info("policy: {} zones", 3);
  l.logger->error("multi\nline \"quoted\" \x01 and not UTF-8: \xff\xfe");
  auto lines = l.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["level"] == "info");
  CHECK(lines[0]["msg"] == "policy: 3 zones");
  CHECK(lines[0]["time"].get<std::string>().ends_with("Z"));
  CHECK(lines[0]["time"].get<std::string>().size() == std::string("2026-11-23T17:39:45.370Z").size());
  CHECK(lines[1]["level"] == "error");
  CHECK(lines[1]["msg"].get<std::string>().starts_with("multi\nline \"quoted\" \x01 and not UTF-8: "));
}

TEST_CASE("a deny event's fields are members of its line; only while they are held", "[log]") {
  JsonLogger l;
  const syva_event e = syva::test::file_open_deny();
  {
    const LogFields fields(deny_fields(e, names));
    l.logger->warn("{}", format_deny(e, names));
  }
  l.logger->info("after");
  auto lines = l.lines();
  REQUIRE(lines.size() == 2);
  const json& d = lines[0];
  CHECK(d["level"] == "warning");
  CHECK(d["msg"] == format_deny(e, names));
  CHECK(d["event"] == "deny");
  CHECK(d["hook"] == "file_open");
  CHECK(d["verdict"] == "deny");
  CHECK(d["caller_zone"] == "frontend");
  CHECK(d["target_zone"] == "database");
  CHECK(d["pid"] == 41);
  CHECK(d["tgid"] == 40);
  CHECK(d["comm"] == "cat");
  CHECK(d["caller_cgroup"] == 99);
  CHECK(d["target"] == "dev=8:1 ino=1234");
  CHECK_FALSE(lines[1].contains("hook"));
}

TEST_CASE("audit, zone rules, the host and a hostile comm in the JSON fields", "[log]") {
  syva_event e{};
  e.hook = SYVA_HOOK_CAPABLE;
  e.flags = SYVA_EVENT_F_AUDIT;
  e.caller_zone = 7;
  e.aux = 21;  // CAP_SYS_ADMIN
  memcpy(e.comm, "a\"b\n\xff{}", 8);
  auto f = deny_fields(e, names);
  CHECK(f["verdict"] == "audit");
  CHECK(f["caller_zone"] == "zone#7");
  CHECK(f["target_zone"].is_null());
  CHECK(f["target"] == "capability=CAP_SYS_ADMIN");
  JsonLogger l;
  {
    const LogFields fields(f);
    l.logger->warn("{}", format_deny(e, names));
  }
  auto lines = l.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["comm"].get<std::string>().starts_with("a\"b\n"));

  syva_event k{};
  k.hook = SYVA_HOOK_TASK_KILL;
  k.caller_zone = 2;
  k.target_pid = 1;
  k.target_cgroup = 5;
  k.signal = 9;
  auto kf = deny_fields(k, names);
  CHECK(kf["target_zone"] == "host");
  CHECK(kf["target"] == "target_pid=1 target_cgroup=5 signal=9");

  syva_event m{};
  m.hook = SYVA_HOOK_SB_MOUNT;
  m.caller_zone = 1;
  CHECK(format_target(m).empty());
  CHECK(format_deny(m, names) == "DENY hook=sb_mount pid=0 tgid=0 comm= caller_zone=database caller_cgroup=0");
}
