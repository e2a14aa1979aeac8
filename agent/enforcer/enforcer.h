// SPDX-License-Identifier: Apache-2.0
// The one owner of Syva's kernel state: loads the BPF-LSM programs, pins
// maps and links under the pin path, attaches, and is the only writer of
// the maps. Everything else asks it. What outlives the agent is in pins.h;
// how a new policy reaches the maps, in policy_apply.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "enforcer/errors.h"
#include "enforcer/program_load.h"
#include "policy/compiled_policy.h"
#include "syva_abi.h"

struct syva_bpf;
struct bpf_link;

namespace syva {

class PinLock;
class InodeOwnerEpoch;
class MappedMemberSlots;

struct EnforcerOptions {
  std::string pin_path = "/sys/fs/bpf/syva";
  // false: create and pin the maps only (no programs loaded or attached), for
  // kernels that refuse BPF-LSM but where the map logic is still tested.
  bool load_programs = true;
};

class Enforcer {
 public:
  // Takes the pin lock, re-adopts compatible pins a previous agent left,
  // removes incompatible ones, loads, pins maps. Programs are not attached
  // yet: the self-test comes first.
  explicit Enforcer(EnforcerOptions options);
  // Detaches and removes every pin this agent owns, unless leave_pinned().
  ~Enforcer();
  // On the way out, keep programs attached and maps pinned, as a crash
  // would: the next agent adopts them with no gap (rolling updates).
  void leave_pinned() { leave_pinned_ = true; }
  Enforcer(const Enforcer&) = delete;
  Enforcer& operator=(const Enforcer&) = delete;

  // Attaches the enforcing programs that were loaded and pins their links,
  // replacing links a crashed agent left (the new ones attach before the old
  // ones go).
  void attach();
  bool attached() const { return !links_.empty(); }
  size_t attached_programs() const { return links_.size(); }
  // The programs this kernel could not take (see program_load.h).
  const std::vector<ProgramLeftOut>& programs_left_out() const { return left_out_; }

  // Moves the kernel to a whole validated policy, safe while enforcing:
  // zones keep their ids (new zones take free ones), so no member or owned
  // filesystem changes zone; pairs the policy no longer allows go first and
  // new pairs come last, so no moment allows a pair that is forbidden before
  // and after. A zone the policy drops while containers are still in it
  // stays, isolated (no allowed pairs), until they are gone. The order of
  // the writes that makes this so is explained in policy_apply.cpp.
  // All or nothing: a policy the maps cannot hold is refused before any
  // write, and a write that fails puts the previous policy back; both throw
  // PolicyNotApplied. EnforcerError: the previous one could not be put back.
  void apply_policy(const CompiledPolicy& policy);

  // Both keep member_slots (member_slots.h) counting at least every key.
  void set_member(uint64_t cgroup_id, uint32_t zone);
  void remove_member(uint64_t cgroup_id);
  // Raises every member_slots (and superblock_slots) count found below the
  // keys in its slot, which no writer that follows member_slots.h can
  // cause: logged as an error and added to agent_state.member_slot_repairs
  // (status degraded). Returns how many slots it raised.
  size_t check_member_slots();
  // Removes the entry only while it is PENDING; true if it was.
  bool clear_pending(uint64_t cgroup_id);
  // Top-level cgroups (names in the cgroup2 root) under which the kernel
  // marks every new cgroup PENDING; replaces the previous set.
  void set_guarded_roots(const std::vector<std::string>& names);
  std::map<uint64_t, uint32_t> members() const;

  // A filesystem owned whole by a zone (a container's overlay rootfs), by
  // its superblock's device in the kernel's encoding.
  void set_superblock_owner(uint64_t dev, uint32_t zone);
  void remove_superblock_owner(uint64_t dev);
  std::map<uint64_t, uint32_t> superblock_owners() const;

