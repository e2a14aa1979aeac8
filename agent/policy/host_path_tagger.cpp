// SPDX-License-Identifier: Apache-2.0
#include "policy/host_path_tagger.h"

#include <fts.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "enforcer/kernel_ids.h"
#include "policy/compiled_policy.h"

namespace syva {

namespace {

struct Owner {
  uint32_t zone;
  std::string path;
};

struct KeyOrder {
  bool operator()(const syva_inode_key& a, const syva_inode_key& b) const {
    return a.dev != b.dev ? a.dev < b.dev : a.ino < b.ino;
  }
};

}  // namespace

std::vector<std::pair<syva_inode_key, uint32_t>> tag_host_paths(const std::vector<ZonePolicy>& zones,
                                                                const CompiledPolicy& ids, size_t max_inodes,
                                                                std::vector<std::string>& problems,
                                                                std::vector<std::string>& degraded) {
  std::map<syva_inode_key, Owner, KeyOrder> owners;
  bool over_limit = false;

  for (const auto& z : zones) {
    const uint32_t zone = ids.id_of(z.name);
    for (const auto& root : z.host_paths) {
      struct stat st;
      if (lstat(root.c_str(), &st) != 0) {
        spdlog::warn("{}:{}: [filesystem] host_paths: '{}' does not exist on this node; nothing tagged for it",
                     z.host_paths_pos.file, z.host_paths_pos.line, root);
        continue;
      }
      char* argv[] = {const_cast<char*>(root.c_str()), nullptr};
      FTS* walk = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR, nullptr);
      if (!walk) {
        degraded.push_back(fmt::format("{}:{}: [filesystem] host_paths: cannot walk '{}': {}; not owned",
                                       z.host_paths_pos.file, z.host_paths_pos.line, root, strerror(errno)));
        continue;
      }
      while (FTSENT* e = fts_read(walk)) {
        if (e->fts_info == FTS_DP) continue;  // directories come twice: pre- and post-order
        if (!e->fts_statp || e->fts_info == FTS_NS || e->fts_info == FTS_ERR || e->fts_info == FTS_DNR) {
          degraded.push_back(fmt::format("{}:{}: [filesystem] host_paths: cannot read '{}': {}; what is below it is "
                                         "not owned",
                                         z.host_paths_pos.file, z.host_paths_pos.line, e->fts_path,
                                         strerror(e->fts_errno)));
          if (!e->fts_statp || e->fts_info == FTS_NS || e->fts_info == FTS_ERR) continue;
        }
        syva_inode_key key{kernel_dev(e->fts_statp->st_dev), e->fts_statp->st_ino};
        auto [it, added] = owners.try_emplace(key, Owner{zone, e->fts_path});
        if (!added && it->second.zone != zone) {
          problems.push_back(fmt::format("{}:{}: [filesystem] host_paths: '{}' is also owned by zone '{}' (as '{}')",
                                         z.host_paths_pos.file, z.host_paths_pos.line, e->fts_path,
                                         ids.zone_names[it->second.zone - 1], it->second.path));
        }
        if (owners.size() > max_inodes) {
          if (added) owners.erase(it);
          degraded.push_back(
              fmt::format("{}:{}: [filesystem] host_paths: more than {} inodes under the host paths of all zones "
                          "(the size of the inode_zone map) when reaching '{}'; it and what comes after it are not "
                          "owned: own fewer files",
                          z.host_paths_pos.file, z.host_paths_pos.line, max_inodes, e->fts_path));
          over_limit = true;
          break;
        }
      }
      fts_close(walk);
      if (over_limit) break;
    }
    if (over_limit) break;
  }

  std::vector<std::pair<syva_inode_key, uint32_t>> out;
  out.reserve(owners.size());
  for (const auto& [key, owner] : owners) out.emplace_back(key, owner.zone);
  return out;
}

}  // namespace syva
