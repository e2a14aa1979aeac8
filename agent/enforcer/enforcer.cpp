#include "enforcer/enforcer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "enforcer/kernel_support.h"
#include "enforcer/pin_lock.h"
#include "enforcer/zone_slots.h"
#include "syva.skel.h"

namespace fs = std::filesystem;

namespace syva {

namespace {

constexpr long kBpfFsMagic = 0xcafe4a11;

// libbpf explains load failures on its print callback; keep its warnings to
// quote the relevant one in our own error instead of flooding the log.
std::mutex g_libbpf_mutex;
std::vector<std::string> g_libbpf_warnings;

int libbpf_to_spdlog(enum libbpf_print_level level, const char* format, va_list args) {
  // Verifier logs come as one long message: size the buffer to it.
  va_list measure;
  va_copy(measure, args);
  const int size = vsnprintf(nullptr, 0, format, measure);
  va_end(measure);
  std::string line(size > 0 ? size : 0, '\0');
  vsnprintf(line.data(), line.size() + 1, format, args);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (line.starts_with("libbpf: ")) line.erase(0, 8);
  if (level == LIBBPF_WARN) {
    std::lock_guard lock(g_libbpf_mutex);
    g_libbpf_warnings.push_back(line);
  }
  spdlog::debug("libbpf: {}", line);
  return 0;
}

std::string libbpf_failure_detail() {
  std::lock_guard lock(g_libbpf_mutex);
  for (const auto& w : g_libbpf_warnings)
    if (w.find("failed") != std::string::npos) return w;
  return g_libbpf_warnings.empty() ? "" : g_libbpf_warnings.back();
}

std::string errstr(int err) { return strerror(err < 0 ? -err : err); }

template <typename K, typename V>
void update(int fd, const K& key, const V& value, const char* map) {
  if (bpf_map_update_elem(fd, &key, &value, BPF_ANY) != 0)
    throw EnforcerError(fmt::format("writing map {} failed: {}", map, strerror(errno)));
}

template <typename K>
std::vector<K> keys_of(int fd) {
  std::vector<K> keys;
  K key{}, next{};
  const K* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    keys.push_back(next);
    key = next;
    prev = &key;
  }
  return keys;
}

std::map<uint64_t, uint32_t> zone_entries(int fd) {
  std::map<uint64_t, uint32_t> out;
  for (uint64_t key : keys_of<uint64_t>(fd)) {
    uint32_t zone = 0;
    if (bpf_map_lookup_elem(fd, &key, &zone) == 0) out[key] = zone;
  }
  return out;
}

void remove_entry(int fd, uint64_t key, const char* map) {
  if (bpf_map_delete_elem(fd, &key) != 0 && errno != ENOENT)
    throw EnforcerError(fmt::format("removing {} from {} failed: {}", key, map, strerror(errno)));
}

std::string links_dir(const std::string& pin) { return pin + "/links"; }

bool is_bpffs(const fs::path& dir) {
  struct statfs sfs {};
  return statfs(dir.c_str(), &sfs) == 0 && static_cast<long>(sfs.f_type) == kBpfFsMagic;
}

// Pins need a BPF filesystem. Hosts that never mounted the conventional one
// get it mounted, as systemd would; any other place must be prepared by the
// operator.
void ensure_bpffs(const fs::path& dir) {
  if (is_bpffs(dir)) return;
  if (dir == "/sys/fs/bpf" && mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") == 0) {
    spdlog::info("mounted a BPF filesystem at /sys/fs/bpf");
    return;
  }
  throw EnforcerError(fmt::format("{} is not a BPF filesystem (mount -t bpf bpf {})", dir.string(), dir.string()));
}

}  // namespace

const std::vector<std::string>& Enforcer::enforcing_programs() {
  static const std::vector<std::string> names = {
      "syva_file_open",      "syva_bprm_check",          "syva_mmap_file",        "syva_ptrace_access_check",
      "syva_task_kill",      "syva_unix_stream_connect", "syva_unix_may_send",    "syva_capable",
      "syva_sb_mount",       "syva_sb_umount",           "syva_sb_pivotroot",     "syva_move_mount",
      "syva_path_chroot",    "syva_bpf",                 "syva_perf_event_open",  "syva_kernel_load_data",
      "syva_kernel_read_file", "syva_file_receive", "syva_bprm_committed_creds", "syva_task_alloc",
      "syva_socket_connect", "syva_socket_sendmsg", "syva_file_set_fowner", "syva_file_send_sigiotask"};
  return names;
}

