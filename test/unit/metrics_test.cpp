// SPDX-License-Identifier: Apache-2.0
// The metrics from a snapshot of numbers (the agent itself cannot run on the
// build host's kernel): their text exposition, served over HTTP, and read
// back by the Prometheus Python client's own parser.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>

#include <prometheus/text_serializer.h>

#include "metrics/metrics.h"
#include "support/shell.h"
#include "support/skip.h"

using namespace syva;

namespace {

MetricsSnapshot sample() {
  MetricsSnapshot s;
  syva_counters open{};
  open.allow = 10;
  open.deny = 3;
  open.audit = 2;
  open.error = 1;
  open.dropped = 4;
  syva_counters kill{};
  kill.deny = 5;
  kill.dropped = 1;
  s.hooks = {{"file_open", open}, {"task_kill", kill}};
  s.zone_members = {{"database", 2}, {"frontend", 0}};
  s.quarantined = 4;
  s.pending = 1;
  s.has_agent_state = true;
  s.policy_generation = 3;
  s.policy_rejected = true;
  s.containerd_connected = true;
  return s;
}

std::string text_of(const MetricsSnapshot& s) { return prometheus::TextSerializer().Serialize(metric_families(s)); }

// GET /metrics over plain HTTP/1.0; the whole response.
std::string http_get(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string req = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

}  // namespace

TEST_CASE("each hook's verdicts are counters labelled hook and verdict", "[metrics]") {
  const std::string t = text_of(sample());
  INFO(t);
  CHECK(t.find("# TYPE syva_decisions_total counter") != std::string::npos);
  CHECK(t.find("syva_decisions_total{hook=\"file_open\",verdict=\"allow\"} 10") != std::string::npos);
  CHECK(t.find("syva_decisions_total{hook=\"file_open\",verdict=\"deny\"} 3") != std::string::npos);
  CHECK(t.find("syva_decisions_total{hook=\"file_open\",verdict=\"audit\"} 2") != std::string::npos);
  CHECK(t.find("syva_decisions_total{hook=\"file_open\",verdict=\"error\"} 1") != std::string::npos);
  CHECK(t.find("syva_decisions_total{hook=\"task_kill\",verdict=\"deny\"} 5") != std::string::npos);
  CHECK(t.find("syva_events_dropped_total 5") != std::string::npos);
}

TEST_CASE("zones, policy, containerd and up are gauges", "[metrics]") {
  std::string t = text_of(sample());
  INFO(t);
  CHECK(t.find("syva_up 1") != std::string::npos);
  CHECK(t.find("syva_zone_members{zone=\"database\"} 2") != std::string::npos);
  CHECK(t.find("syva_zone_members{zone=\"frontend\"} 0") != std::string::npos);
  CHECK(t.find("syva_policy_generation 3") != std::string::npos);
  CHECK(t.find("syva_policy_last_change_accepted 0") != std::string::npos);
  CHECK(t.find("syva_containerd_connected 1") != std::string::npos);
  CHECK(t.find("syva_quarantined_cgroups 4") != std::string::npos);
  CHECK(t.find("syva_pending_cgroups 1") != std::string::npos);
  MetricsSnapshot none;
  t = text_of(none);
  CHECK(t.find("syva_up 1") != std::string::npos);
  CHECK(t.find("syva_policy_generation") == std::string::npos);
}

TEST_CASE("the endpoint reads a fresh snapshot on every scrape", "[metrics]") {
  MetricsServer server("127.0.0.1:0");
  REQUIRE(server.ports().size() == 1);
  std::atomic<int> scrapes{0};
  server.serve([&] {
    MetricsSnapshot s = sample();
    s.policy_generation = static_cast<uint64_t>(++scrapes);
    return s;
  });
  const std::string first = http_get(server.ports()[0]);
  const std::string second = http_get(server.ports()[0]);
  INFO(first);
  CHECK(first.find("200 OK") != std::string::npos);
  CHECK(first.find("syva_policy_generation 1") != std::string::npos);
  CHECK(second.find("syva_policy_generation 2") != std::string::npos);

  // The official client's parser must take the body whole.
  const std::string body = second.substr(second.find("\r\n\r\n") + 4);
  const std::string file = "/tmp/syva-metrics-test.txt";
  std::ofstream(file) << body;
  // Debian's interpreter first: python3-prometheus-client installs for it.
  std::string py;
  for (const char* cand : {"/usr/bin/python3", "python3"})
    if (py.empty() && test::shell(std::string(cand) + " -c 'import prometheus_client' 2>/dev/null").exit_code == 0)
      py = cand;
  if (py.empty()) {
    std::remove(file.c_str());
    SYVA_SKIP("no python3-prometheus-client (apt-get install python3-prometheus-client): the text was not parsed");
  }
  auto parsed = test::shell(py +
                            " -c 'import sys\n"
                            "from prometheus_client.parser import text_string_to_metric_families as p\n"
                            "for f in p(open(sys.argv[1]).read()):\n"
                            "  for s in f.samples: print(s.name, sorted(s.labels.items()), s.value)' " +
                            file);
  std::remove(file.c_str());
  INFO(parsed.output);
  REQUIRE(parsed.exit_code == 0);
  CHECK(parsed.output.find("syva_decisions_total [('hook', 'file_open'), ('verdict', 'deny')] 3.0") !=
        std::string::npos);
  CHECK(parsed.output.find("syva_zone_members [('zone', 'database')] 2.0") != std::string::npos);
  CHECK(parsed.output.find("syva_up [] 1.0") != std::string::npos);
}

TEST_CASE("a metrics address needs a port", "[metrics]") {
  CHECK(check_metrics_address("0.0.0.0:9464").empty());
  CHECK(check_metrics_address("[::]:9464").empty());
  CHECK(check_metrics_address(":9464").empty());
  CHECK_FALSE(check_metrics_address("9464").empty());
  CHECK_FALSE(check_metrics_address("host:http").empty());
  CHECK_FALSE(check_metrics_address("::1:9464").empty());
  CHECK_FALSE(check_metrics_address("h:99999").empty());
}
