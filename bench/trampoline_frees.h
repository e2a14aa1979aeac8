// SPDX-License-Identifier: Apache-2.0
// Waiting for the kernel to free the trampolines of programs just detached.
// A detached BPF-LSM program's trampoline image is freed only after RCU
// Tasks grace periods, deferred work that would otherwise run inside
// whichever timed batch comes next and be counted as that operation's cost.
// The images are visible as "bpf_trampoline_<key>" symbols in
// /proc/kallsyms until freed.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace syva::bench {

struct TrampolineWait {
  size_t pending = 0;    // images beyond the baseline right after the detach
  double waited_ms = 0;  // guest time until they were freed (or the timeout)
  bool freed = false;    // all freed before the timeout
};

// Trampoline images the kernel holds now, and those of them no link needs
// any more (detached, not freed yet).
size_t trampoline_images();
size_t unlinked_trampoline_images();

// Off: wait_for_trampoline_frees() returns at once, as the bench did before
// it waited (syva-bench floor --wait-frees 0, to show what that measured).
void set_trampoline_waits(bool on);

// After links were destroyed: sleeps until the kernel holds no more images
// than the trampolines still linked need, one per attach target (at most
// `timeout_ms`), and records the wait in trampoline_waits().
TrampolineWait wait_for_trampoline_frees(int timeout_ms = 20000);

// Every wait of this process, in order.
const std::vector<TrampolineWait>& trampoline_waits();

// One sentence on the waits so far, for a report ("" when there were none).
std::string trampoline_wait_summary();

}  // namespace syva::bench
