// SPDX-License-Identifier: Apache-2.0
#include "policy/policy_loader.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "policy/admission.h"
#include "policy/capabilities.h"
#include "policy/syscall_hooks.h"
#include "syva_abi.h"

namespace fs = std::filesystem;

namespace syva {

PolicyError::PolicyError(std::vector<std::string> problems)
    : std::runtime_error(fmt::format("invalid policy:\n  {}", fmt::join(problems, "\n  "))),
      problems_(std::move(problems)) {}

bool valid_zone_name(std::string_view name) {
  // A DNS label: it travels in Kubernetes annotations and log lines.
  if (name.empty() || name.size() > 63) return false;
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
  return std::all_of(name.begin(), name.end(), ok) && name.front() != '-' && name.back() != '-';
}

namespace {

// One file's reader: every accessor checks type and range and records a
// problem naming file, line, section and field instead of throwing.
class FileReader {
 public:
  FileReader(std::string path, std::vector<std::string>& problems) : path_(std::move(path)), problems_(problems) {}

  void problem(const toml::source_region& where, std::string_view section, std::string_view key,
               std::string_view what) {
    problems_.push_back(fmt::format("{}:{}: [{}] {}: {}", path_, where.begin.line, section, key, what));
  }

  // Rejects keys the schema does not know, so typos never pass as defaults.
  void only_keys(const toml::table& t, std::string_view section, std::initializer_list<std::string_view> known) {
    for (auto&& [key, node] : t) {
      if (std::find(known.begin(), known.end(), key.str()) == known.end())
        problem(key.source(), section, key.str(), fmt::format("unknown field (known: {})", fmt::join(known, ", ")));
    }
  }

  const toml::table* section(const toml::table& root, std::string_view name) {
    const toml::node* n = root.get(name);
    if (!n) return nullptr;
    if (!n->is_table()) {
      problem(n->source(), name, "", "must be a table");
      return nullptr;
    }
    return n->as_table();
  }

  std::vector<std::pair<std::string, toml::source_region>> strings(const toml::table& t, std::string_view sec,
                                                                   std::string_view key) {
    std::vector<std::pair<std::string, toml::source_region>> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    const toml::array* arr = n->as_array();
    if (!arr) {
      problem(n->source(), sec, key, "must be an array of strings");
      return out;
    }
    for (const toml::node& item : *arr) {
      if (auto s = item.value<std::string>())
        out.emplace_back(*s, item.source());
      else
        problem(item.source(), sec, key, "every element must be a string");
    }
    return out;
  }

  std::optional<int64_t> integer(const toml::table& t, std::string_view sec, std::string_view key, int64_t min,
                                 int64_t max) {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    auto v = n->as_integer();
    if (!v) {
      problem(n->source(), sec, key, "must be an integer");
      return std::nullopt;
    }
    if (v->get() < min || v->get() > max) {
      problem(n->source(), sec, key, fmt::format("{} is out of range {}..{}", v->get(), min, max));
      return std::nullopt;
    }
    return v->get();
  }

  std::optional<bool> boolean(const toml::table& t, std::string_view sec, std::string_view key) {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (auto v = n->as_boolean()) return v->get();
    problem(n->source(), sec, key, "must be true or false");
    return std::nullopt;
  }

  std::optional<std::pair<std::string, toml::source_region>> string(const toml::table& t, std::string_view sec,
                                                                    std::string_view key) {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    auto v = n->value<std::string>();
    if (!v || !n->is_string()) {
      problem(n->source(), sec, key, "must be a string");
      return std::nullopt;
    }
    return std::make_pair(*v, n->source());
  }