Enforcer::Enforcer(EnforcerOptions options) : options_(std::move(options)) {
  libbpf_set_print(libbpf_to_spdlog);
  {
    std::lock_guard lock(g_libbpf_mutex);
    g_libbpf_warnings.clear();
  }

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
  skel_ = syva_bpf__open();
  if (!skel_) throw EnforcerError(fmt::format("opening the BPF object failed: {}", errstr(errno)));

  bpf_map* map;
  bpf_object__for_each_map(map, skel_->obj) {
    if (bpf_map__is_internal(map)) continue;
    bpf_map__set_pin_path(map, (fs::path(options_.pin_path) / bpf_map__name(map)).c_str());
  }
  remove_incompatible_pins();
  std::set<std::string> pinned_maps = {"links"};
  bpf_object__for_each_map(map, skel_->obj) {
    if (!bpf_map__is_internal(map)) pinned_maps.insert(bpf_map__name(map));
  }
  remove_retired_pins(options_.pin_path, pinned_maps);

  if (!options_.load_programs) {
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel_->obj) bpf_program__set_autoload(prog, false);
  }
  if (int err = syva_bpf__load(skel_); err != 0)
    throw KernelUnsupported(explain_load_failure(err, libbpf_failure_detail()));

  for (const auto& [id, name] : zone_names()) {
    zone_names_.resize(id);
    zone_names_[id - 1] = name;
  }
  const auto adopted = members();
  if (!adopted.empty() || !zone_names_.empty())
    spdlog::info("re-adopted pinned state at {}: {} zones, {} members", options_.pin_path, zone_names().size(),
                 adopted.size());
}

// libbpf refuses to reuse a pin whose definition changed (an upgrade);
// such a pin is ours and stale, so it goes.
void Enforcer::remove_incompatible_pins() {
  bpf_map* map;
  bpf_object__for_each_map(map, skel_->obj) {
    const char* path = bpf_map__pin_path(map);
    if (!path || access(path, F_OK) != 0) continue;
    int fd = bpf_obj_get(path);
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    bool ok = fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == bpf_map__type(map) &&
              info.key_size == bpf_map__key_size(map) && info.value_size == bpf_map__value_size(map) &&
              info.max_entries == bpf_map__max_entries(map) && info.map_flags == bpf_map__map_flags(map);
    if (fd >= 0) close(fd);
    if (!ok) {
      spdlog::warn("removing stale pin {}: its layout differs from this syva's", path);
      unlink(path);
    }
  }
}

// The pin directory is Syva's alone: a name this syva does not pin was left
// by another version (a renamed map, a retired hook). A retired hook's link
// pin would keep its program attached, judging with maps no agent updates.
void Enforcer::remove_retired_pins(const std::string& dir, const std::set<std::string>& current) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename();
    if (current.count(name)) continue;
    spdlog::warn("removing stale pin {}: this syva does not pin it", entry.path().string());
    fs::remove(entry.path(), ec);
  }
}

void Enforcer::attach() {
  if (!options_.load_programs) throw EnforcerError("programs were not loaded (maps-only mode)");
  std::error_code ec;
  fs::create_directories(links_dir(options_.pin_path), ec);
  std::vector<bpf_link*> fresh;
  for (const auto& name : enforcing_programs()) {
    bpf_program* prog = bpf_object__find_program_by_name(skel_->obj, name.c_str());
    bpf_link* link = prog ? bpf_program__attach_lsm(prog) : nullptr;
    if (!link) {
      int err = errno;
      for (auto* l : fresh) bpf_link__destroy(l);
      throw KernelUnsupported(explain_load_failure(-err, fmt::format("attaching {} failed", name)));
    }
    fresh.push_back(link);
  }
  // Now both generations enforce; drop the old pins and pin the new links,
  // so enforcement has no gap while an agent restarts.
  for (size_t i = 0; i < fresh.size(); ++i) {
    const std::string path = links_dir(options_.pin_path) + "/" + enforcing_programs()[i];
    unlink(path.c_str());
    if (bpf_link__pin(fresh[i], path.c_str()) != 0)
      spdlog::warn("pinning link {} failed: {}; enforcement will stop if the agent dies", path, errstr(errno));
  }
  links_ = std::move(fresh);
  remove_retired_pins(links_dir(options_.pin_path),
                      std::set<std::string>(enforcing_programs().begin(), enforcing_programs().end()));
}

