// SPDX-License-Identifier: Apache-2.0
#include "enforcer/enforcer.h"

#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "enforcer/bpffs.h"
#include "enforcer/hook_arguments.h"
#include "enforcer/inode_owner_epoch.h"
#include "enforcer/kernel_ids.h"
#include "enforcer/kernel_support.h"
#include "enforcer/libbpf_log.h"
#include "enforcer/map_readers.h"
#include "enforcer/map_writes.h"
#include "enforcer/member_slots.h"
#include "enforcer/pin_lock.h"
#include "enforcer/pins.h"
#include "enforcer/program_load.h"
#include "enforcer/zone_slots.h"
#include "policy/admission.h"
#include "syva.skel.h"

namespace fs = std::filesystem;

namespace syva {

namespace {

// The kernel id of a map, program or link; 0 if it cannot be read.
template <typename Info>
uint32_t object_id(int fd, Info info) {
  uint32_t len = sizeof(info);
  return fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0u;
}

}  // namespace

Enforcer::Enforcer(EnforcerOptions options) : options_(std::move(options)) {
  capture_libbpf_log();

  const fs::path pin(options_.pin_path);
  ensure_bpffs(pin.parent_path());
  try {
    lock_ = std::make_unique<PinLock>(options_.pin_path);
  } catch (const std::runtime_error& e) {
    throw EnforcerError(e.what());
  }

  try {
    open_and_load();
  } catch (...) {
    if (skel_) syva_bpf__destroy(skel_);
    skel_ = nullptr;
    lock_.reset();
    std::error_code ec;
    fs::remove(options_.pin_path, ec);  // only if empty: pins we did not make stay
    throw;
  }
}

void Enforcer::open_and_load() {
  // Loopback is a pod's own only outside the node's network namespace.
  const uint32_t node_netns = node_netns_inode();
  if (!node_netns && options_.load_programs)
    spdlog::error(
        "cannot read /proc/1/ns/net ({}): loopback is allowed to every zone, in any network namespace; status "
        "degraded",
        strerror(errno));
  bool slots_adopted = false, superblock_slots_adopted = false;
  auto loaded = load_object(
      [&](syva_bpf& skel, const btf* vmlinux) {
        prepare_map_pins(skel, options_.pin_path);
        slots_adopted = fs::exists(fs::path(options_.pin_path) / "member_slots");
        superblock_slots_adopted = fs::exists(fs::path(options_.pin_path) / "superblock_slots");
        if (vmlinux) set_hook_argument_positions(&skel, vmlinux);
        // The node's mount namespace, where a container runtime sets a
        // container up before the container's command runs in its own. 0
        // (unreadable): every process in a PENDING cgroup is confined.
        struct stat st {};
        if (stat("/proc/1/ns/mnt", &st) == 0) skel.rodata->host_mnt_ns = static_cast<uint32_t>(st.st_ino);
        skel.rodata->node_netns_ino = node_netns;
      },
      options_.load_programs);
  skel_ = loaded.skel;
  record_left_out(loaded.left_out);
  if (options_.load_programs)
    update_state([&](syva_agent_state& s) { s.node_netns_unknown = node_netns ? 0 : 1; });

  for (const auto& [id, name] : zone_names()) {
    if (id >= SYVA_FIRST_STATE_ZONE) continue;  // pending, quarantine: states, not zones
    zone_names_.resize(id);
    zone_names_[id - 1] = name;
  }
  const auto adopted = members();
  if (!adopted.empty() || !zone_names_.empty())
    spdlog::info("re-adopted pinned state at {}: {} zones, {} members", options_.pin_path, zone_names().size(),
                 adopted.size());
  member_slots_ = std::make_unique<MappedMemberSlots>(bpf_map__fd(skel_->maps.member_slots));
  superblock_slots_ = std::make_unique<MappedMemberSlots>(bpf_map__fd(skel_->maps.superblock_slots));
  member_cache_ = std::make_unique<MappedMemberSlots>(bpf_map__fd(skel_->maps.member_cache));
  inode_owner_epoch_ = std::make_unique<InodeOwnerEpoch>(bpf_map__fd(skel_->maps.inode_owner_epoch));
  // Counts made now (a first start, or an agent that had none) start at 0
  // under keys a previous agent left: counted here, before any program of
  // this agent attaches. Adopted counts must already cover them.
  // An entry naming what the membership no longer holds would judge the
  // cgroup by it: only ever possible for a pin left by something other
  // than an agent that follows member_slots.h, and cleared here.
  if (size_t cleared = member_cache_->cache().keep_only(adopted))
    spdlog::warn("member_cache: cleared {} entries the membership does not hold", cleared);
  if (!slots_adopted) member_slots_->slots().raise_to(adopted);
  if (!superblock_slots_adopted) superblock_slots_->slots().raise_to(superblock_owners());
  if (slots_adopted || superblock_slots_adopted) check_member_slots();
}

void Enforcer::attach() {
  if (!options_.load_programs) throw EnforcerError("programs were not loaded (maps-only mode)");
  // Maps and programs are named before the hooks that guard them attach;
  // links as soon as they exist. A previous agent's ids are forgotten only
  // then, as its links enforce until these replace them.
  OwnObjects own = own_maps_and_programs();
  record_own_objects(own);
  std::vector<std::pair<bpf_program*, bpf_link*>> fresh;
  for (bpf_program* prog : enforcing_programs(*skel_)) {
    if (!bpf_program__autoload(prog)) continue;  // not loaded: nothing to attach
    bpf_link* link = bpf_program__attach_lsm(prog);
    if (!link) {
      int err = errno;
      for (const auto& [p, l] : fresh) bpf_link__destroy(l);
      throw KernelUnsupported(explain_load_failure(-err, fmt::format("attaching {} failed", bpf_program__name(prog))));
    }
    fresh.emplace_back(prog, link);
  }
  // Now both generations enforce; drop the old pins and pin the new links,
  // so enforcement has no gap while an agent restarts.
  pin_links(options_.pin_path, fresh);
  links_.clear();
  for (const auto& [prog, link] : fresh) links_.push_back(link);
  for (bpf_link* link : links_)
    if (uint32_t id = object_id(bpf_link__fd(link), bpf_link_info{})) own.emplace(SYVA_OBJECT_LINK, id);
  record_own_objects(own);
  for (const auto& key : map_keys<syva_object>(bpf_map__fd(skel_->maps.syva_objects)))
    if (!own.count({key.kind, key.id})) remove_entry(skel_->maps.syva_objects, key);
  // A previous agent's programs, attached until just now, could have
  // placed a cgroup after the counts were made and without counting it
  // (a version before member_slots).
  member_slots_->slots().raise_to(members());
  superblock_slots_->slots().raise_to(superblock_owners());
}

// syva_objects names what this agent owns, so that no zoned process gets a
// descriptor of one.
Enforcer::OwnObjects Enforcer::own_maps_and_programs() const {
  OwnObjects own;
  bpf_map* map;
  bpf_object__for_each_map(map, skel_->obj) {
    if (uint32_t id = object_id(bpf_map__fd(map), bpf_map_info{})) own.emplace(SYVA_OBJECT_MAP, id);
  }
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel_->obj) {
    if (uint32_t id = object_id(bpf_program__fd(prog), bpf_prog_info{})) own.emplace(SYVA_OBJECT_PROG, id);
  }
  return own;
}

