// SPDX-License-Identifier: Apache-2.0
#include "enforcer/program_load.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "enforcer/errors.h"
#include "enforcer/hook_arguments.h"
#include "enforcer/kernel_features.h"
#include "enforcer/kernel_support.h"
#include "enforcer/libbpf_log.h"
#include "syva.skel.h"

namespace syva {

namespace {

constexpr const char* kSelftestProbe = "syva_selftest_probe";

// As the check table names it: an LSM hook by its name, a tracepoint as
// its section ("tp_btf/cgroup_mkdir").
std::string hook_of(bpf_program* prog) {
  const std::string section = bpf_program__section_name(prog);
  return section.starts_with("lsm/") ? section.substr(4) : section;
}

bool kernel_has(const btf* vmlinux, const std::string& hook) {
  if (hook.starts_with("tp_btf/"))
    return btf__find_by_name_kind(vmlinux, ("btf_trace_" + hook.substr(7)).c_str(), BTF_KIND_TYPEDEF) >= 0;
  return lsm_argument_count(vmlinux, hook).has_value();
}

}  // namespace

Refusal refusal_in(const std::vector<std::string>& warnings) {
  Refusal r;
  for (const auto& w : warnings) {
    if (!w.starts_with("prog '")) continue;
    const size_t end = w.find("': ", 6);
    if (end == std::string::npos) continue;
    const std::string program = w.substr(6, end - 6);
    if (w.find("-- BEGIN PROG LOAD LOG --") == std::string::npos) continue;
    // The verifier says why on its last line before its statistics.
    std::istringstream lines(w.substr(end + 3));
    std::string line, reason;
    while (std::getline(lines, line)) {
      if (line.empty() || line.starts_with("-- ") || line.starts_with("processed ") ||
          line.starts_with("verification time") || line.starts_with("stack depth"))
        continue;
      reason = line;
    }
    if (!reason.empty()) r = {program, reason};
  }
  return r;
}

LoadedObject load_object(const std::function<void(syva_bpf&, const btf*)>& prepare, bool load_programs) {
  if (load_programs) {
    const auto features = missing_kernel_features();
    if (!features.missing.empty()) throw KernelUnsupported(describe_missing_features(features.missing));
  }
  btf* vmlinux = load_programs ? btf__load_vmlinux_btf() : nullptr;
  std::set<std::string> refused;
  LoadedObject out;
  for (;;) {
    syva_bpf* skel = syva_bpf__open();
    if (!skel) {
      btf__free(vmlinux);
      throw EnforcerError(fmt::format("opening the BPF object failed: {}", strerror(errno)));
    }
    prepare(*skel, vmlinux);
    std::vector<ProgramLeftOut> left_out;
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel->obj) {
      const std::string name = bpf_program__name(prog), hook = hook_of(prog);
      if (!load_programs) {
        bpf_program__set_autoload(prog, false);
      } else if (vmlinux && !kernel_has(vmlinux, hook)) {
        bpf_program__set_autoload(prog, false);
        left_out.push_back({name, hook, "this kernel has no such hook", false});
      } else if (refused.count(name)) {
        bpf_program__set_autoload(prog, false);
      }
    }
    capture_libbpf_log();
    const int err = syva_bpf__load(skel);
    if (err == 0) {
      btf__free(vmlinux);
      for (auto& l : out.left_out) left_out.push_back(std::move(l));
      out.skel = skel;
      out.left_out = std::move(left_out);
      return out;
    }
    const Refusal r = refusal_in(libbpf_warnings());
    std::string refused_hook = "?";
    bpf_object__for_each_program(prog, skel->obj) if (r.program == bpf_program__name(prog)) refused_hook =
        hook_of(prog);
    syva_bpf__destroy(skel);
    if (r.program.empty() || r.program == kSelftestProbe || refused.count(r.program)) {
      btf__free(vmlinux);
      throw KernelUnsupported(explain_load_failure(err, libbpf_failure_detail()));
    }
    refused.insert(r.program);
    out.left_out.push_back({r.program, refused_hook, r.reason, true});
    spdlog::error("the kernel refused program {}: {}; loading the others without it", r.program, r.reason);
  }
}

}  // namespace syva
