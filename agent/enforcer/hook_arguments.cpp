// SPDX-License-Identifier: Apache-2.0
#include "enforcer/hook_arguments.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "syva.skel.h"

namespace syva {

namespace {

// The struct a parameter points to, through const/volatile and typedefs.
std::string pointee_struct(const btf* types, uint32_t type_id) {
  const btf_type* t = btf__type_by_id(types, type_id);
  if (!t || !btf_is_ptr(t)) return "";
  t = btf__type_by_id(types, t->type);
  while (t && (btf_is_mod(t) || btf_is_typedef(t))) t = btf__type_by_id(types, t->type);
  return t && btf_is_struct(t) ? btf__name_by_offset(types, t->name_off) : "";
}

}  // namespace

namespace {

const btf_type* hook_prototype(const btf* vmlinux, const std::string& hook) {
  const int func_id = btf__find_by_name_kind(vmlinux, ("bpf_lsm_" + hook).c_str(), BTF_KIND_FUNC);
  if (func_id < 0) return nullptr;
  const btf_type* proto = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, func_id)->type);
  return proto && btf_is_func_proto(proto) ? proto : nullptr;
}

}  // namespace

std::optional<unsigned> lsm_argument_count(const btf* vmlinux, const std::string& hook) {
  const btf_type* proto = hook_prototype(vmlinux, hook);
  if (!proto) return std::nullopt;
  return btf_vlen(proto);
}

std::optional<unsigned> lsm_argument_index(const btf* vmlinux, const std::string& hook, const std::string& type_name) {
  const btf_type* proto = hook_prototype(vmlinux, hook);
  if (!proto) return std::nullopt;
  const btf_param* params = btf_params(proto);
  for (unsigned i = 0; i < btf_vlen(proto); ++i)
    if (pointee_struct(vmlinux, params[i].type) == type_name) return i;
  return std::nullopt;
}

void set_hook_argument_positions(syva_bpf* skel, const btf* vmlinux) {
  if (auto at = lsm_argument_index(vmlinux, "inode_setattr", "dentry")) skel->rodata->inode_setattr_dentry_arg = *at;
  if (auto count = lsm_argument_count(vmlinux, "perf_event_open"); count && *count > 0)
    skel->rodata->perf_event_open_type_arg = *count - 1;
}

}  // namespace syva