void Enforcer::record_own_objects(const OwnObjects& own) {
  const uint8_t one = 1;
  for (const auto& [kind, id] : own) write_entry(skel_->maps.syva_objects, syva_object{kind, id}, one);
}

void Enforcer::record_left_out(const std::vector<ProgramLeftOut>& left_out) {
  std::string absent, refused, reason;
  for (const auto& p : left_out) {
    std::string& list = p.refused ? refused : absent;
    list += (list.empty() ? "" : " ") + p.program;
    if (p.refused && reason.empty()) reason = fmt::format("{}: {}", p.hook, p.reason);
    if (!p.refused) spdlog::info("hook {} is not in this kernel: program {} not loaded", p.hook, p.program);
  }
  left_out_ = left_out;
  update_state([&](syva_agent_state& s) {
    auto put = [](char(&field)[SYVA_POLICY_ERROR_LEN], const std::string& text) {
      std::memset(field, 0, sizeof(field));
      text.copy(field, sizeof(field) - 1);
    };
    put(s.programs_absent, absent);
    put(s.programs_refused, refused);
    put(s.refusal, reason);
  });
}

Enforcer::~Enforcer() {
  if (leave_pinned_) {
    for (auto* link : links_) bpf_link__destroy(link);  // the pinned links stay attached
    links_.clear();
  } else {
    unpin_all(skel_, options_.pin_path, links_);
  }
  if (skel_) syva_bpf__destroy(skel_);
}

std::map<uint32_t, std::string> Enforcer::zone_names() const {
  return read_zone_names(bpf_map__fd(skel_->maps.zone_names));
}

