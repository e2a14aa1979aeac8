// SPDX-License-Identifier: Apache-2.0
#include "watcher/membership_table.h"

#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "events/log_escape.h"

namespace syva {

std::string describe(const Member& m) {
  return fmt::format("container={} namespace={} pod={} zone={} zone_id={} cgroup={} cgroup_path={} source={}",
                     escaped(m.container_id), escaped(m.ns),
                     m.pod.known() ? escaped(m.pod.ns + "/" + m.pod.name) : "-", m.zone, m.zone_id, m.cgroup,
                     escaped(m.cgroup_path), to_string(m.source));
}

namespace {

// Loud, and said when the membership is written, not at every reconcile.
void warn_about_zone(const Member& m) {
  if (m.placement == Placement::Kind::quarantine)
    spdlog::error("QUARANTINE: {} requested=\"{}\" reason=\"{}\": it reaches nothing and owns nothing until it "
                  "is placed",
                  describe(m), escaped(m.requested_zone), m.why);
  else if (m.placement == Placement::Kind::isolated)
    spdlog::info("container {} in namespace {} names no zone: isolated in zone {} of its own (--unzoned isolate)",
                 escaped(m.container_id), escaped(m.ns), m.zone);
}

// The root filesystem a member owns whole: only an overlay is the
// container's own superblock; any other rootfs shares the node's. A
// quarantined container owns nothing.
std::optional<uint64_t> owned_superblock(const Member& m) {
  if (m.zone_id >= SYVA_FIRST_STATE_ZONE) return std::nullopt;
  if (m.rootfs.kind != RootfsCoverage::Kind::overlay || m.rootfs.dev == 0) return std::nullopt;
  return m.rootfs.dev;
}

// A quarantined container owns nothing, its writable layer included.
bool owns_layer(const Member& m) { return m.zone_id < SYVA_FIRST_STATE_ZONE; }

LayerOwner layer_owner(const Member& m) { return {m.ns, m.container_id, m.zone, m.zone_id}; }

}  // namespace

const Member* MembershipTable::sharing_cgroup(uint64_t cgroup, const Key& except) const {
  for (const auto& [key, m] : members_)
    if (key != except && m.cgroup == cgroup) return &m;
  return nullptr;
}

const Member* MembershipTable::find(const std::string& ns, const std::string& container_id) const {
  auto it = members_.find({ns, container_id});
  return it == members_.end() ? nullptr : &it->second;
}

std::vector<Member> MembershipTable::all() const {
  std::vector<Member> out;
  for (const auto& [key, m] : members_) out.push_back(m);
  return out;
}

void MembershipTable::add(const Member& m, std::optional<std::chrono::nanoseconds> since_event) {
  const Key key{m.ns, m.container_id};
  std::string moved;
  if (auto it = members_.find(key); it != members_.end()) {
    const Member& was = it->second;
    if (was.cgroup == m.cgroup && was.zone_id == m.zone_id && owned_superblock(was) == owned_superblock(m)) {
      it->second.pid = m.pid;
      it->second.addresses = m.addresses;  // read again: the caller's is the newer
      return;
    }
    // The same container in a new cgroup (a new task): its old entries go.
    if (was.cgroup != m.cgroup && !sharing_cgroup(was.cgroup, key)) sink_.remove_member(was.cgroup);
    if (auto dev = owned_superblock(was); dev && dev != owned_superblock(m)) sink_.remove_superblock_owner(*dev);
    if (was.cgroup == m.cgroup) moved = was.zone;
  }
  // The rootfs is owned before the cgroup is zoned: from the first moment
  // the container is in its zone, its files are too.
  if (auto dev = owned_superblock(m)) sink_.set_superblock_owner(*dev, m.zone_id);
  sink_.set_member(m.cgroup, m.zone_id);
  members_[key] = m;
  // After the membership: a container whose command already runs (pending)
  // is not refused its own files while the layer is walked.
  if (owns_layer(m))
    layers_.own(layer_owner(m), m.layer);
  else
    layers_.release(m.ns, m.container_id, "quarantined");
  warn_about_zone(m);
  const std::string latency =
      since_event ? fmt::format(" latency_ms={:.3f}", std::chrono::duration<double, std::milli>(*since_event).count())
                  : "";
  if (!moved.empty())
    spdlog::info("membership ~: {} from_zone={}{}", describe(m), moved, latency);
  else
    spdlog::info("membership +: {} rootfs=\"{}\"{}", describe(m),
                 m.zone_id >= SYVA_FIRST_STATE_ZONE ? "not owned: quarantined" : describe(m.rootfs), latency);
}

std::optional<uint64_t> MembershipTable::remove(const std::string& ns, const std::string& container_id, uint32_t pid,
                                                std::string_view reason) {
  const Key key{ns, container_id};
  auto it = members_.find(key);
  if (it == members_.end()) return std::nullopt;
  if (pid != 0 && it->second.pid != 0 && pid != it->second.pid) return std::nullopt;
  const Member gone = it->second;
  members_.erase(it);
  if (auto dev = owned_superblock(gone)) sink_.remove_superblock_owner(*dev);
  layers_.release(ns, container_id, reason);
  if (const Member* other = sharing_cgroup(gone.cgroup, key)) {
    if (other->zone_id != gone.zone_id) sink_.set_member(other->cgroup, other->zone_id);
    spdlog::info("membership -: {} reason=\"{}\" (cgroup stays: container {} shares it)", describe(gone), reason,
                 other->container_id);
    return std::nullopt;
  }
  sink_.remove_member(gone.cgroup);
  spdlog::info("membership -: {} reason=\"{}\"", describe(gone), reason);
  return gone.cgroup;
}

ReconcileCounts MembershipTable::reconcile(const std::vector<Member>& running) {
  ReconcileCounts counts;
  std::map<Key, Member> next;
  std::map<uint64_t, const Member*> wanted;  // cgroup -> the member that decides its zone
  for (const auto& m : running) {
    auto [it, fresh] = wanted.emplace(m.cgroup, &m);
    if (!fresh && it->second->zone_id != m.zone_id)
      spdlog::warn("containers {} and {} share cgroup {} but name zones {} and {}: {} applies",
                   it->second->container_id, m.container_id, m.cgroup, it->second->zone, m.zone, it->second->zone);
    next[{m.ns, m.container_id}] = m;
  }

  const auto current = sink_.members();
  for (const auto& [cgroup, m] : wanted) {
    auto it = current.find(cgroup);
    if (it != current.end() && it->second == m->zone_id) {
      ++counts.kept;
      continue;
    }
    sink_.set_member(cgroup, m->zone_id);
    ++counts.added;
    warn_about_zone(*m);
    spdlog::info("membership +: {} rootfs=\"{}\" reason=\"reconcile: running, {}\"", describe(*m), describe(m->rootfs),
                 it == current.end() ? "missing from the map" : "wrong zone in the map");
  }

  for (const auto& [cgroup, zone_id] : current) {
    if (wanted.count(cgroup) || zone_id == SYVA_ZONE_PENDING) continue;
    sink_.remove_member(cgroup);
    ++counts.removed;
    const Member* known = nullptr;
    for (const auto& [key, m] : members_)
      if (m.cgroup == cgroup) known = &m;
    if (known)
      spdlog::info("membership -: {} reason=\"reconcile: no longer running\"", describe(*known));
    else
      spdlog::info("membership -: cgroup={} zone_id={} reason=\"reconcile: no running zoned container has this "
                   "cgroup (left from before this agent)\"",
                   cgroup, zone_id);
  }
  members_ = std::move(next);
  reconcile_superblocks(running);
  std::vector<std::pair<LayerOwner, WritableLayer>> layers;
  for (const auto& m : running)
    if (owns_layer(m)) layers.emplace_back(layer_owner(m), m.layer);
  layers_.reconcile(layers);
  return counts;
}

void MembershipTable::reconcile_superblocks(const std::vector<Member>& running) {
  std::map<uint64_t, const Member*> wanted;
  for (const auto& m : running)
    if (auto dev = owned_superblock(m)) wanted.emplace(*dev, &m);
  const auto current = sink_.superblock_owners();
  for (const auto& [dev, m] : wanted) {
    auto it = current.find(dev);
    if (it != current.end() && it->second == m->zone_id) continue;
    sink_.set_superblock_owner(dev, m->zone_id);
    spdlog::info("rootfs +: container={} namespace={} zone={} {} reason=\"reconcile\"", m->container_id, m->ns, m->zone,
                 describe(m->rootfs));
  }
  for (const auto& [dev, zone_id] : current) {
    if (wanted.count(dev)) continue;
    sink_.remove_superblock_owner(dev);
    spdlog::info("rootfs -: dev={}:{} zone_id={} reason=\"reconcile: no running zoned container has this rootfs\"",
                 dev >> 20, dev & 0xfffff, zone_id);
  }
}

}  // namespace syva
