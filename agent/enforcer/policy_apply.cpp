// SPDX-License-Identifier: Apache-2.0
// Enforcer::apply_policy moves the maps to a new policy while the programs
// enforce. The programs read one entry at a time and user space cannot write
// the maps in one transaction, so the order of the writes is the contract:
//
//   1. Narrow: allowed pairs the new policy drops are removed before anything
//      else changes.
//   2. Zone values: each zone's policy and name under the id
//      assign_zone_ids() gives it. A zone's writable paths are written before
//      the flags that turn them on and removed only after the flags are gone,
//      so no moment refuses every write of a zone.
//   3. Owned inodes: new owners are written before entries no longer owned
//      are removed, so a file owned before and after is never unowned for a
//      moment (an unowned file is open to every zone). Files the kernel
//      gave their directory's owner at creation are not the policy's to
//      remove: they stay while their zone keeps its id.
//   4. Egress: destinations no longer allowed go first, then the new table,
//      so no moment allows a destination both policies refuse.
//   5. Widen last: newly allowed pairs.
//
// Why no moment allows a pair both policies forbid: the pair map loses
// entries only in 1 and gains them only in 5, so between the two it holds
// entries both policies have, and after 5 only the new policy's. Entries name
// zones by id. A zone that members or an owned filesystem refer to keeps its
// id, so no caller changes zone. An id freed and given to a new zone in the
// same change still marks only the old zone's owned files until 3 rewrites
// them, and an entry kept through 1 with that id allowed reaching those files
// before.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "enforcer/enforcer.h"
#include "enforcer/inode_owner_epoch.h"
#include "enforcer/map_readers.h"
#include "enforcer/map_writes.h"
#include "enforcer/zone_slots.h"
#include "policy/admission.h"
#include "syva.skel.h"