syva_agent_state Enforcer::state() const {
  return read_agent_state(bpf_map__fd(skel_->maps.agent_state)).value_or(syva_agent_state{});
}

void Enforcer::update_state(const std::function<void(syva_agent_state&)>& change) {
  std::lock_guard lock(state_mutex_);
  syva_agent_state s = state();
  change(s);
  const uint32_t key = 0;
  write_entry(skel_->maps.agent_state, key, s);
}

uint32_t Enforcer::zone_id(const std::string& name) const {
  std::lock_guard lock(zones_mutex_);
  for (size_t i = 0; i < zone_names_.size(); ++i)
    if (zone_names_[i] == name) return static_cast<uint32_t>(i + 1);
  return SYVA_ZONE_NONE;
}

uint32_t Enforcer::ensure_zone(const std::string& name) {
  if (uint32_t id = zone_id(name)) return id;
  std::lock_guard lock(zones_mutex_);
  auto slots = assign_zone_ids(zone_names_, {name}, {zone_names_.begin(), zone_names_.end()});
  if (slots.size() >= SYVA_FIRST_STATE_ZONE) {
    // Full: zones without a policy that nothing is in any more give their
    // ids back.
    std::set<std::string> keep = zones_in_use();
    for (uint32_t id = 1; id <= zone_names_.size(); ++id) {
      syva_zone_policy policy{};
      if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.zone_policy), &id, &policy) == 0 &&
          (policy.flags & SYVA_ZONE_F_DEFINED))
        keep.insert(zone_names_[id - 1]);
    }
    slots = assign_zone_ids(zone_names_, {name}, keep);
    if (slots.size() >= SYVA_FIRST_STATE_ZONE)
      throw EnforcerError(fmt::format("zone table full ({} zones in use)", SYVA_FIRST_STATE_ZONE - 1));
    for (uint32_t id = 1; id <= zone_names_.size(); ++id)
      if (!zone_names_[id - 1].empty() && (id > slots.size() || slots[id - 1] != zone_names_[id - 1])) {
        write_entry(skel_->maps.zone_names, id, syva_zone_name{});
        write_entry(skel_->maps.zone_policy, id, syva_zone_policy{});
      }
  }
  const uint32_t id = std::find(slots.begin(), slots.end(), name) - slots.begin() + 1;
  syva_zone_name v{};
  name.copy(v.name, sizeof(v.name) - 1);
  const syva_zone_policy undefined{};
  write_entry(skel_->maps.zone_policy, id, undefined);
  write_entry(skel_->maps.zone_names, id, v);
  zone_names_ = std::move(slots);
  if (name.starts_with(kIsolatedZonePrefix))
    spdlog::info("zone '{}' made as zone id {}: a container's own, with no allowed pairs", name, id);
  else
    spdlog::warn("zone '{}' has no policy file: created as zone id {} with no allowed pairs", name, id);
  return id;
}

namespace {

// A write to a map whose keys a slot array counts (zone_membership,
// superblock_zone), through the counting rules of MemberSlots.
void put_counted(const bpf_map* map, MemberSlots& slots, uint64_t key, uint32_t zone) {
  BpfMembershipMap counted(bpf_map__fd(map));
  if (int err = slots.put(counted, key, zone))
    throw EnforcerError(fmt::format("writing map {} failed: {}", bpf_map__name(map), strerror(err)));
}

void remove_counted(const bpf_map* map, MemberSlots& slots, uint64_t key) {
  BpfMembershipMap counted(bpf_map__fd(map));
  const int err = slots.remove(counted, key);
  if (err != 0 && err != ENOENT)
    throw EnforcerError(fmt::format("removing an entry from {} failed: {}", bpf_map__name(map), strerror(err)));
}

}  // namespace

void Enforcer::set_member(uint64_t cgroup_id, uint32_t zone) {
  std::lock_guard lock(membership_mutex_);
  member_cache_->cache().forget(cgroup_id);
  put_counted(skel_->maps.zone_membership, member_slots_->slots(), cgroup_id, zone);
  member_cache_->cache().remember(cgroup_id, zone);
}

void Enforcer::remove_member(uint64_t cgroup_id) {
  std::lock_guard lock(membership_mutex_);
  member_cache_->cache().forget(cgroup_id);
  remove_counted(skel_->maps.zone_membership, member_slots_->slots(), cgroup_id);
}

bool Enforcer::clear_pending(uint64_t cgroup_id) {
  uint32_t zone = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.zone_membership), &cgroup_id, &zone) != 0 ||
      zone != SYVA_ZONE_PENDING)
    return false;
  remove_member(cgroup_id);
  return true;
}

