// SPDX-License-Identifier: Apache-2.0
#include "program_links.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "enforcer/enforcer.h"
#include "enforcer/pins.h"
#include "syva.skel.h"

namespace syva::bench {

void ProgramLinks::attach() {
  if (attached()) return;
  for (const auto& name : enforcing_program_names()) {
    bpf_program* prog = bpf_object__find_program_by_name(enforcer_.skeleton()->obj, name.c_str());
    // Not loaded: a hook this kernel lacks (or refused), as the agent leaves it out.
    if (prog && bpf_program__fd(prog) < 0) continue;
    bpf_link* link = prog ? bpf_program__attach_lsm(prog) : nullptr;
    if (!link) {
      const int err = errno;
      detach();
      throw std::runtime_error(fmt::format("attaching {} failed: {}", name, strerror(err)));
    }
    links_.push_back(link);
  }
}

void ProgramLinks::detach() {
  for (auto* link : links_) bpf_link__destroy(link);
  links_.clear();
}

}  // namespace syva::bench