void Enforcer::unpin_all() {
  for (auto* link : links_) {
    bpf_link__unpin(link);
    bpf_link__destroy(link);
  }
  links_.clear();
  std::error_code ec;
  for (const auto& name : enforcing_programs()) fs::remove(links_dir(options_.pin_path) + "/" + name, ec);
  fs::remove(links_dir(options_.pin_path), ec);
  if (skel_) {
    bpf_map* map;
    bpf_object__for_each_map(map, skel_->obj) {
      if (bpf_map__is_pinned(map)) bpf_map__unpin(map, nullptr);
    }
  }
  fs::remove(options_.pin_path, ec);
}

Enforcer::~Enforcer() {
  if (leave_pinned_) {
    for (auto* link : links_) bpf_link__destroy(link);  // the pinned links stay attached
    links_.clear();
  } else {
    unpin_all();
  }
  if (skel_) syva_bpf__destroy(skel_);
}

int Enforcer::map_fd(const char* name) const {
  bpf_map* map = bpf_object__find_map_by_name(skel_->obj, name);
  if (!map) throw EnforcerError(fmt::format("no map named {}", name));
  return bpf_map__fd(map);
}

std::map<uint32_t, std::string> read_zone_names(int fd) {
  std::map<uint32_t, std::string> out;
  for (uint32_t id = 1; id < SYVA_MAX_ZONES; ++id) {
    syva_zone_name v{};
    if (bpf_map_lookup_elem(fd, &id, &v) == 0 && v.name[0] != '\0')
      out[id] = std::string(v.name, strnlen(v.name, sizeof(v.name)));
  }
  return out;
}

std::map<uint32_t, std::string> Enforcer::zone_names() const { return read_zone_names(map_fd("zone_names")); }

syva_agent_state Enforcer::state() const {
  syva_agent_state s{};
  const uint32_t key = 0;
  bpf_map_lookup_elem(map_fd("agent_state"), &key, &s);
  return s;
}

void Enforcer::update_state(const std::function<void(syva_agent_state&)>& change) {
  std::lock_guard lock(state_mutex_);
  syva_agent_state s = state();
  change(s);
  const uint32_t key = 0;
  update(map_fd("agent_state"), key, s, "agent_state");
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
  if (slots.size() >= SYVA_MAX_ZONES) throw EnforcerError("zone table full");
  const uint32_t id = std::find(slots.begin(), slots.end(), name) - slots.begin() + 1;
  syva_zone_name v{};
  name.copy(v.name, sizeof(v.name) - 1);
  const syva_zone_policy undefined{};
  update(map_fd("zone_policy"), id, undefined, "zone_policy");
  update(map_fd("zone_names"), id, v, "zone_names");
  zone_names_ = std::move(slots);
  spdlog::warn("zone '{}' has no policy file: created as zone id {} with no allowed pairs", name, id);
  return id;
}

std::set<std::string> Enforcer::zones_in_use() const {
  std::set<std::string> out;
  for (const char* map : {"zone_membership", "superblock_zone"})
    for (const auto& [key, id] : zone_entries(map_fd(map)))
      if (id >= 1 && id <= zone_names_.size()) out.insert(zone_names_[id - 1]);
  return out;
}

