// SPDX-License-Identifier: Apache-2.0
#include "prog_stats.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <fstream>
#include <stdexcept>

#include "enforcer/enforcer.h"
#include "enforcer/pins.h"
#include "syva.skel.h"

namespace syva::bench {

namespace {

constexpr const char* kSwitch = "/proc/sys/kernel/bpf_stats_enabled";

void set_stats(const char* value) {
  std::ofstream out(kSwitch);
  out << value;
  out.flush();
  if (!out) throw std::runtime_error(std::string("cannot write ") + kSwitch);
}

}  // namespace

ProgStats::ProgStats() { set_stats("1"); }

ProgStats::~ProgStats() {
  try {
    set_stats("0");
  } catch (...) {
  }
}

ProgRun ProgStats::total(Enforcer& enforcer) {
  ProgRun sum;
  for (const auto& name : enforcing_program_names()) {
    bpf_program* prog = bpf_object__find_program_by_name(enforcer.skeleton()->obj, name.c_str());
    if (!prog) continue;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0) continue;
    sum.count += info.run_cnt;
    sum.ns += info.run_time_ns;
  }
  return sum;
}

}  // namespace syva::bench
