// SPDX-License-Identifier: Apache-2.0
// Loading the BPF object on whatever kernel this is. A program whose hook
// this kernel does not have (added after it, or removed) is not loaded; a
// program the verifier refuses is left out and the rest load without it.
// Either way the other hooks enforce, and what is missing is said: in the
// log, and in agent_state for `syva status`. A kernel that refuses BPF-LSM
// as such (no verifier log: a sandboxed kernel) still fails the load whole,
// as does a refused self-test probe, without which nothing may attach.
#pragma once

#include <functional>
#include <string>
#include <vector>

struct btf;
struct syva_bpf;

namespace syva {

struct ProgramLeftOut {
  std::string program;
  std::string hook;
  std::string reason;  // the verifier's last words, or why the hook is absent
  bool refused;        // by the verifier; else the kernel has no such hook
};

struct LoadedObject {
  syva_bpf* skel = nullptr;
  std::vector<ProgramLeftOut> left_out;
};

// Opens and loads the skeleton. `prepare` runs after each open and before
// the load (pin paths, read-only settings), with the kernel's BTF (read
// once; null in maps-only mode or where the kernel has none). A refusal means a
// fresh open, as libbpf loads an object once: `prepare` must be repeatable.
// Throws KernelUnsupported when the kernel refuses the object as a whole,
// or lacks a feature the programs need (missing_kernel_features), asked
// before anything is created.
LoadedObject load_object(const std::function<void(syva_bpf&, const btf*)>& prepare, bool load_programs);

// "syva_file_open" for libbpf's "prog 'syva_file_open': ..." warnings; the
// program the last failed load stopped at and the verifier's reason, from
// the warnings kept since the load began. Empty program: no verifier log.
struct Refusal {
  std::string program;
  std::string reason;
};
Refusal refusal_in(const std::vector<std::string>& libbpf_warnings);

}  // namespace syva
