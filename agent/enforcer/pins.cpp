// SPDX-License-Identifier: Apache-2.0
#include "enforcer/pins.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "enforcer/errors.h"
#include "syva.skel.h"

namespace fs = std::filesystem;

namespace syva {

namespace {

constexpr const char* kLinksDir = "links";

std::string links_dir(const std::string& pin_path) { return pin_path + "/" + kLinksDir; }

void remove_incompatible_pins(syva_bpf& skel) {
  bpf_map* map;
  bpf_object__for_each_map(map, skel.obj) {
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

void remove_retired_pins(const std::string& dir, const std::set<std::string>& current) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename();
    if (current.count(name)) continue;
    spdlog::warn("removing stale pin {}: this syva does not pin it", entry.path().string());
    fs::remove(entry.path(), ec);
  }
}

}  // namespace

std::vector<bpf_program*> enforcing_programs(const syva_bpf& skel) {
  std::vector<bpf_program*> out;
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel.obj) {
    if (prog != skel.progs.syva_selftest_probe) out.push_back(prog);
  }
  return out;
}

const std::vector<std::string>& enforcing_program_names() {
  static const std::vector<std::string> names = [] {
    syva_bpf* skel = syva_bpf__open();
    if (!skel) throw EnforcerError(fmt::format("parsing the built-in BPF object failed: {}", strerror(errno)));
    std::vector<std::string> out;
    for (bpf_program* prog : enforcing_programs(*skel)) out.emplace_back(bpf_program__name(prog));
    syva_bpf__destroy(skel);
    return out;
  }();
  return names;
}

void prepare_map_pins(syva_bpf& skel, const std::string& pin_path) {
  std::set<std::string> pinned = {kLinksDir};
  bpf_map* map;
  bpf_object__for_each_map(map, skel.obj) {
    if (bpf_map__is_internal(map)) continue;
    bpf_map__set_pin_path(map, (fs::path(pin_path) / bpf_map__name(map)).c_str());
    pinned.insert(bpf_map__name(map));
  }
  remove_incompatible_pins(skel);
  remove_retired_pins(pin_path, pinned);
}

void pin_links(const std::string& pin_path, const std::vector<std::pair<bpf_program*, bpf_link*>>& links) {
  const std::string dir = links_dir(pin_path);
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::set<std::string> pinned;
  for (const auto& [prog, link] : links) {
    const std::string path = dir + "/" + bpf_program__name(prog);
    unlink(path.c_str());
    if (bpf_link__pin(link, path.c_str()) != 0)
      spdlog::warn("pinning link {} failed: {}; enforcement will stop if the agent dies", path, strerror(errno));
    pinned.insert(bpf_program__name(prog));
  }
  remove_retired_pins(dir, pinned);
}

void unpin_all(syva_bpf* skel, const std::string& pin_path, std::vector<bpf_link*>& links) {
  for (auto* link : links) {
    bpf_link__unpin(link);
    bpf_link__destroy(link);
  }
  links.clear();
  const std::string dir = links_dir(pin_path);
  std::error_code ec;
  if (skel) {
    for (bpf_program* prog : enforcing_programs(*skel)) fs::remove(dir + "/" + bpf_program__name(prog), ec);
    bpf_map* map;
    bpf_object__for_each_map(map, skel->obj) {
      if (bpf_map__is_pinned(map)) bpf_map__unpin(map, nullptr);
    }
  }
  fs::remove(dir, ec);
  fs::remove(pin_path, ec);
}

}  // namespace syva
