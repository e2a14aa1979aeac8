// SPDX-License-Identifier: Apache-2.0
#include "trampoline_frees.h"

#include <bpf/bpf.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "stats.h"

namespace syva::bench {

namespace {

std::vector<TrampolineWait> waits;
bool enabled = true;

double now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

// Distinct attach targets of the tracing links (fentry, fexit, LSM, ...) in
// the kernel: each has one trampoline image while linked.
size_t linked_trampolines() {
  std::set<std::pair<uint32_t, uint32_t>> targets;
  for (uint32_t id = 0; bpf_link_get_next_id(id, &id) == 0;) {
    const int fd = bpf_link_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_link_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == BPF_LINK_TYPE_TRACING)
      targets.emplace(info.tracing.target_obj_id, info.tracing.target_btf_id);
    close(fd);
  }
  return targets.size();
}

}  // namespace

size_t trampoline_images() {
  std::ifstream in("/proc/kallsyms");
  size_t n = 0;
  for (std::string line; std::getline(in, line);)
    // Only the images ("[bpf]"), not the kernel's own bpf_trampoline_*() functions.
    if (line.find(" bpf_trampoline_") != std::string::npos && line.ends_with("[bpf]")) ++n;
  return n;
}

size_t unlinked_trampoline_images() {
  const size_t n = trampoline_images(), linked = linked_trampolines();
  return n > linked ? n - linked : 0;
}

void set_trampoline_waits(bool on) { enabled = on; }

TrampolineWait wait_for_trampoline_frees(int timeout_ms) {
  TrampolineWait w;
  if (!enabled) return w;
  const double start = now_ms();
  const size_t baseline = linked_trampolines();
  size_t n = trampoline_images();
  w.pending = n > baseline ? n - baseline : 0;
  while (n > baseline && now_ms() - start < timeout_ms) {
    usleep(100 * 1000);
    n = trampoline_images();
  }
  w.freed = n <= baseline;
  w.waited_ms = now_ms() - start;
  waits.push_back(w);
  return w;
}

const std::vector<TrampolineWait>& trampoline_waits() { return waits; }

std::string trampoline_wait_summary() {
  if (waits.empty()) return "";
  std::vector<double> ms;
  size_t late = 0;
  for (const auto& w : waits) {
    ms.push_back(w.waited_ms);
    if (!w.freed) ++late;
  }
  const Summary s = summarize(ms);
  return fmt::format(
      "After each detach the bench waited for the kernel to free the detached programs' trampolines (RCU Tasks "
      "grace periods) before attaching anything else: {} detaches, median {:.0f} ms, longest {:.0f} ms of guest "
      "time{}.\n\n",
      waits.size(), s.median, s.max, late ? fmt::format(", {} not freed within 20 s", late) : "");
}

}  // namespace syva::bench