namespace syva {

// PENDING and QUARANTINE: no pairs, loopback only. Quarantine also refuses
// every [syscalls] operation; PENDING cannot, as the runtime's own setup
// (mounts, pivot_root) runs in the new cgroup before the agent places it.
void Enforcer::write_state_zones() {
  const uint64_t every_op = (1ull << (SYVA_OP_PTRACE + 1)) - 1;
  syva_zone_policy pending{};
  pending.flags = SYVA_ZONE_F_DEFINED;
  pending.network_mode = SYVA_NET_ISOLATED;
  syva_zone_policy quarantine = pending;
  quarantine.denied_ops = every_op;
  for (const auto& [id, name, value] : {std::tuple{SYVA_ZONE_PENDING, kPendingZoneName, pending},
                                        std::tuple{SYVA_ZONE_QUARANTINE, kQuarantineZoneName, quarantine}}) {
    syva_zone_name v{};
    std::string(name).copy(v.name, sizeof(v.name) - 1);
    write_entry(skel_->maps.zone_policy, static_cast<uint32_t>(id), value);
    write_entry(skel_->maps.zone_names, static_cast<uint32_t>(id), v);
  }
}

std::set<std::string> Enforcer::zones_in_use() const {
  std::set<std::string> out;
  for (const bpf_map* map : {skel_->maps.zone_membership, skel_->maps.superblock_zone})
    for (const auto& [key, id] : read_zone_entries(bpf_map__fd(map)))
      if (id >= 1 && id <= zone_names_.size()) out.insert(zone_names_[id - 1]);
  // A pod address keeps its zone's id too: were the id given to another
  // zone, the address would change zone with it.
  const int addresses_fd = bpf_map__fd(skel_->maps.address_zone);
  for (const auto& address : map_keys<syva_address>(addresses_fd)) {
    uint32_t id = 0;
    if (bpf_map_lookup_elem(addresses_fd, &address, &id) == 0 && id >= 1 && id <= zone_names_.size())
      out.insert(zone_names_[id - 1]);
  }
  return out;
}

namespace {

// What a policy needs from maps whose size the kernel fixed at load, at the
// fullest moment of the write order above. Checked before anything is
// written: a policy that cannot fit is refused whole.
void check_capacity(const syva_bpf* skel, const CompiledPolicy& compiled, size_t pairs) {
  auto refuse = [](const bpf_map* map, size_t need, const char* what) {
    if (need > bpf_map__max_entries(map))
      throw PolicyNotApplied(fmt::format("it needs {} {} and the kernel map {} holds {}", need, what,
                                         bpf_map__name(map), bpf_map__max_entries(map)));
  };
  // Pairs and egress rules: the old ones leave before the new ones come.
  refuse(skel->maps.zone_allowed_comms, pairs, "allowed pairs");
  std::set<std::string> egress;  // keys as bytes: equal keys are one entry
  for (const auto& [key, value] : compiled.egress) egress.emplace(reinterpret_cast<const char*>(&key), sizeof(key));
  refuse(skel->maps.egress_rules, egress.size(), "egress rules");
  // Owned inodes: the new ones come before the old ones leave.
  const int inodes_fd = bpf_map__fd(skel->maps.inode_zone);
  std::set<std::pair<uint64_t, uint64_t>> inodes;
  for (const auto& key : map_keys<syva_inode_key>(inodes_fd)) inodes.emplace(key.dev, key.ino);
  for (const auto& [key, zone] : compiled.inodes) inodes.emplace(key.dev, key.ino);
  refuse(skel->maps.inode_zone, inodes.size(), "owned inodes (this policy's and the last one's, while it changes)");
}

}  // namespace

void Enforcer::apply_policy(const CompiledPolicy& compiled) {
  std::lock_guard lock(zones_mutex_);
  const auto slots = assign_zone_ids(zone_names_, compiled.zone_names, zones_in_use());
  if (slots.size() >= SYVA_FIRST_STATE_ZONE)
    throw PolicyNotApplied(fmt::format("zone table full: {} zones with the ones still in use, at most {}", slots.size(),
                                       SYVA_FIRST_STATE_ZONE - 1));
  std::set<std::pair<uint32_t, uint32_t>> pairs;
  for (const auto& p : compiled.pairs) pairs.emplace(p.a, p.b);
  check_capacity(skel_, compiled, pairs.size());
  try {
    write_policy(compiled, slots, zone_names_);
  } catch (const std::exception& e) {
    // Back to what was enforced, by the same order of writes.
    const std::string failed = e.what();
    if (!applied_)
      throw EnforcerError(fmt::format("the policy change failed half-way ({}) and this agent has no earlier policy to "
                                      "write back: the maps hold parts of it until a change succeeds",
                                      failed));
    try {
      write_policy(*applied_, zone_names_, slots);
    } catch (const std::exception& again) {
      throw EnforcerError(fmt::format("the policy change failed half-way ({}) and the previous policy could not be "
                                      "written back ({}): the maps hold parts of both until a change succeeds",
                                      failed, again.what()));
    }
    throw PolicyNotApplied(fmt::format("writing it failed ({}); the previous policy was written back", failed));
  }
  zone_names_ = slots;
  applied_ = compiled;
}

void Enforcer::write_policy(const CompiledPolicy& compiled, const std::vector<std::string>& slots,
                            const std::vector<std::string>& was_slots) {
  // compiled id -> kernel id
  std::vector<uint32_t> kid(compiled.zone_names.size() + 1, SYVA_ZONE_NONE);
  for (size_t i = 0; i < compiled.zone_names.size(); ++i)
    kid[i + 1] = std::find(slots.begin(), slots.end(), compiled.zone_names[i]) - slots.begin() + 1;

  std::set<std::pair<uint32_t, uint32_t>> pairs;
  for (const auto& p : compiled.pairs) pairs.emplace(kid[p.a], kid[p.b]);
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> inodes;
  for (const auto& [key, zone] : compiled.inodes) inodes[{key.dev, key.ino}] = kid[zone];

  const auto& maps = skel_->maps;
  const int pairs_fd = bpf_map__fd(maps.zone_allowed_comms);
  const int inodes_fd = bpf_map__fd(maps.inode_zone);
  const int writable_fd = bpf_map__fd(maps.writable_paths);
  const int egress_fd = bpf_map__fd(maps.egress_rules);

  // 1. Narrow.
  for (const auto& key : map_keys<syva_zone_pair>(pairs_fd))
    if (!pairs.count({key.a, key.b})) remove_entry(maps.zone_allowed_comms, key);

  // 2. Zone values: the policy's zones, the undefined ones still in use,
  // freed ids; writable paths around them.
  std::set<uint32_t> writable_zones;
  for (const auto& [zone, paths] : compiled.writable) {
    writable_zones.insert(kid[zone]);
    write_entry(maps.writable_paths, kid[zone], paths);
  }
  const size_t ids = std::max(slots.size(), was_slots.size());
  for (uint32_t id = 1; id <= ids; ++id) {
    const std::string name = id <= slots.size() ? slots[id - 1] : "";
    const std::string was = id <= was_slots.size() ? was_slots[id - 1] : "";
    const uint32_t at = compiled.id_of(name);
    const syva_zone_policy value = at != SYVA_ZONE_NONE ? compiled.zone_values[at - 1] : syva_zone_policy{};
    syva_zone_name v{};
    name.copy(v.name, sizeof(v.name) - 1);
    write_entry(maps.zone_policy, id, value);
    write_entry(maps.zone_names, id, v);
    if (!name.empty() && at == SYVA_ZONE_NONE && name == was && !name.starts_with(kIsolatedZonePrefix))
      spdlog::warn("zone '{}' (id {}) has no policy file; the containers in it stay there, isolated", name, id);
  }
  for (uint32_t zone : map_keys<uint32_t>(writable_fd))
    if (!writable_zones.count(zone)) remove_entry(maps.writable_paths, zone);
  write_state_zones();

  // 3. Owned inodes, new before old. A file the kernel made its
  // directory's zone's stays that zone's while the zone keeps its id.
  // Owners cached in inodes stop holding when this ends, however it ends.
  {
    EpochAdvanceAtExit advance{*inode_owner_epoch_};
    for (const auto& [key, zone] : inodes) write_entry(maps.inode_zone, syva_inode_key{key.first, key.second}, zone);
    auto keeps_id = [&](uint32_t id) {
      return id >= 1 && id <= slots.size() && id <= was_slots.size() && !slots[id - 1].empty() &&
             slots[id - 1] == was_slots[id - 1];
    };
    for (const auto& key : map_keys<syva_inode_key>(inodes_fd)) {
      if (inodes.count({key.dev, key.ino})) continue;
      uint32_t value = 0;
      if (bpf_map_lookup_elem(inodes_fd, &key, &value) == 0 && (value & SYVA_INODE_INHERITED) &&
          keeps_id(value & ~SYVA_INODE_INHERITED))
        continue;
      remove_entry(maps.inode_zone, key);
    }
  }

  // 4. Egress.
  std::vector<syva_egress_key> egress_keys;
  for (auto [key, value] : compiled.egress) {
    key.zone = kid[key.zone];
    egress_keys.push_back(key);
  }
  auto same_key = [](const syva_egress_key& a, const syva_egress_key& b) { return memcmp(&a, &b, sizeof(a)) == 0; };
  for (const auto& key : map_keys<syva_egress_key>(egress_fd))
    if (std::none_of(egress_keys.begin(), egress_keys.end(), [&](const auto& k) { return same_key(k, key); }))
      remove_entry(maps.egress_rules, key);
  for (size_t i = 0; i < egress_keys.size(); ++i)
    write_entry(maps.egress_rules, egress_keys[i], compiled.egress[i].second);

  // 5. Widen.
  const uint8_t one = 1;
  for (const auto& [a, b] : pairs) write_entry(maps.zone_allowed_comms, syva_zone_pair{a, b}, one);
}

}  // namespace syva