size_t Enforcer::check_member_slots() {
  const size_t members_raised = member_slots_->slots().repair([this] { return members(); });
  const size_t superblocks_raised = superblock_slots_->slots().repair([this] { return superblock_owners(); });
  const size_t raised = members_raised + superblocks_raised;
  if (members_raised)
    spdlog::error("member_slots counted fewer members than zone_membership holds in {} slot(s); raised them. Until "
                  "now, members in those slots may have gone unconfined: a writer of zone_membership does not "
                  "count its keys",
                  members_raised);
  if (superblocks_raised)
    spdlog::error("superblock_slots counted fewer filesystems than superblock_zone holds in {} slot(s); raised them. "
                  "Until now, files on them were taken as no zone's",
                  superblocks_raised);
  if (raised) {
    update_state([&](syva_agent_state& s) { s.member_slot_repairs += static_cast<uint32_t>(raised); });
  }
  return raised;
}

void Enforcer::set_guarded_roots(const std::vector<std::string>& names) {
  std::set<std::string> wanted(names.begin(), names.end());
  const uint8_t one = 1;
  for (const auto& name : wanted) {
    syva_cgroup_name key{};
    name.copy(key.name, sizeof(key.name) - 1);
    write_entry(skel_->maps.guarded_roots, key, one);
  }
  for (const auto& key : map_keys<syva_cgroup_name>(bpf_map__fd(skel_->maps.guarded_roots)))
    if (!wanted.count(std::string(key.name, strnlen(key.name, sizeof(key.name)))))
      remove_entry(skel_->maps.guarded_roots, key);
}

std::map<uint64_t, uint32_t> Enforcer::members() const {
  return read_zone_entries(bpf_map__fd(skel_->maps.zone_membership));
}

void Enforcer::set_superblock_owner(uint64_t dev, uint32_t zone) {
  put_counted(skel_->maps.superblock_zone, superblock_slots_->slots(), dev, zone);
  inode_owner_epoch_->advance();
}

void Enforcer::remove_superblock_owner(uint64_t dev) {
  remove_counted(skel_->maps.superblock_zone, superblock_slots_->slots(), dev);
  inode_owner_epoch_->advance();
}

void Enforcer::set_address_owner(const syva_address& address, uint32_t zone) {
  write_entry(skel_->maps.address_zone, address, zone);
}

void Enforcer::remove_address_owner(const syva_address& address) { remove_entry(skel_->maps.address_zone, address); }

std::vector<std::pair<syva_address, uint32_t>> Enforcer::address_owners() const {
  const int fd = bpf_map__fd(skel_->maps.address_zone);
  std::vector<std::pair<syva_address, uint32_t>> out;
  for (const auto& a : map_keys<syva_address>(fd)) {
    uint32_t zone = 0;
    // Gone since the keys were listed: not an entry any more.
    if (bpf_map_lookup_elem(fd, &a, &zone) == 0) out.emplace_back(a, zone);
  }
  return out;
}

void Enforcer::set_node_addresses(const std::vector<syva_address>& addresses) {
  const int fd = bpf_map__fd(skel_->maps.address_zone);
  auto key_of = [](const syva_address& a) { return std::string(reinterpret_cast<const char*>(a.addr), sizeof(a.addr)); };
  std::set<std::string> wanted;
  for (const auto& a : addresses) {
    wanted.insert(key_of(a));
    const uint32_t node = SYVA_ZONE_NONE;
    // BPF_NOEXIST: a pod's entry, written meanwhile or before, is never
    // overwritten.
    if (bpf_map_update_elem(fd, &a, &node, BPF_NOEXIST) != 0 && errno != EEXIST)
      throw EnforcerError(fmt::format("writing map address_zone failed: {}", strerror(errno)));
  }
  for (const auto& a : map_keys<syva_address>(fd)) {
    uint32_t id = 0;
    if (!wanted.count(key_of(a)) && bpf_map_lookup_elem(fd, &a, &id) == 0 && id == SYVA_ZONE_NONE)
      remove_entry(skel_->maps.address_zone, a);
  }
}

std::map<uint64_t, uint32_t> Enforcer::superblock_owners() const {
  return read_zone_entries(bpf_map__fd(skel_->maps.superblock_zone));
}

std::vector<syva_counters> Enforcer::counters() const { return read_counters(bpf_map__fd(skel_->maps.counters)); }

}  // namespace syva
