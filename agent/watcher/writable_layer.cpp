// SPDX-License-Identifier: Apache-2.0
#include "watcher/writable_layer.h"

#include <fts.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "enforcer/kernel_ids.h"
#include "events/log_escape.h"
#include "watcher/mountinfo.h"

namespace syva {

namespace {

// A whole /proc file; nullopt when it cannot be read (errno says why).
std::optional<std::string> read_proc(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

// The parent pid from /proc/PID/stat; 0 when it cannot be read. The command
// name may hold spaces and parentheses: the fields start after the last ')'.
pid_t parent_of(pid_t pid) {
  const auto text = read_proc(fmt::format("/proc/{}/stat", pid));
  if (!text) return 0;
  const std::string& stat = *text;
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  int ppid = 0;
  char state = 0;
  if (sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2) return 0;
  return ppid;
}

// What a walk of one directory tree did.
struct Walk {
  size_t inodes = 0;
  size_t foreign = 0;      // entries another owner holds, left as they are
  std::string unreadable;  // the first path that could not be read, and why
  bool truncated = false;  // stopped at the limit
};

// Calls `visit` for the tree's root and everything below it on the same
// filesystem, without following symlinks, each directory before its
// entries are read; stops after `limit` inodes.
template <typename Visit>
Walk walk_tree(const std::string& root, size_t limit, const Visit& visit) {
  Walk w;
  char* argv[] = {const_cast<char*>(root.c_str()), nullptr};
  FTS* fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, nullptr);
  if (!fts) {
    w.unreadable = fmt::format("{}: {}", root, strerror(errno));
    return w;
  }
  while (FTSENT* e = fts_read(fts)) {
    if (e->fts_info == FTS_DP) continue;
    if (e->fts_info == FTS_NS || e->fts_info == FTS_ERR || e->fts_info == FTS_DNR) {
      if (w.unreadable.empty()) w.unreadable = fmt::format("{}: {}", e->fts_path, strerror(e->fts_errno));
      if (e->fts_info != FTS_DNR) continue;
    }
    if (w.inodes >= limit) {
      w.truncated = true;
      break;
    }
    ++w.inodes;
    if (!visit(kernel_dev(e->fts_statp->st_dev), e->fts_statp->st_ino)) ++w.foreign;
  }
  fts_close(fts);
  return w;
}

std::string owner_text(const LayerOwner& who) {
  return fmt::format("container={} namespace={} zone={} zone_id={}", escaped(who.container_id), escaped(who.ns),
                     who.zone, who.zone_id);
}

}  // namespace

WritableLayer writable_layer_of(pid_t pid, const RootfsCoverage& rootfs) {
  WritableLayer out;
  if (rootfs.kind != RootfsCoverage::Kind::overlay) return out;
  out.kind = WritableLayer::Kind::unknown;
  const auto text = read_proc(fmt::format("/proc/{}/mountinfo", pid));
  if (!text) {
    out.error = fmt::format("cannot read /proc/{}/mountinfo: {}", pid, strerror(errno));
    return out;
  }
  const auto mount = root_mount(*text, "overlay", rootfs.dev);
  if (!mount) {
    out.error = fmt::format("no overlay of device {}:{} is mounted at / in /proc/{}/mountinfo", rootfs.dev >> 20,
                            rootfs.dev & 0xfffff, pid);
    return out;
  }
  const OverlayLayers layers = parse_overlay_options(mount->super_options);
  if (layers.upper.empty()) {
    out.kind = WritableLayer::Kind::none;  // read-only: only image layers, shared by every container of the image
    return out;
  }
  if (layers.upper.front() != '/' || layers.work.empty() || layers.work.front() != '/') {
    out.error = fmt::format("the overlay names no absolute upperdir and workdir (upperdir=\"{}\" workdir=\"{}\")",
                            escaped(layers.upper), escaped(layers.work));
    return out;
  }
  const pid_t shim = parent_of(pid);
  out.view = fmt::format("/proc/{}/root", shim > 0 ? shim : 1);
  out.upper = layers.upper;
  out.work = layers.work;
  out.kind = WritableLayer::Kind::found;
  return out;
}

std::string describe(const WritableLayer& layer) {
  switch (layer.kind) {
    case WritableLayer::Kind::none: return "none";
    case WritableLayer::Kind::found:
      return fmt::format("upper=\"{}\" work=\"{}\" view={}", escaped(layer.upper), escaped(layer.work), layer.view);
    case WritableLayer::Kind::unknown: break;
  }
  return fmt::format("unknown: {}", layer.error);
}

void WritableLayers::own(const LayerOwner& who, const WritableLayer& layer) {
  const Key key{who.ns, who.container_id};
  if (auto it = owned_.find(key); it != owned_.end()) {
    // A layer that cannot be read again this time (at a reconcile) is still
    // the one owned: a passing failure does not give it away.
    const bool same = layer.kind == WritableLayer::Kind::unknown ||
                      (it->second.layer.upper == layer.upper && it->second.layer.work == layer.work);
    if (it->second.who.zone_id == who.zone_id && same) return;
    disown(it->second, "owned anew");
    owned_.erase(it);
  }
  if (layer.kind == WritableLayer::Kind::none) return;
  auto fail = [&](const std::string& why) {
    spdlog::error("WRITABLE LAYER NOT FULLY OWNED: {} {}: {}; other zones that see these node paths reach those "
                  "files",
                  owner_text(who), describe(layer), why);
    sink_.layer_failed(fmt::format("container {} (zone {}): {}", escaped(who.container_id), who.zone, why));
  };
  if (layer.kind == WritableLayer::Kind::unknown) {
    fail(layer.error);
    return;
  }
  owned_[key] = Owned{who, layer};
  size_t inodes = 0, foreign = 0;
  std::vector<std::string> problems;
  for (const auto& dir : {layer.upper, layer.work}) {
    const std::string path = layer.view + dir;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      problems.push_back(fmt::format("{} is not a directory here ({})", escaped(dir), strerror(errno)));
      continue;
    }
    Walk w;
    try {
      w = walk_tree(path, max_inodes_ - inodes, [&](uint64_t dev, uint64_t ino) {
        return sink_.own_inode(dev, ino, who.zone_id) == MembershipSink::InodeClaim::owned;
      });
    } catch (const std::exception& e) {
      problems.push_back(fmt::format("writing the owner of a file under {} failed: {}", escaped(dir), e.what()));
      continue;
    }
    inodes += w.inodes;
    foreign += w.foreign;
    if (!w.unreadable.empty()) problems.push_back(fmt::format("cannot read {}", escaped(w.unreadable)));
    if (w.truncated)
      problems.push_back(fmt::format("more than {} files: the rest of {} is not owned", max_inodes_, escaped(dir)));
  }
  if (foreign)
    problems.push_back(fmt::format("{} of its files are owned by a policy's host_paths or another zone and were left "
                                   "to them",
                                   foreign));
  spdlog::info("writable layer +: {} {} inodes={}", owner_text(who), describe(layer), inodes - foreign);
  if (!problems.empty()) {
    std::string why;
    for (const auto& p : problems) why += (why.empty() ? "" : "; ") + p;
    fail(why);
  }
}

