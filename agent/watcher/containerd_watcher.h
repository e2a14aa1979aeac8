// SPDX-License-Identifier: Apache-2.0
// Zone membership from containerd: subscribes to every namespace's events,
// puts each zoned container's cgroup in its zone on /tasks/create (before the
// container's command runs) and takes it out when its command ends
// (/tasks/exit, unless processes remain in the cgroup), or on /tasks/delete
// or /containers/delete. At start and after every reconnect it lists what
// runs and makes the map exact. While containerd is away it keeps what it knows
// enforced and retries with a bounded backoff.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "watcher/address_table.h"
#include "watcher/containerd_client.h"
#include "watcher/containerd_events.h"
#include "watcher/membership_sink.h"
#include "watcher/container_origins.h"
#include "watcher/membership_table.h"
#include "watcher/placement.h"
#include "watcher/zone_resolver.h"

namespace syva {

struct WatcherOptions {
  std::string socket = "/run/containerd/containerd.sock";
  std::chrono::milliseconds backoff_first{100};
  std::chrono::milliseconds backoff_max{5000};
  // containerd registers a subscription a moment after the stream opens and
  // does not say when; a second reconcile this long after connecting covers
  // an event published in that moment.
  std::chrono::milliseconds settle{1000};
  // Then a reconcile this often, in case containerd lost an event (a shim's
  // event queue gives up after a few retries).
  std::chrono::milliseconds resync{std::chrono::minutes(5)};
  // Containers that name no zone.
  UnzonedSetting unzoned;
  // Who may join which zone, until set_admission() says otherwise.
  AdmissionTable admission;
};

class ContainerdWatcher {
 public:
  ContainerdWatcher(WatcherOptions options, MembershipSink& sink);
  ~ContainerdWatcher();
  ContainerdWatcher(const ContainerdWatcher&) = delete;
  ContainerdWatcher& operator=(const ContainerdWatcher&) = delete;

  void start();
  // Returns once the watcher's thread has ended; membership stays as it is.
  void stop();

  // After a policy reload: writes each member's zone's [resources] again
  // where they differ from what its cgroup was last given. A field the
  // policy no longer sets leaves the value it last wrote.
  void reapply_limits();

  // The zones the policy defines and who may join each; set before start()
  // and after every policy change. Claims are judged against the table at
  // the moment a task is placed.
  void set_admission(AdmissionTable zones);

  // Connections that got as far as their first reconcile, for tests and
  // health reporting.
  unsigned connections() const;
  // Completed reconciles: one per connection, the settle one, resyncs.
  unsigned reconciles() const;
  // Whether the event stream is up now, for health reporting.
  bool connected() const { return connected_; }
  // The container behind a zoned cgroup, for deny events (any thread).
  std::optional<ContainerOrigin> origin_of(uint64_t cgroup) const { return origins_.find(cgroup); }

 private:
  enum class Link { never, connected, lost };
  using Key = std::pair<std::string, std::string>;  // namespace, container id


  void run();
  // One connection's life; ends by throwing why it ended.
  void session(ContainerdClient& client);
  ReconcileCounts reconcile(ContainerdClient& client);
  void resync(ContainerdClient& client);
  void on_event(ContainerdClient& client, const WatchEvent& event);
  // Takes the container out of the table (see MembershipTable::remove),
  // and its cgroup out of limits_applied_ when its entry went.
  void leave(const Key& key, uint32_t pid, std::string_view reason);
  // The member a running task makes, or nullopt when it is not to be
  // enforced (its cgroup's PENDING entry is then cleared) or its cgroup
  // cannot be found (logged; a PENDING cgroup stays confined).
  std::optional<Member> member_for(const ZoneClaim& claim, const std::string& ns, const std::string& id, uint32_t pid);
  void set_link(Link link, const std::string& detail);
  // [resources] of the member's zone onto its cgroup; failures are logged
  // and reported to the sink.
  void apply_zone_limits(const Member& m);
  bool wait_or_stop(std::chrono::milliseconds delay);
  // origins_ from the table, after each change to it.
  void publish_origins();
  // address_zone from the table, after each change to it; `exact` at
  // reconcile. A failed map write is logged, and the next sync retries.
  void sync_addresses(bool exact);

  // Held while the table and limits_applied_ are read or changed: by the
  // watcher's thread for each event and reconcile, by reapply_limits.
  std::mutex table_mutex_;
  // cgroup -> the [resources] writes last made to it.
  std::map<uint64_t, std::vector<std::pair<std::string, std::string>>> limits_applied_;

  WatcherOptions options_;
  MembershipSink& sink_;
  MembershipTable table_;
  AddressTable addresses_;
  ContainerOrigins origins_;
  std::string cgroup2_mount_;
  // Decided when the container is created, so that /tasks/create needs no
  // call to containerd before the map write: the task starts moments after.
  std::map<Key, ZoneClaim> claims_;
  std::mutex admission_mutex_;
  AdmissionTable admission_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::shared_ptr<ContainerdClient> client_;  // the current connection, for stop()
  unsigned connections_ = 0;
  unsigned reconciles_ = 0;
  std::thread thread_;

  bool reconciles_at_connect_ = false;
  Link link_ = Link::never;
  std::atomic<bool> connected_{false};
  bool told_unreachable_ = false;
  std::chrono::steady_clock::time_point lost_at_;
};

}  // namespace syva