  std::vector<std::string> absolute_paths(const toml::table& t, std::string_view sec, std::string_view key) {
    std::vector<std::string> out;
    for (auto& [p, where] : strings(t, sec, key)) {
      if (p.empty() || p.front() != '/')
        problem(where, sec, key, fmt::format("'{}' must be an absolute path", p));
      else {
        std::string normal = fs::path(p).lexically_normal().string();
        if (normal.size() > 1 && normal.back() == '/') normal.pop_back();  // "/data/" is "/data"
        out.push_back(normal);
      }
    }
    return out;
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string>& problems_;
};

void read_zone(FileReader& r, const toml::table& t, ZonePolicy& z) {
  r.only_keys(t, "zone", {"mode", "namespaces", "containerd_namespaces"});
  if (auto mode = r.string(t, "zone", "mode")) {
    if (mode->first == "audit")
      z.audit = true;
    else if (mode->first != "enforce")
      r.problem(mode->second, "zone", "mode", fmt::format("'{}' is not one of enforce, audit", mode->first));
  }
  for (const char* key : {"namespaces", "containerd_namespaces"}) {
    auto& out = std::string_view(key) == "namespaces" ? z.namespaces : z.containerd_namespaces;
    for (auto& [pattern, where] : r.strings(t, "zone", key)) {
      if (valid_namespace_pattern(pattern))
        out.push_back(pattern);
      else
        r.problem(where, "zone", key,
                  fmt::format("'{}' is not a namespace or pattern (1-63 of a-z, 0-9, '-', '.', '_', '*', '?')",
                              pattern));
    }
  }
}

void read_capabilities(FileReader& r, const toml::table& t, ZonePolicy& z) {
  r.only_keys(t, "capabilities", {"allowed"});
  z.capabilities_given = true;
  for (auto& [name, where] : r.strings(t, "capabilities", "allowed")) {
    if (auto n = capability_number(name)) {
      z.capabilities_allowed |= uint64_t{1} << *n;
      z.capability_names.push_back(name);
    } else {
      r.problem(where, "capabilities", "allowed", fmt::format("unknown capability '{}'", name));
    }
  }
}

void read_resources(FileReader& r, const toml::table& t, ZonePolicy& z) {
  r.only_keys(t, "resources", {"cpu_shares", "memory_limit", "pids_max"});
  // Ranges are the kernel's: cgroup v1 cpu.shares 2..262144; memory in bytes,
  // at least one page; pids.max at least 1.
  if (auto v = r.integer(t, "resources", "cpu_shares", 2, 262144)) z.cpu_shares = *v;
  if (auto v = r.integer(t, "resources", "memory_limit", 4096, INT64_MAX)) z.memory_limit = *v;
  if (auto v = r.integer(t, "resources", "pids_max", 1, 4194304)) z.pids_max = *v;
}

void read_network(FileReader& r, const toml::table& t, ZonePolicy& z) {
  r.only_keys(t, "network", {"mode", "allowed_zones", "allowed_egress", "accept_from_node"});
  if (auto v = r.boolean(t, "network", "accept_from_node")) z.accept_from_node = *v;
  if (auto mode = r.string(t, "network", "mode")) {
    static const std::map<std::string, NetworkMode> modes = {
        {"isolated", NetworkMode::isolated}, {"bridged", NetworkMode::bridged}, {"host", NetworkMode::host}};
    if (auto it = modes.find(mode->first); it != modes.end())
      z.network_mode = it->second;
    else
      r.problem(mode->second, "network", "mode",
                fmt::format("'{}' is not one of isolated, bridged, host", mode->first));
  }
  for (auto& [zone, where] : r.strings(t, "network", "allowed_zones")) {
    if (!valid_zone_name(zone))
      r.problem(where, "network", "allowed_zones", fmt::format("'{}' is not a valid zone name", zone));
    else
      z.allowed_zones.push_back({zone, {r.path(), static_cast<int>(where.begin.line)}});
  }
  for (auto& [text, where] : r.strings(t, "network", "allowed_egress")) {
    std::string error;
    if (auto rule = parse_egress_rule(text, error))
      z.allowed_egress.push_back(*rule);
    else
      r.problem(where, "network", "allowed_egress", error);
  }
  if (const toml::node* n = t.get("allowed_egress")) {
    z.allowed_egress_pos = {r.path(), static_cast<int>(n->source().begin.line)};
    if (z.network_mode == NetworkMode::isolated && !z.allowed_egress.empty())
      r.problem(n->source(), "network", "allowed_egress",
                "the zone is isolated (mode = \"isolated\", the default) and so has no egress; set mode = "
                "\"bridged\" to allow these destinations");
  }
}

void read_filesystem(FileReader& r, const toml::table& t, ZonePolicy& z) {
  r.only_keys(t, "filesystem", {"writable_paths", "host_paths"});
  z.writable_paths = r.absolute_paths(t, "filesystem", "writable_paths");
  if (const toml::node* n = t.get("writable_paths")) {
    z.writable_given = true;
    if (z.writable_paths.size() > SYVA_WRITABLE_PATHS)
      r.problem(n->source(), "filesystem", "writable_paths",
                fmt::format("at most {} paths (this has {})", SYVA_WRITABLE_PATHS, z.writable_paths.size()));
    for (const auto& p : z.writable_paths)
      if (p.size() >= SYVA_WRITABLE_PATH_LEN)
        r.problem(n->source(), "filesystem", "writable_paths",
                  fmt::format("'{}' is longer than {} characters", p, SYVA_WRITABLE_PATH_LEN - 1));
  }
  z.host_paths = r.absolute_paths(t, "filesystem", "host_paths");
  if (const toml::node* n = t.get("host_paths"))
    z.host_paths_pos = {r.path(), static_cast<int>(n->source().begin.line)};
}

void read_syscalls(FileReader& r, const toml::table& t, ZonePolicy& z) {
  r.only_keys(t, "syscalls", {"deny"});
  for (auto& [name, where] : r.strings(t, "syscalls", "deny")) {
    if (find_syscall(name)) {
      z.syscalls_deny.push_back(name);
    } else {
      std::vector<std::string_view> names;
      for (const auto& s : supported_syscalls()) names.push_back(s.syscall);
      r.problem(
          where, "syscalls", "deny",
          fmt::format("'{}' has no LSM hook Syva can deny it with (supported: {})", name, fmt::join(names, ", ")));
    }
  }
}

}  // namespace

ZonePolicy parse_zone_policy(const std::string& path, std::vector<std::string>& problems) {
  ZonePolicy z;
  z.file = path;
  z.name = fs::path(path).stem().string();
  if (!valid_zone_name(z.name))
    problems.push_back(
        fmt::format("{}: zone name '{}' (the file name) must be 1-63 of a-z, 0-9, '-', not starting or ending with '-'",
                    path, z.name));
  else if (reserved_zone_name(z.name))
    problems.push_back(fmt::format("{}: zone name '{}' (the file name) is reserved: '{}', '{}' and '{}*' are the "
                                   "agent's own",
                                   path, z.name, kPendingZoneName, kQuarantineZoneName, kIsolatedZonePrefix));

  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    problems.push_back(fmt::format("{}:{}: TOML syntax: {}", path, e.source().begin.line, e.description()));
    return z;
  }