  // A file owned by `zone` the way the kernel owns a file made in an owned
  // directory (SYVA_INODE_INHERITED): a container's writable layer on the
  // node. Never replaces another owner's entry (a policy's host_paths,
  // another zone): false then. Throws EnforcerError when a write fails.
  bool claim_inode(const syva_inode_key& key, uint32_t zone);
  // Removes the entry if it is still `zone`'s inherited one.
  void release_inode(const syva_inode_key& key, uint32_t zone);

  // A zoned pod's (or container's) IP address (IPv4 as ::ffff:a.b.c.d):
  // traffic of other zones to it needs an allowed pair.
  void set_address_owner(const syva_address& address, uint32_t zone);
  void remove_address_owner(const syva_address& address);
  // Every entry of address_zone, the node's included.
  std::vector<std::pair<syva_address, uint32_t>> address_owners() const;
  // The node's own addresses (entries of SYVA_ZONE_NONE), replacing the
  // previous set; an address a zone's pod holds stays the pod's.
  void set_node_addresses(const std::vector<syva_address>& addresses);

  // Zone names as written in the zone_names map (id -> name).
  std::map<uint32_t, std::string> zone_names() const;
  // What `syva status` reads besides the maps the programs use.
  syva_agent_state state() const;
  // Read-modify-write of agent_state; the main thread and the watcher both
  // report into it.
  void update_state(const std::function<void(syva_agent_state&)>& change);
  uint32_t zone_id(const std::string& name) const;  // 0 if unknown
  // The id of `name`, creating a zone with no policy file (and so no allowed
  // pairs) when the policy does not define it (a container's zone of its own
  // under --unzoned isolate). Such zones survive policy changes while
  // anything is in them; when the table is full, those nothing refers to
  // any more are freed. Throws EnforcerError when it is still full.
  uint32_t ensure_zone(const std::string& name);

  // Sum over CPUs, per hook.
  std::vector<syva_counters> counters() const;

  const std::string& pin_path() const { return options_.pin_path; }
  // The maps and programs under the skeleton's names, which the compiler
  // checks.
  syva_bpf* skeleton() const { return skel_; }

 private:
  void open_and_load();
  void record_left_out(const std::vector<ProgramLeftOut>& left_out);
  // (kind, id) of the BPF objects this agent owns (enum syva_object_kind).
  using OwnObjects = std::set<std::pair<uint32_t, uint32_t>>;
  OwnObjects own_maps_and_programs() const;
  void record_own_objects(const OwnObjects& own);
  // Names of the zones that members, owned filesystems or pod addresses
  // refer to.
  std::set<std::string> zones_in_use() const;
  void write_state_zones();
  // The writes of apply_policy, from the zone table `was_slots` to `slots`.
  void write_policy(const CompiledPolicy& compiled, const std::vector<std::string>& slots,
                    const std::vector<std::string>& was_slots);

  EnforcerOptions options_;
  std::unique_ptr<PinLock> lock_;
  syva_bpf* skel_ = nullptr;
  std::vector<bpf_link*> links_;
  std::unique_ptr<MappedMemberSlots> member_slots_;
  std::unique_ptr<MappedMemberSlots> superblock_slots_;
  std::unique_ptr<MappedMemberSlots> member_cache_;
  // Advanced after every write to inode_zone or superblock_zone.
  std::unique_ptr<InodeOwnerEpoch> inode_owner_epoch_;
  // member_cache's order (forget, write, remember) holds only with one
  // writer at a time.
  std::mutex membership_mutex_;
  std::vector<ProgramLeftOut> left_out_;
  bool leave_pinned_ = false;
  // [id - 1]; "" for a free id. Guarded by zones_mutex_: the watcher makes
  // zones (ensure_zone) while the main thread may apply a new policy.
  std::vector<std::string> zone_names_;
  // What apply_policy last wrote whole, to write back when a change fails.
  std::optional<CompiledPolicy> applied_;
  mutable std::mutex zones_mutex_;
  std::mutex state_mutex_;
};

}  // namespace syva