void Enforcer::apply_policy(const CompiledPolicy& compiled) {
  std::lock_guard lock(zones_mutex_);
  const auto slots = assign_zone_ids(zone_names_, compiled.zone_names, zones_in_use());
  if (slots.size() >= SYVA_MAX_ZONES) throw EnforcerError("zone table full");
  // compiled id -> kernel id
  std::vector<uint32_t> kid(compiled.zone_names.size() + 1, SYVA_ZONE_NONE);
  for (size_t i = 0; i < compiled.zone_names.size(); ++i)
    kid[i + 1] = std::find(slots.begin(), slots.end(), compiled.zone_names[i]) - slots.begin() + 1;

  std::set<std::pair<uint32_t, uint32_t>> pairs;
  for (const auto& p : compiled.pairs) pairs.emplace(kid[p.a], kid[p.b]);
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> inodes;
  for (const auto& [key, zone] : compiled.inodes) inodes[{key.dev, key.ino}] = kid[zone];

  const int policy_fd = map_fd("zone_policy"), names_fd = map_fd("zone_names");
  const int pairs_fd = map_fd("zone_allowed_comms"), inodes_fd = map_fd("inode_zone");

  // 1. Narrow: pairs no longer allowed go before anything else changes.
  for (const auto& key : keys_of<syva_zone_pair>(pairs_fd))
    if (!pairs.count({key.a, key.b})) bpf_map_delete_elem(pairs_fd, &key);

  // Writable paths go in before the zone flags that turn them on, and stale
  // ones only after: no moment in which a zone's writes are all refused.
  const int writable_fd = map_fd("writable_paths");
  std::set<uint32_t> writable_zones;
  for (const auto& [zone, paths] : compiled.writable) {
    writable_zones.insert(kid[zone]);
    update(writable_fd, kid[zone], paths, "writable_paths");
  }

  // 2. Zones: the policy's, the undefined ones still in use, freed ids.
  const size_t ids = std::max(slots.size(), zone_names_.size());
  for (uint32_t id = 1; id <= ids; ++id) {
    const std::string name = id <= slots.size() ? slots[id - 1] : "";
    const std::string was = id <= zone_names_.size() ? zone_names_[id - 1] : "";
    const uint32_t at = compiled.id_of(name);
    const syva_zone_policy value = at != SYVA_ZONE_NONE ? compiled.zone_values[at - 1] : syva_zone_policy{};
    syva_zone_name v{};
    name.copy(v.name, sizeof(v.name) - 1);
    update(policy_fd, id, value, "zone_policy");
    update(names_fd, id, v, "zone_names");
    if (!name.empty() && at == SYVA_ZONE_NONE && name == was)
      spdlog::warn("zone '{}' (id {}) has no policy file; the containers in it stay there, isolated", name, id);
  }

  for (uint32_t zone : keys_of<uint32_t>(writable_fd))
    if (!writable_zones.count(zone)) bpf_map_delete_elem(writable_fd, &zone);

  // 3. Owned files: new owners are written before old ones are removed.
  for (const auto& [key, zone] : inodes) update(inodes_fd, syva_inode_key{key.first, key.second}, zone, "inode_zone");
  for (const auto& key : keys_of<syva_inode_key>(inodes_fd))
    if (!inodes.count({key.dev, key.ino})) bpf_map_delete_elem(inodes_fd, &key);

  // Egress: destinations no longer allowed go first, then the new table.
  const int egress_fd = map_fd("egress_rules");
  std::vector<syva_egress_key> egress_keys;
  for (auto [key, value] : compiled.egress) {
    key.zone = kid[key.zone];
    egress_keys.push_back(key);
  }
  auto same_key = [](const syva_egress_key& a, const syva_egress_key& b) { return memcmp(&a, &b, sizeof(a)) == 0; };
  for (const auto& key : keys_of<syva_egress_key>(egress_fd))
    if (std::none_of(egress_keys.begin(), egress_keys.end(), [&](const auto& k) { return same_key(k, key); }))
      bpf_map_delete_elem(egress_fd, &key);
  for (size_t i = 0; i < egress_keys.size(); ++i)
    update(egress_fd, egress_keys[i], compiled.egress[i].second, "egress_rules");

  // 4. Widen last: newly allowed pairs.
  const uint8_t one = 1;
  for (const auto& [a, b] : pairs) update(pairs_fd, syva_zone_pair{a, b}, one, "zone_allowed_comms");

  zone_names_ = slots;
}

void Enforcer::set_member(uint64_t cgroup_id, uint32_t zone) {
  update(map_fd("zone_membership"), cgroup_id, zone, "zone_membership");
}

void Enforcer::remove_member(uint64_t cgroup_id) { remove_entry(map_fd("zone_membership"), cgroup_id, "zone_membership"); }

std::map<uint64_t, uint32_t> Enforcer::members() const { return zone_entries(map_fd("zone_membership")); }

void Enforcer::set_superblock_owner(uint64_t dev, uint32_t zone) {
  update(map_fd("superblock_zone"), dev, zone, "superblock_zone");
}

void Enforcer::remove_superblock_owner(uint64_t dev) { remove_entry(map_fd("superblock_zone"), dev, "superblock_zone"); }

std::map<uint64_t, uint32_t> Enforcer::superblock_owners() const { return zone_entries(map_fd("superblock_zone")); }

std::vector<syva_counters> read_counters(int counters_fd) {
  const int ncpus = libbpf_num_possible_cpus();
  std::vector<syva_counters> out(SYVA_HOOK_COUNT);
  std::vector<syva_counters> per_cpu(ncpus > 0 ? ncpus : 1);
  for (uint32_t hook = 0; hook < SYVA_HOOK_COUNT; ++hook) {
    if (bpf_map_lookup_elem(counters_fd, &hook, per_cpu.data()) != 0) continue;
    for (const auto& c : per_cpu) {
      out[hook].allow += c.allow;
      out[hook].deny += c.deny;
      out[hook].error += c.error;
      out[hook].dropped += c.dropped;
      out[hook].audit += c.audit;
    }
  }
  return out;
}

std::vector<syva_counters> Enforcer::counters() const { return read_counters(map_fd("counters")); }

}  // namespace syva
