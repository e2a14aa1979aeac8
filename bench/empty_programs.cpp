// SPDX-License-Identifier: Apache-2.0
#include "empty_programs.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "bench_empty.skel.h"
#include "enforcer/enforcer.h"
#include "enforcer/pins.h"
#include "syva.skel.h"
#include "trampoline_frees.h"

namespace syva::bench {

namespace {

std::string lsm_hook(bpf_program* prog) {
  const std::string section = bpf_program__section_name(prog);
  return section.starts_with("lsm/") ? section.substr(4) : "";
}

std::string listed(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

}  // namespace

EmptyPrograms::EmptyPrograms(Enforcer& syva) {
  // Syva's LSM hooks as loaded here (a hook the kernel lacks is left out).
  std::set<std::string> wanted;
  for (bpf_program* prog : enforcing_programs(*syva.skeleton())) {
    const std::string hook = lsm_hook(prog);
    if (!hook.empty() && bpf_program__fd(prog) >= 0) wanted.insert(hook);
  }
  skel_ = bench_empty_bpf__open();
  if (!skel_) throw std::runtime_error(fmt::format("opening the empty programs failed: {}", strerror(errno)));
  std::set<std::string> have;
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel_->obj) {
    const std::string hook = lsm_hook(prog);
    if (wanted.count(hook))
      have.insert(hook);
    else
      bpf_program__set_autoload(prog, false);
  }
  if (have != wanted) {
    std::set<std::string> lacking;
    for (const auto& h : wanted)
      if (!have.count(h)) lacking.insert(h);
    bench_empty_bpf__destroy(skel_);
    throw std::runtime_error(fmt::format(
        "ebpf/bench_empty.bpf.c has no empty program on {}: add them, the floor must cover every hook Syva uses",
        listed(lacking)));
  }
  if (const int err = bench_empty_bpf__load(skel_); err != 0) {
    bench_empty_bpf__destroy(skel_);
    throw std::runtime_error(fmt::format("loading the empty programs failed: {}", strerror(-err)));
  }
  hooks_.assign(have.begin(), have.end());
}

EmptyPrograms::~EmptyPrograms() {
  detach();
  bench_empty_bpf__destroy(skel_);
}

void EmptyPrograms::attach() { attach_only(hooks_); }

void EmptyPrograms::attach_only(const std::vector<std::string>& hooks) {
  if (!links_.empty()) return;
  const std::set<std::string> wanted(hooks.begin(), hooks.end());
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel_->obj) {
    if (bpf_program__fd(prog) < 0 || !wanted.count(lsm_hook(prog))) continue;
    bpf_link* link = bpf_program__attach_lsm(prog);
    if (!link) {
      const int err = errno;
      detach();
      throw std::runtime_error(fmt::format("attaching {} failed: {}", bpf_program__name(prog), strerror(err)));
    }
    links_.push_back(link);
  }
}

void EmptyPrograms::detach() {
  if (links_.empty()) return;
  for (auto* link : links_) bpf_link__destroy(link);
  links_.clear();
  wait_for_trampoline_frees();
}

}  // namespace syva::bench