  FileReader r(path, problems);
  for (auto&& [key, node] : root) {
    static const std::initializer_list<std::string_view> sections = {"zone",    "capabilities", "resources",
                                                                     "network", "filesystem",   "syscalls"};
    if (std::find(sections.begin(), sections.end(), key.str()) == sections.end())
      problems.push_back(fmt::format("{}:{}: [{}]: unknown section (known: {})", path, key.source().begin.line,
                                     key.str(), fmt::join(sections, ", ")));
  }
  if (auto t = r.section(root, "zone")) read_zone(r, *t, z);
  if (auto t = r.section(root, "capabilities")) read_capabilities(r, *t, z);
  if (auto t = r.section(root, "resources")) read_resources(r, *t, z);
  if (auto t = r.section(root, "network")) read_network(r, *t, z);
  if (auto t = r.section(root, "filesystem")) read_filesystem(r, *t, z);
  if (auto t = r.section(root, "syscalls")) read_syscalls(r, *t, z);
  return z;
}

std::vector<ZonePolicy> load_policy_dir(const std::string& dir) {
  std::vector<std::string> problems;
  std::vector<ZonePolicy> zones;

  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw PolicyError({fmt::format("{}: not a directory", dir)});

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    // Kubernetes ConfigMap volumes hold `..data` and timestamped dirs: skip dot entries.
    if (name.starts_with(".") || entry.path().extension() != ".toml") continue;
    if (!fs::is_regular_file(entry.path(), ec)) continue;  // follows the ConfigMap symlinks
    files.push_back(entry.path());
  }
  if (ec) throw PolicyError({fmt::format("{}: cannot read directory: {}", dir, ec.message())});
  if (files.empty()) throw PolicyError({fmt::format("{}: no zone policies (*.toml) found", dir)});

  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.stem().string() < b.stem().string(); });
  for (const auto& f : files) zones.push_back(parse_zone_policy(f.string(), problems));

  std::set<std::string> names;
  for (const auto& z : zones) names.insert(z.name);
  for (const auto& z : zones)
    for (const auto& ref : z.allowed_zones)
      if (!names.count(ref.zone))
        problems.push_back(fmt::format("{}:{}: [network] allowed_zones: zone '{}' has no policy file in {}",
                                       ref.pos.file, ref.pos.line, ref.zone, dir));

  if (!problems.empty()) throw PolicyError(std::move(problems));
  return zones;
}

}  // namespace syva
