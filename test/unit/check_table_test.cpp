// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <bpf/libbpf.h>

#include <set>
#include <sstream>
#include <string>

#include "enforcer/hooks.h"
#include "syva.skel.h"

using namespace syva;

namespace {

// The LSM hook of every program in the skeleton, from its section name
// ("lsm/file_open"), or the tracepoint's section ("tp_btf/cgroup_mkdir");
// opening parses the embedded object and needs no kernel.
std::multiset<std::string> program_hooks() {
  syva_bpf* skel = syva_bpf__open();
  REQUIRE(skel != nullptr);
  std::multiset<std::string> hooks;
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) {
    const std::string section = bpf_program__section_name(prog);
    if (section.starts_with("tp_btf/")) {
      hooks.insert(section);
      continue;
    }
    REQUIRE(section.starts_with("lsm/"));
    hooks.insert(section.substr(4));
  }
  syva_bpf__destroy(skel);
  return hooks;
}

std::set<std::string> table_hooks() {
  std::set<std::string> hooks;
  for (const auto& check : kChecks) {
    std::istringstream words{std::string(check.hooks)};
    for (std::string hook; words >> hook;) hooks.insert(hook);
  }
  return hooks;
}

}  // namespace

TEST_CASE("every hook the check table names has a program, and every program a check", "[checks]") {
  const auto programs = program_hooks();
  const auto table = table_hooks();
  for (const auto& hook : table) {
    INFO("table hook " << hook);
    CHECK(programs.count(hook) > 0);
  }
  for (const auto& hook : programs) {
    INFO("program hook " << hook);
    CHECK(table.count(hook) > 0);
  }
}

TEST_CASE("check names are unique and a check that is not one hook's question says so", "[checks]") {
  std::set<std::string_view> names;
  for (const auto& check : kChecks) {
    INFO(check.name);
    CHECK(names.insert(check.name).second);
    const bool one_hook = check.hooks.find(' ') == std::string_view::npos;
    // A zone rule or marker shared by hooks, or checked inside another
    // hook's program, must not be mistaken for that hook's own question.
    if (!one_hook || check.kind == SYVA_KIND_MARKER) CHECK(table_hooks().count(std::string(check.name)) == 0);
  }
  CHECK(hook_name(SYVA_HOOK_WRITABLE_PATHS) == "writable_paths");
  CHECK(hook_name(SYVA_HOOK_CGROUP_ESCAPE) == "cgroup_escape");
  CHECK(hook_name(SYVA_HOOK_COUNT) == "unknown");
  CHECK(is_cross_zone(SYVA_HOOK_FILE_OPEN));
  CHECK_FALSE(is_cross_zone(SYVA_HOOK_CAPABLE));
}