void WritableLayers::disown(const Owned& owned, std::string_view reason) {
  size_t inodes = 0;
  for (const auto& dir : {owned.layer.upper, owned.layer.work}) {
    try {
      // Twice the limit: what the container made since it was owned.
      inodes += walk_tree(owned.layer.view + dir, 2 * max_inodes_, [&](uint64_t dev, uint64_t ino) {
                  sink_.disown_inode(dev, ino, owned.who.zone_id);
                  return true;
                }).inodes;
    } catch (const std::exception& e) {
      spdlog::error("writable layer: {}: removing the owner of a file under {} failed: {}", owner_text(owned.who),
                    escaped(dir), e.what());
    }
  }
  spdlog::info("writable layer -: {} {} inodes={} reason=\"{}\"", owner_text(owned.who), describe(owned.layer), inodes,
               reason);
}

void WritableLayers::release(const std::string& ns, const std::string& container_id, std::string_view reason) {
  auto it = owned_.find({ns, container_id});
  if (it == owned_.end()) return;
  disown(it->second, reason);
  owned_.erase(it);
}

void WritableLayers::reconcile(const std::vector<std::pair<LayerOwner, WritableLayer>>& running) {
  std::set<Key> keep;
  for (const auto& [who, layer] : running) keep.emplace(who.ns, who.container_id);
  for (auto it = owned_.begin(); it != owned_.end();) {
    if (keep.count(it->first)) {
      ++it;
      continue;
    }
    disown(it->second, "reconcile: no longer running");
    it = owned_.erase(it);
  }
  for (const auto& [who, layer] : running) own(who, layer);
}

}  // namespace syva
