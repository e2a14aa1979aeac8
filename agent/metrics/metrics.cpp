// SPDX-License-Identifier: Apache-2.0
#include "metrics/metrics.h"

#include <cstdlib>

#include <prometheus/exposer.h>

namespace syva {

namespace {

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void add(prometheus::MetricFamily& f, double value, std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (f.type == prometheus::MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

}  // namespace

std::vector<prometheus::MetricFamily> metric_families(const MetricsSnapshot& s) {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;

  auto up =
      family("syva_up", "1 while the agent serves metrics (it enforces from start-up to stop)", MetricType::Gauge);
  add(up, 1);
  out.push_back(std::move(up));

  auto decisions = family("syva_decisions_total",
                          "Decisions about zoned callers by check (hook) and verdict: allow, deny, audit (would "
                          "have denied, zone in audit mode), error (kernel data unreadable, allowed)",
                          MetricType::Counter);
  uint64_t dropped = 0;
  for (const auto& [hook, c] : s.hooks) {
    for (const auto& [verdict, value] :
         {std::pair<const char*, uint64_t>{"allow", c.allow}, {"deny", c.deny}, {"audit", c.audit}, {"error", c.error}})
      add(decisions, static_cast<double>(value), {{"hook", hook}, {"verdict", verdict}});
    dropped += c.dropped;
  }
  out.push_back(std::move(decisions));

  auto lost =
      family("syva_events_dropped_total",
             "Deny and audit events lost because the ring buffer was full (the decisions stood)", MetricType::Counter);
  add(lost, static_cast<double>(dropped));
  out.push_back(std::move(lost));

  auto members = family("syva_zone_members", "Container cgroups in each zone", MetricType::Gauge);
  for (const auto& [zone, n] : s.zone_members) add(members, static_cast<double>(n), {{"zone", zone}});
  out.push_back(std::move(members));
  auto quarantined = family("syva_quarantined_cgroups",
                            "Container cgroups in quarantine: they could not be placed where they asked, and reach "
                            "nothing (the agent's QUARANTINE log lines say why)",
                            MetricType::Gauge);
  add(quarantined, static_cast<double>(s.quarantined));
  out.push_back(std::move(quarantined));
  auto pending = family("syva_pending_cgroups",
                        "Cgroups under a guarded root that no agent has placed yet (confined like quarantine)",
                        MetricType::Gauge);
  add(pending, static_cast<double>(s.pending));
  out.push_back(std::move(pending));

  if (s.has_agent_state) {
    auto generation = family("syva_policy_generation", "Policies applied since the maps were made", MetricType::Gauge);
    add(generation, static_cast<double>(s.policy_generation));
    out.push_back(std::move(generation));
    auto accepted =
        family("syva_policy_last_change_accepted",
               "0 when the last policy change was rejected (the previous policy stays enforced)", MetricType::Gauge);
    add(accepted, s.policy_rejected ? 0 : 1);
    out.push_back(std::move(accepted));
    auto containerd =
        family("syva_containerd_connected",
               "1 while the agent follows containerd's events; 0: new containers are not zoned", MetricType::Gauge);
    add(containerd, s.containerd_connected ? 1 : 0);
    out.push_back(std::move(containerd));
  }
  return out;
}

std::vector<prometheus::MetricFamily> SnapshotCollectable::Collect() const { return metric_families(source_()); }

MetricsServer::MetricsServer(const std::string& address) : exposer_(std::make_unique<prometheus::Exposer>(address)) {}

MetricsServer::~MetricsServer() = default;

void MetricsServer::serve(std::function<MetricsSnapshot()> source) {
  collectable_ = std::make_shared<SnapshotCollectable>(std::move(source));
  exposer_->RegisterCollectable(collectable_);
}

std::vector<int> MetricsServer::ports() const { return exposer_->GetListeningPorts(); }

std::string check_metrics_address(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return "'" + address + "' has no :PORT";
  const std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::atoi(port.c_str()) > 65535)
    return "'" + address + "': the port must be a number 0-65535";
  if (host.find(':') != std::string::npos && !(host.starts_with("[") && host.ends_with("]")))
    return "'" + address + "': write an IPv6 address in brackets, [::]:PORT";
  return "";
}

}  // namespace syva
