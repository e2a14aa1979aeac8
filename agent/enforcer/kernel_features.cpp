// SPDX-License-Identifier: Apache-2.0
#include "enforcer/kernel_features.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <map>
#include <string_view>

#include <fmt/format.h>

namespace syva {

namespace {

// Every helper the programs call that a kernel with BPF-LSM (5.7+) may lack
// or withhold from LSM programs, with the hook of a program that calls it:
// whether a helper is allowed can depend on the hook (bpf_d_path).
struct HelperNeed {
  bpf_func_id id;
  const char* name;
  const char* hook;
  const char* since;  // "" where the kernel version is not the whole story
};
constexpr HelperNeed kHelpers[] = {
    {BPF_FUNC_ringbuf_reserve, "bpf_ringbuf_reserve", "file_open", "Linux 5.8+"},
    {BPF_FUNC_ringbuf_submit, "bpf_ringbuf_submit", "file_open", "Linux 5.8+"},
    {BPF_FUNC_get_current_task_btf, "bpf_get_current_task_btf", "file_open", "Linux 5.11+"},
    {BPF_FUNC_task_storage_get, "bpf_task_storage_get", "file_open", "Linux 5.11+"},
    {BPF_FUNC_d_path, "bpf_d_path", "file_open", ""},
    {BPF_FUNC_probe_read_kernel, "bpf_probe_read_kernel", "file_open", "Linux 5.5+"},
    {BPF_FUNC_probe_read_kernel_str, "bpf_probe_read_kernel_str", "file_open", "Linux 5.5+"},
    {BPF_FUNC_get_current_cgroup_id, "bpf_get_current_cgroup_id", "file_open", "Linux 4.18+"},
};

constexpr bpf_insn mov_imm(int reg, int imm) { return {BPF_ALU64 | BPF_MOV | BPF_K, static_cast<__u8>(reg), 0, 0, imm}; }

enum class Answer { kYes, kNo, kUnknown };

// An LSM program on `btf_id` that calls `helper` (0: none) with every
// argument zero. The verifier checks that the helper exists and that this
// program may call it before it looks at the arguments, so a wrong argument
// ("R1 type=scalar expected=map_ptr") means the helper is there.
Answer lsm_program_may_call(__u32 btf_id, int helper) {
  bpf_insn insns[10];
  int n = 0;
  if (helper) {
    for (int r = BPF_REG_1; r <= BPF_REG_5; ++r) insns[n++] = mov_imm(r, 0);
    insns[n++] = {BPF_JMP | BPF_CALL, 0, 0, 0, helper};
  }
  insns[n++] = mov_imm(BPF_REG_0, 0);
  insns[n++] = {BPF_JMP | BPF_EXIT, 0, 0, 0, 0};
  static char log[16384];
  log[0] = '\0';
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_MAC, .attach_btf_id = btf_id,
              .log_level = 1, .log_size = sizeof(log), .log_buf = log);
  const int fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "syva_feature", "GPL", insns, n, &opts);
  if (fd >= 0) {
    close(fd);
    return Answer::kYes;
  }
  const std::string_view said(log);
  if (said.find("unknown func") != std::string_view::npos || said.find("invalid func") != std::string_view::npos ||
      said.find("not allowed") != std::string_view::npos)
    return Answer::kNo;
  return helper ? Answer::kYes : Answer::kUnknown;
}

}  // namespace

FeatureAnswer missing_kernel_features() {
  FeatureAnswer answer;
  auto& missing = answer.missing;
  bool maps_asked = false, helpers_asked = false;
  libbpf_print_fn_t previous = libbpf_set_print(nullptr);  // the answers are said below, not libbpf's noise

  // A plain map that any BPF kernel creates is the baseline: if even it
  // fails, the kernel refuses BPF as such, which is not a missing feature.
  const int array = bpf_map_create(BPF_MAP_TYPE_ARRAY, nullptr, 4, 4, 1, nullptr);
  if (array >= 0) {
    close(array);
    maps_asked = true;
    if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, nullptr) == 0)
      missing.push_back("BPF_MAP_TYPE_TASK_STORAGE maps (task-local storage, Linux 5.11+), which hold the mark of "
                        "a zone's workload processes");
    if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 0)
      missing.push_back("BPF_MAP_TYPE_RINGBUF maps (Linux 5.8+), which carry the deny events");
  }

  btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux) {
    std::map<std::string, Answer> baseline;  // hook -> does a helper-free program load there
    for (const auto& h : kHelpers) {
      const int id = btf__find_by_name_kind(vmlinux, fmt::format("bpf_lsm_{}", h.hook).c_str(), BTF_KIND_FUNC);
      if (id < 0) continue;  // a hook the kernel lacks is the program loader's to report
      const auto btf_id = static_cast<__u32>(id);
      // Helpers are judged only where a helper-free program loads: else the
      // kernel refuses BPF-LSM itself.
      auto known = baseline.find(h.hook);
      if (known == baseline.end()) known = baseline.emplace(h.hook, lsm_program_may_call(btf_id, 0)).first;
      if (known->second != Answer::kYes) continue;
      helpers_asked = true;
      if (lsm_program_may_call(btf_id, h.id) == Answer::kNo)
        missing.push_back(fmt::format("helper {}() in an LSM program on {}{}", h.name, h.hook,
                                      *h.since ? fmt::format(" ({})", h.since) : std::string()));
    }
    btf__free(vmlinux);
  }
  libbpf_set_print(previous);
  answer.asked = maps_asked && helpers_asked;
  return answer;
}

std::string describe_missing_features(const std::vector<std::string>& missing) {
  struct utsname u {};
  uname(&u);
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : "; ") + m;
  return fmt::format(
      "kernel {} runs BPF-LSM but lacks what Syva's programs need: {}. Syva needs a newer kernel (Debian 12's 6.1 "
      "and 6.12 are tested; see the README's kernel table)",
      u.release, list);
}

}  // namespace syva
