// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the policy loader (load_policy_dir, then compile_policy).
//
// The input is the text of one or more policy files. A line "### NAME" starts
// a new file called NAME (so the fuzzer also reaches the cross-file checks:
// allowed_zones naming other zones, two zones owning one host path); text
// before the first such line is the file "zone.toml". The files are written
// to a scratch directory and loaded exactly as the agent loads
// --policy-dir.
//
// Contract checked: invalid input yields PolicyError, whose every problem
// starts with the path of the directory or file it is about; nothing else
// may be thrown, and ASan/UBSan report any memory error or undefined
// behaviour. A policy that loads has valid, sorted, unique zone names whose
// allowed_zones all exist, and compiles to ids and pairs within range.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "fuzz/fuzz_util.h"
#include "policy/compiled_policy.h"
#include "policy/policy_loader.h"

namespace fs = std::filesystem;
using namespace syva;

namespace {

// host_paths are walked on the real file system: a small limit keeps an
// input naming "/" cheap while still reaching the over-the-limit error.
constexpr size_t kMaxInodes = 64;
constexpr size_t kMaxFiles = 16;

std::string g_dir;

std::string file_name(std::string_view raw) {
  std::string name(raw.substr(0, 100));
  while (!name.empty() && (name.back() == ' ' || name.back() == '\r' || name.back() == '\t')) name.pop_back();
  for (char& c : name)
    if (c == '/' || c == '\0') c = '_';
  if (name.empty() || name == "." || name == "..") name = "_" + name;
  return name;
}

std::vector<std::pair<std::string, std::string>> split_files(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> files;
  std::string name = "zone.toml", body;
  bool any_header = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    if (line.starts_with("### ") && files.size() + 1 < kMaxFiles) {
      if (any_header || !body.empty()) files.emplace_back(name, std::move(body));
      body.clear();
      name = file_name(line.substr(4));
      any_header = true;
      continue;
    }
    body.append(line);
    if (end != std::string_view::npos) body.push_back('\n');
  }
  files.emplace_back(name, std::move(body));
  return files;
}

void clear_dir() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(g_dir, ec)) fs::remove_all(entry.path(), ec);
}

void check_loaded(const std::vector<ZonePolicy>& zones) {
  SYVA_FUZZ_EXPECT(!zones.empty());
  std::set<std::string> names;
  for (size_t i = 0; i < zones.size(); ++i) {
    SYVA_FUZZ_EXPECT(valid_zone_name(zones[i].name));
    SYVA_FUZZ_EXPECT(i == 0 || zones[i - 1].name < zones[i].name);
    SYVA_FUZZ_EXPECT(zones[i].file.starts_with(g_dir + "/"));
    names.insert(zones[i].name);
  }
  for (const auto& z : zones)
    for (const auto& ref : z.allowed_zones) SYVA_FUZZ_EXPECT(names.count(ref.zone) == 1);

  CompiledPolicy compiled;
  try {
    compiled = compile_policy(zones, kMaxInodes);
  } catch (const PolicyError& e) {
    SYVA_FUZZ_EXPECT(!e.problems().empty());
    for (const auto& p : e.problems())
      if (!p.starts_with(g_dir + "/")) fuzz::fail("a compile problem does not name its file", p);
    return;
  }
  SYVA_FUZZ_EXPECT(compiled.zone_names.size() == zones.size());
  SYVA_FUZZ_EXPECT(compiled.zone_values.size() == zones.size());
  for (size_t i = 0; i < zones.size(); ++i) SYVA_FUZZ_EXPECT(compiled.id_of(zones[i].name) == i + 1);
  for (const auto& pair : compiled.pairs) {
    SYVA_FUZZ_EXPECT(pair.a >= 1 && pair.a <= zones.size());
    SYVA_FUZZ_EXPECT(pair.b >= 1 && pair.b <= zones.size());
    SYVA_FUZZ_EXPECT(pair.a != pair.b);
  }
  SYVA_FUZZ_EXPECT(compiled.inodes.size() <= kMaxInodes);
  for (const auto& [key, zone] : compiled.inodes) SYVA_FUZZ_EXPECT(zone >= 1 && zone <= zones.size());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // missing host paths are warned about on every input
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/syva-fuzz-policy-XXXXXX";
  if (!mkdtemp(tmpl.data())) fuzz::fail("mkdtemp", tmpl);
  g_dir = tmpl;
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(g_dir, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  clear_dir();
  for (const auto& [name, body] : split_files({reinterpret_cast<const char*>(data), size})) {
    std::ofstream out(g_dir + "/" + name, std::ios::binary | std::ios::trunc);
    out << body;
  }
  try {
    check_loaded(load_policy_dir(g_dir));
  } catch (const PolicyError& e) {
    SYVA_FUZZ_EXPECT(!e.problems().empty());
    for (const auto& p : e.problems())
      if (!p.starts_with(g_dir)) fuzz::fail("a problem does not name its file", p);
  } catch (const std::exception& e) {
    fuzz::fail("load_policy_dir threw something other than PolicyError", e.what());
  } catch (...) {
    fuzz::fail("load_policy_dir threw a non-exception");
  }
  return 0;
}
