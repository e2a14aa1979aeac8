// SPDX-License-Identifier: Apache-2.0
// Syva's kernel state outlives the agent as pins under the pin path: each map
// by its name, each enforcing program's link under links/ by the program's
// name. Pinned links keep enforcing the pinned maps after the agent is gone
// (a crash, --persist), and the next agent adopts both with no gap. The pin
// directory is Syva's alone: whatever this syva would not pin there was left
// by another version and goes.
#pragma once

#include <string>
#include <utility>
#include <vector>

struct syva_bpf;
struct bpf_program;
struct bpf_link;

namespace syva {

// The programs of `skel` that enforce: all but the self-test probe, which
// only serves the start-up check.
std::vector<bpf_program*> enforcing_programs(const syva_bpf& skel);

// Their names, from the BPF object built into this binary. The object is
// parsed, not loaded, so `syva status` can count pinned links on any kernel.
// Throws EnforcerError if the object cannot be parsed.
const std::vector<std::string>& enforcing_program_names();

// Before load: points each map at its pin so that loading re-adopts what a
// previous agent left, and removes the pins that cannot be adopted: a map
// whose layout changed (libbpf would refuse to reuse it) and any name this
// syva does not pin. A retired hook's link pin would otherwise keep its
// program attached, judging with maps no agent updates.
void prepare_map_pins(syva_bpf& skel, const std::string& pin_path);

// Pins each attached link by its program's name, replacing the pin a
// previous agent left, and removes link pins of programs not among them.
void pin_links(const std::string& pin_path, const std::vector<std::pair<bpf_program*, bpf_link*>>& links);

// Unpins and destroys `links` (which detaches them), removes any other link
// pin of an enforcing program and the maps' pins, then the directories if
// that left them empty: pins this syva did not make stay.
void unpin_all(syva_bpf* skel, const std::string& pin_path, std::vector<bpf_link*>& links);

}  // namespace syva
