// SPDX-License-Identifier: Apache-2.0
#include "inode_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "policy/compiled_policy.h"

namespace fs = std::filesystem;

namespace syva::bench {

namespace {
constexpr size_t kPerDir = 1000;
}

void make_inode_tree(const std::string& root, size_t inodes) {
  // The marker lives next to the tree, not in it: it must not be tagged.
  const std::string marker = root + ".count";
  {
    std::ifstream in(marker);
    size_t have = 0;
    if (in >> have && have == inodes) return;
  }
  fs::remove_all(root);
  fs::create_directories(root);
  size_t made = 1;  // root
  for (size_t d = 0; made < inodes; ++d) {
    const std::string dir = fmt::format("{}/d{:04}", root, d);
    if (mkdir(dir.c_str(), 0755) != 0) throw std::runtime_error(fmt::format("mkdir {}: {}", dir, strerror(errno)));
    ++made;
    for (size_t f = 0; f < kPerDir && made < inodes; ++f, ++made) {
      const std::string file = fmt::format("{}/f{:04}", dir, f);
      int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) throw std::runtime_error(fmt::format("create {}: {}", file, strerror(errno)));
      close(fd);
    }
  }
  std::ofstream(marker) << inodes << "\n";
}

std::vector<syva_inode_key> tag_tree(const std::string& root, double& seconds) {
  ZonePolicy zone;
  zone.name = "tagged";
  zone.file = "bench/tagged.toml";
  zone.host_paths = {root};
  const auto start = std::chrono::steady_clock::now();
  CompiledPolicy compiled = compile_policy({zone});
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<syva_inode_key> keys;
  keys.reserve(compiled.inodes.size());
  for (const auto& [key, zone_id] : compiled.inodes) keys.push_back(key);
  return keys;
}

}  // namespace syva::bench
