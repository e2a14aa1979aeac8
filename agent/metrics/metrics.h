// SPDX-License-Identifier: Apache-2.0
// Prometheus metrics (`--metrics-address`): read-only, computed from the
// maps at scrape time, so a scrape sees what `syva status` would and the
// agent keeps no second copy of any number.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "syva_abi.h"

namespace prometheus {
class Exposer;
}

namespace syva {

// Everything one scrape reports, as plain numbers.
struct MetricsSnapshot {
  std::vector<std::pair<std::string, syva_counters>> hooks;    // check name -> counters summed over CPUs
  std::vector<std::pair<std::string, uint64_t>> zone_members;  // zone name -> member cgroups
  uint64_t quarantined = 0;  // cgroups in quarantine: containers that could not be placed
  uint64_t pending = 0;      // cgroups under a guarded root not placed yet
  bool has_agent_state = false;
  uint64_t policy_generation = 0;
  bool policy_rejected = false;  // the last policy change was refused
  bool containerd_connected = false;
};

// The metric families of a snapshot: syva_up, syva_decisions_total{hook,
// verdict}, syva_events_dropped_total, syva_zone_members{zone},
// syva_quarantined_cgroups, syva_pending_cgroups,
// syva_policy_generation, syva_policy_last_change_accepted,
// syva_containerd_connected.
std::vector<prometheus::MetricFamily> metric_families(const MetricsSnapshot& snapshot);

// Takes a snapshot on every Collect (every scrape).
class SnapshotCollectable final : public prometheus::Collectable {
 public:
  explicit SnapshotCollectable(std::function<MetricsSnapshot()> source) : source_(std::move(source)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::function<MetricsSnapshot()> source_;
};

// The HTTP endpoint, /metrics on `address` ("0.0.0.0:9464", "[::]:9464",
// "127.0.0.1:9464"). Listening starts at construction (throws when the
// address cannot be bound), the metrics once `serve` is given a source.
class MetricsServer {
 public:
  explicit MetricsServer(const std::string& address);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  void serve(std::function<MetricsSnapshot()> source);
  // The ports actually bound (for an address given with port 0).
  std::vector<int> ports() const;

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<SnapshotCollectable> collectable_;
};

// "HOST:PORT" with a port 0-65535 (HOST may be empty, or [IPv6]); the
// problem, or "" when valid.
std::string check_metrics_address(const std::string& address);

}  // namespace syva
