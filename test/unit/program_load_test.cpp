// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "enforcer/program_load.h"

using namespace syva;

TEST_CASE("a verifier refusal names the program and the verifier's last words", "[program_load]") {
  const std::vector<std::string> warnings = {
      "prog 'syva_perf_event_open': BPF program load failed: Permission denied",
      "prog 'syva_perf_event_open': -- BEGIN PROG LOAD LOG --\n"
      "0: R1=ctx() R10=fp0\n"
      "; int BPF_PROG(syva_perf_event_open, struct perf_event_attr *attr, int type)\n"
      "0: (79) r2 = *(u64 *)(r1 +8)\n"
      "func 'bpf_lsm_perf_event_open' arg1 type INT is not a struct\n"
      "invalid bpf_context access off=8 size=8\n"
      "processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"
      "-- END PROG LOAD LOG --",
      "prog 'syva_perf_event_open': failed to load: -13",
      "failed to load object 'syva_bpf'",
  };
  const Refusal r = refusal_in(warnings);
  CHECK(r.program == "syva_perf_event_open");
  CHECK(r.reason == "invalid bpf_context access off=8 size=8");
}

TEST_CASE("a kernel that refuses BPF-LSM as such gives no verifier log and no program to leave out",
          "[program_load]") {
  const Refusal r = refusal_in({"prog 'syva_file_open': BPF program load failed: Operation not permitted",
                                "prog 'syva_file_open': failed to load: -1", "failed to load object 'syva_bpf'"});
  CHECK(r.program.empty());
}
