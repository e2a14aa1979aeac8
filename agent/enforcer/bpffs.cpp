// SPDX-License-Identifier: Apache-2.0
#include "enforcer/bpffs.h"

#include <sys/mount.h>
#include <sys/vfs.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "enforcer/errors.h"

namespace syva {

namespace {

constexpr long kBpfFsMagic = 0xcafe4a11;

}  // namespace

bool is_bpffs(const std::filesystem::path& dir) {
  struct statfs sfs {};
  return statfs(dir.c_str(), &sfs) == 0 && static_cast<long>(sfs.f_type) == kBpfFsMagic;
}

void ensure_bpffs(const std::filesystem::path& dir) {
  if (is_bpffs(dir)) return;
  if (dir == "/sys/fs/bpf" && mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") == 0) {
    spdlog::info("mounted a BPF filesystem at /sys/fs/bpf");
    return;
  }
  throw EnforcerError(fmt::format("{} is not a BPF filesystem (mount -t bpf bpf {})", dir.string(), dir.string()));
}

}  // namespace syva
