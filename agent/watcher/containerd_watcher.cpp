// SPDX-License-Identifier: Apache-2.0
#include "watcher/containerd_watcher.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "enforcer/kernel_ids.h"
#include "events/log_escape.h"
#include "policy/admission.h"
#include "watcher/backoff.h"
#include "watcher/cgroup_path.h"
#include "watcher/cgroup_limits.h"
#include "watcher/rootfs_coverage.h"
#include "watcher/zone_resolver.h"

namespace syva {

namespace {

bool has_process(containerd::v1::types::Status status) {
  using containerd::v1::types::Status;
  return status == Status::CREATED || status == Status::RUNNING || status == Status::PAUSED ||
         status == Status::PAUSING;
}

}  // namespace

ContainerdWatcher::ContainerdWatcher(WatcherOptions options, MembershipSink& sink)
    : options_(std::move(options)),
      sink_(sink),
      table_(sink),
      addresses_(sink),
      admission_(std::move(options_.admission)) {}

ContainerdWatcher::~ContainerdWatcher() { stop(); }

void ContainerdWatcher::start() {
  if (thread_.joinable()) return;
  try {
    cgroup2_mount_ = cgroup2_mount();
  } catch (const std::exception& e) {
    // Without cgroup2 no container can be placed: said once, not per event.
    spdlog::error("containerd watcher not started, containers will not be zoned: {}", e.what());
    return;
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  spdlog::info("{}", rootfs_coverage_notice());
  thread_ = std::thread([this] { run(); });
}

void ContainerdWatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (client_) client_->cancel();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

unsigned ContainerdWatcher::reconciles() const {
  std::lock_guard lock(mutex_);
  return reconciles_;
}

unsigned ContainerdWatcher::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

bool ContainerdWatcher::wait_or_stop(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return wake_.wait_for(lock, delay, [this] { return stopping_; });
}

void ContainerdWatcher::set_link(Link link, const std::string& detail) {
  connected_ = link == Link::connected;
  if (link == Link::connected) {
    if (link_ == Link::lost) {
      const double down = std::chrono::duration<double>(std::chrono::steady_clock::now() - lost_at_).count();
      spdlog::info("containerd: reconnected to {} after {:.1f}s; {}", options_.socket, down, detail);
    } else {
      spdlog::info("containerd: connected to {}, watching every namespace; {}", options_.socket, detail);
    }
    link_ = Link::connected;
    return;
  }
  // A failed attempt: said once per outage, the retries only at debug level.
  if (link_ == Link::connected) {
    lost_at_ = std::chrono::steady_clock::now();
    link_ = Link::lost;
    spdlog::warn("containerd: connection to {} lost ({}); keeping {} known memberships enforced, reconnecting",
                 options_.socket, detail, table_.size());
  } else if (link_ == Link::never && !told_unreachable_) {
    told_unreachable_ = true;
    spdlog::warn("containerd: {} is not reachable ({}); enforcing without container membership until it is, "
                 "retrying every {}ms at most",
                 options_.socket, detail, options_.backoff_max.count());
  } else {
    spdlog::debug("containerd: still unreachable: {}", detail);
  }
}

void ContainerdWatcher::run() {
  Backoff backoff(options_.backoff_first, options_.backoff_max);
  for (;;) {
    auto client = std::make_shared<ContainerdClient>(options_.socket);
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      client_ = client;
    }
    std::string why;
    try {
      session(*client);
    } catch (const std::exception& e) {
      why = e.what();
    }
    {
      std::lock_guard lock(mutex_);
      client_.reset();
      if (stopping_) return;
    }
    // A session that got as far as a reconcile was a working connection:
    // the next outage starts its backoff afresh.
    if (link_ == Link::connected) backoff.reset();
    set_link(Link::lost, why);
    if (wait_or_stop(backoff.next())) return;
  }
}

void ContainerdWatcher::session(ContainerdClient& client) {
  // Subscribe first: whatever happens while the reconcile lists is then in
  // the stream, and replaying it is harmless (adds are idempotent, deletes
  // of an earlier task are recognised by pid).
  auto stream = client.subscribe(watched_topic_filters());
  reconciles_at_connect_ = true;
  const auto counts = reconcile(client);
  {
    std::lock_guard lock(mutex_);
    ++connections_;
  }
  set_link(Link::connected, fmt::format("map reconciled: {} zoned containers running, +{} -{} ={}", table_.size(),
                                        counts.added, counts.removed, counts.kept));

  auto resync_at = std::chrono::system_clock::now() + options_.settle;
  Envelope envelope;
  for (;;) {
    switch (stream->next(envelope, resync_at)) {
      case EventStream::Next::event: {
        WatchEvent event;
        try {
          event = decode_event(envelope);
        } catch (const std::exception& e) {
          spdlog::warn("containerd: unreadable event: {}", e.what());
          continue;
        }
        // Applied before the next event is read.
        std::lock_guard lock(table_mutex_);
        on_event(client, event);
        publish_origins();
        sync_addresses(false);
        continue;
      }
      case EventStream::Next::timeout:
        resync(client);
        resync_at = std::chrono::system_clock::now() + options_.resync;
        continue;
      case EventStream::Next::ended: break;
    }
    break;
  }
  auto status = stream->finish();
  if (!status.ok())
    throw RpcError(fmt::format("event stream: {} ({})", status.error_message(), static_cast<int>(status.error_code())),
                   status.error_code());
  throw RpcError("event stream ended", grpc::StatusCode::UNAVAILABLE);
}

void ContainerdWatcher::resync(ContainerdClient& client) {
  const auto counts = reconcile(client);
  if (counts.added || counts.removed)
    // The resync runs between two events read from the stream, so a task
    // that exited just before it may have its exit event still unread:
    // the correction is right either way, the cause is not known here.
    spdlog::warn("containerd: resync corrected the map (+{} -{}): events were missed or not yet read", counts.added,
                 counts.removed);
  else
    spdlog::debug("containerd: resync: map exact ({} zoned containers)", counts.kept);
}

void ContainerdWatcher::set_admission(AdmissionTable zones) {
  std::lock_guard lock(admission_mutex_);
  admission_ = std::move(zones);
}

std::optional<Member> ContainerdWatcher::member_for(const ZoneClaim& claim, const std::string& ns,
                                                    const std::string& id, uint32_t pid) {
  Placement p;
  {
    std::lock_guard lock(admission_mutex_);
    p = place(claim, ns, admission_, options_.unzoned);
  }
  Member m;
  m.ns = ns;
  m.container_id = id;
  m.pid = pid;
  m.pod = claim.pod;
  m.requested_zone = claim.requested;
  m.image = claim.image;
  m.source = claim.source;
  m.placement = p.kind;
  m.why = p.why;
  m.zone = p.zone;
  // The pid came with the event; by now it may be gone, or be another
  // process's. Every containerd runtime names the container's cgroup after
  // its id (/<ns>/<id>, cri-containerd-<id>.scope, ...): a cgroup that does
  // not is not its.
  std::string unplaceable;
  try {
    const auto cgroup = cgroup_of_pid(static_cast<pid_t>(pid), cgroup2_mount_);
    if (cgroup.path.find(id) == std::string::npos) {
      unplaceable = fmt::format("pid {} is in cgroup {}, which is not the container's (the process ended and its pid "
                                "was reused?)",
                                pid, escaped(cgroup.path));
    } else {
      m.cgroup = cgroup.id;
      m.cgroup_path = cgroup.path;
    }
  } catch (const std::exception& e) {
    unplaceable = fmt::format("cannot read the cgroup of its pid {}: {}", pid, e.what());
  }
  if (!unplaceable.empty()) {
    // Its spec says where its processes are. If some still run there while
    // its pid cannot vouch for them, its zone cannot be confirmed: it is
    // quarantined, not left to whatever the cgroup was.
    std::optional<ProcessCgroup> own;
    if (auto path = cgroup_path_of_spec(claim.cgroups_path); path && path->find(id) != std::string::npos) try {
        own = cgroup_at(*path, cgroup2_mount_);
      } catch (const std::exception&) {
      }
    if (!own || !cgroup_populated(own->dir)) {
      if (!own && kill(static_cast<pid_t>(pid), 0) == 0)
        spdlog::error("container={} namespace={} CANNOT PLACE ({}): {}; its spec's cgroup \"{}\" cannot be found",
                      escaped(id), escaped(ns), to_string(p.kind), unplaceable, escaped(claim.cgroups_path));
      else
        spdlog::info("container={} namespace={} ended before it could be placed ({})", escaped(id), escaped(ns),
                     unplaceable);
      return std::nullopt;
    }
    m.cgroup = own->id;
    m.cgroup_path = own->path;
    if (p.kind == Placement::Kind::free) unplaceable.clear();  // not enforced: the pid only had to locate it
  }
  if (!unplaceable.empty()) {
    m.placement = Placement::Kind::quarantine;
    m.why = unplaceable;
    m.zone = kQuarantineZoneName;
    m.zone_id = SYVA_ZONE_QUARANTINE;
    m.zone_has_policy = true;
    return m;
  }
  if (p.kind == Placement::Kind::free) {
    const bool was_pending = sink_.clear_pending(m.cgroup);
    spdlog::info("container={} namespace={} not enforced: {}{}", escaped(id), escaped(ns), p.why,
                 was_pending ? "; its cgroup is no longer pending" : "");
    return std::nullopt;
  }
  if (p.kind != Placement::Kind::quarantine) {
    try {
      const ZoneSlot slot = sink_.zone_for(m.zone);
      m.zone_id = slot.id;
      m.zone_has_policy = slot.has_policy;
    } catch (const std::exception& e) {
      m.placement = Placement::Kind::quarantine;
      m.why = fmt::format("zone '{}' cannot be made: {}", m.zone, e.what());
      m.zone = kQuarantineZoneName;
    }
  }
  // Its pid is vouched for by its cgroup here, so its network namespace is
  // the container's. A quarantined container's addresses are recorded too,
  // as quarantine's: no zone reaches them or takes packets from them, even
  // one whose mode and allowed_egress would admit an address of no pod.
  m.addresses = read_container_addresses(static_cast<pid_t>(pid), claim.pod_ips);
  if (m.placement == Placement::Kind::quarantine) {
    m.zone_id = SYVA_ZONE_QUARANTINE;
    m.zone_has_policy = true;
    return m;  // owns nothing: its rootfs is not recorded
  }
  m.rootfs = rootfs_of(static_cast<pid_t>(pid));
  m.layer = writable_layer_of(static_cast<pid_t>(pid), m.rootfs);
  return m;
}

void ContainerdWatcher::on_event(ContainerdClient& client, const WatchEvent& event) {
  const Key key{event.ns, event.container_id};
  const SandboxLookup sandbox = [&](const std::string& id) { return client.container(event.ns, id); };
  switch (event.kind) {
    case WatchEvent::Kind::container_created:
    case WatchEvent::Kind::container_updated: {
      auto c = client.container(event.ns, event.container_id);
      if (!c) {
        claims_.erase(key);
        return;
      }
      const ZoneClaim claim = resolve_zone(event.ns, *c, sandbox);
      claims_[key] = claim;
      // A running container whose claim changed follows it.
      const Member* running = table_.find(event.ns, event.container_id);
      if (event.kind != WatchEvent::Kind::container_updated || !running) return;
      if (auto m = member_for(claim, event.ns, event.container_id, running->pid)) {
        table_.add(*m, std::nullopt);
        apply_zone_limits(*m);
      } else {
        leave(key, 0, "it is no longer to be enforced");
      }
      return;
    }
    case WatchEvent::Kind::task_created: {
      auto it = claims_.find(key);
      if (it == claims_.end()) {
        // Created before this connection's reconcile, or its create event
        // was missed: ask now.
        auto c = client.container(event.ns, event.container_id);
        if (!c) {
          spdlog::debug("container {} in namespace {} vanished before its task could be placed", event.container_id,
                        event.ns);
          return;
        }
        it = claims_.emplace(key, resolve_zone(event.ns, *c, sandbox)).first;
      }
      try {
        auto m = member_for(it->second, event.ns, event.container_id, event.pid);
        if (!m) return;
        table_.add(*m, std::chrono::system_clock::now() - event.published);
        apply_zone_limits(*m);
      } catch (const std::exception& e) {
        spdlog::error("container {} in namespace {}: CANNOT PLACE: {}", event.container_id, event.ns, e.what());
      }
      return;
    }
    case WatchEvent::Kind::task_exited:
      // The member goes when its command ends, as a reconcile would have
      // it: a stopped task counts as not running there too. Unless the
      // command left processes behind (a container without a PID namespace
      // of its own): they stay zoned until the task is deleted, which kills
      // them.
      if (const Member* m = table_.find(event.ns, event.container_id);
          m && (event.pid == 0 || m->pid == event.pid) && cgroup_populated(cgroup2_mount_ + m->cgroup_path)) {
        spdlog::info("membership =: {} reason=\"task exited, its cgroup still holds processes: zoned until the task "
                     "is deleted\"",
                     describe(*m));
        return;
      }
      leave(key, event.pid, "task exited");
      return;
    case WatchEvent::Kind::task_deleted: leave(key, event.pid, "task deleted"); return;
    case WatchEvent::Kind::container_deleted:
      claims_.erase(key);
      leave(key, 0, "container deleted");
      return;
    case WatchEvent::Kind::ignored: return;
  }
}

void ContainerdWatcher::leave(const Key& key, uint32_t pid, std::string_view reason) {
  // Cgroup ids are never reused, so what was written to a cgroup that left
  // is of no further use; kept, it would pile up one entry per container
  // until the next reconcile.
  if (auto gone = table_.remove(key.first, key.second, pid, reason)) limits_applied_.erase(*gone);
}

void ContainerdWatcher::publish_origins() {
  std::map<uint64_t, ContainerOrigin> by_cgroup;
  for (const Member& m : table_.all())
    by_cgroup[m.cgroup] = ContainerOrigin{m.container_id, m.ns, m.pod.ns, m.pod.name, m.image};
  origins_.replace(std::move(by_cgroup));
}

void ContainerdWatcher::sync_addresses(bool exact) {
  try {
    addresses_.sync(table_.all(), exact);
  } catch (const std::exception& e) {
    spdlog::error("address_zone: cannot write the zoned containers' addresses: {}", e.what());
  }
}

void ContainerdWatcher::reapply_limits() {
  std::lock_guard lock(table_mutex_);
  for (const Member& m : table_.all()) {
    auto applied = limits_applied_.find(m.cgroup);
    if (applied != limits_applied_.end() && applied->second == limit_writes(sink_.zone_policy(m.zone_id))) continue;
    apply_zone_limits(m);
  }
}

void ContainerdWatcher::apply_zone_limits(const Member& m) {
  const syva_zone_policy policy = sink_.zone_policy(m.zone_id);
  const auto writes = limit_writes(policy);
  if (writes.empty()) return;
  limits_applied_[m.cgroup] = writes;
  const auto failures = apply_limits(cgroup2_mount_ + m.cgroup_path, policy);
  for (const auto& why : failures) {
    spdlog::error("resources: container {} in namespace {} (zone {}): NOT APPLIED: {}", m.container_id, m.ns, m.zone,
                  why);
    sink_.limits_failed(why);
  }
  if (failures.empty()) {
    std::string applied;
    for (const auto& [file, value] : writes) applied += fmt::format(" {}={}", file, value);
    spdlog::info("resources: container={} namespace={} zone={}{}", m.container_id, m.ns, m.zone, applied);
  }
}

ReconcileCounts ContainerdWatcher::reconcile(ContainerdClient& client) {
  std::lock_guard table_lock(table_mutex_);
  std::vector<Member> running;
  std::map<Key, ZoneClaim> claims;
  for (const auto& ns : client.namespaces()) {
    std::map<std::string, Container> containers;
    for (auto& c : client.containers(ns)) containers.emplace(c.id(), std::move(c));
    const SandboxLookup sandbox = [&](const std::string& id) -> std::optional<Container> {
      auto it = containers.find(id);
      if (it == containers.end()) return std::nullopt;
      return it->second;
    };
    for (const auto& [id, c] : containers) claims[{ns, id}] = resolve_zone(ns, c, sandbox);
    for (const auto& task : client.tasks(ns)) {
      // Tasks/List names each task by `id` (the container's id) and leaves
      // container_id empty (containerd 1.6/1.7).
      const std::string& id = task.container_id().empty() ? task.id() : task.container_id();
      if (!has_process(task.status()) || task.pid() == 0) {
        // Stopped, but what its command left behind still runs (see
        // task_exited): the known member stays.
        const Member* known = table_.find(ns, id);
        if (known && cgroup_populated(cgroup2_mount_ + known->cgroup_path)) running.push_back(*known);
        continue;
      }
      auto claim = claims.find({ns, id});
      if (claim == claims.end()) continue;
      try {
        if (auto m = member_for(claim->second, ns, id, task.pid())) running.push_back(std::move(*m));
      } catch (const std::exception& e) {
        spdlog::error("container {} in namespace {}: CANNOT PLACE: {}", id, ns, e.what());
      }
    }
  }
  // Only a complete listing may remove entries: a failed call above threw
  // before this point and the map stays as it was.
  const auto counts = table_.reconcile(running);
  publish_origins();
  sync_addresses(true);
  claims_ = std::move(claims);
  std::erase_if(limits_applied_, [&](const auto& entry) {
    return std::none_of(running.begin(), running.end(), [&](const Member& m) { return m.cgroup == entry.first; });
  });
  // At a connection's first reconcile (agent start, containerd back) the
  // running containers may have joined while no agent watched.
  if (reconciles_at_connect_) {
    for (const auto& m : running) apply_zone_limits(m);
    reconciles_at_connect_ = false;
  }
  std::lock_guard lock(mutex_);
  ++reconciles_;
  return counts;
}

}  // namespace syva
