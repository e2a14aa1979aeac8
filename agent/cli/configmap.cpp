// SPDX-License-Identifier: Apache-2.0
#include "cli/configmap.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "daemon/run_agent.h"
#include "policy/policy_loader.h"

namespace syva {

namespace {

namespace fs = std::filesystem;

// The API server refuses a ConfigMap over 1 MiB; better to say so here than
// at `kubectl apply`.
constexpr size_t kMaxConfigMapBytes = 1024 * 1024;

bool valid_key(const std::string& key) {
  return !key.empty() && key.size() <= 253 && key != "." && key != ".." &&
         std::all_of(key.begin(), key.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == '.';
         });
}

bool valid_object_name(const std::string& name) {
  return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

// Code points of `text`, or nullopt when it is not UTF-8.
std::optional<std::vector<char32_t>> decode_utf8(const std::string& text) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    int extra = b < 0x80 ? 0 : (b >> 5) == 0x6 ? 1 : (b >> 4) == 0xe ? 2 : (b >> 3) == 0x1e ? 3 : -1;
    if (extra < 0 || text.size() - i <= static_cast<size_t>(extra)) return std::nullopt;
    char32_t cp = extra == 0 ? b : b & (0x3f >> extra);
    for (int k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c >> 6) != 0x2) return std::nullopt;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

// What a literal block carries unchanged: YAML's printable set, less what a
// YAML 1.1 reader (PyYAML, older kubectl) takes for a line break, a carriage
// return (normalised to a newline) and a byte-order mark.
bool literal_safe(char32_t c) {
  if (c == '\n' || c == '\t') return true;
  if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) return false;
  if (c == 0x2028 || c == 0x2029 || c == 0xfeff || c == 0xfffe || c == 0xffff) return false;
  return true;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

// One-line double-quoted scalar: for contents a literal block cannot carry.
std::string double_quoted(const std::vector<char32_t>& text) {
  std::string out = "\"";
  for (char32_t c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
        else if (!literal_safe(c))
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else
          append_utf8(out, c);
    }
  }
  return out + "\"";
}

// `  KEY: VALUE` for one file, the value a literal block scalar when it can
// be one (what a person reads and edits in the manifest).
std::string data_entry(const ConfigMapFile& file) {
  auto text = decode_utf8(file.contents);
  if (!text) throw std::invalid_argument(file.name + ": not UTF-8; a ConfigMap's data holds text only");
  if (file.contents.empty()) return fmt::format("  {}: \"\"\n", file.name);
  if (!std::all_of(text->begin(), text->end(), literal_safe))
    return fmt::format("  {}: {}\n", file.name, double_quoted(*text));

  const std::string& s = file.contents;
  const bool ends_in_newline = s.back() == '\n';
  const bool any_content = s.find_first_not_of('\n') != std::string::npos;
  // Chomping: strip the newline that is not there, keep the trailing empty
  // lines that are (clip would drop them, and all of a file of newlines).
  const char* chomp = !ends_in_newline ? "-" : (s.ends_with("\n\n") || !any_content) ? "+" : "";
  // A first line starting with a space would be read as the indentation:
  // state it (2 more than the key's).
  const size_t first = s.find_first_not_of('\n');
  const char* indent = (first != std::string::npos && s[first] == ' ') ? "2" : "";

  std::string out = fmt::format("  {}: |{}{}\n", file.name, indent, chomp);
  const std::string body = ends_in_newline ? s.substr(0, s.size() - 1) : s;
  size_t pos = 0;
  // getline drops a last empty line; walk by position so none is lost.
  while (pos <= body.size()) {
    const size_t nl = body.find('\n', pos);
    const std::string line = body.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    out += line.empty() ? "\n" : "    " + line + "\n";
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

}  // namespace

std::string configmap_yaml(const std::string& name, const std::string& ns, const std::vector<ConfigMapFile>& files) {
  if (!valid_object_name(name)) throw std::invalid_argument("--name '" + name + "' is not a Kubernetes object name");
  if (!valid_object_name(ns)) throw std::invalid_argument("--namespace '" + ns + "' is not a Kubernetes namespace");
  std::string out = fmt::format("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n  namespace: {}\n  labels:\n"
                                "    app.kubernetes.io/name: syva\ndata:\n",
                                name, ns);
  if (files.empty()) out.replace(out.size() - 1, 1, " {}\n");
  size_t total = 0;
  for (const auto& f : files) {
    if (!valid_key(f.name)) throw std::invalid_argument("'" + f.name + "' cannot be a ConfigMap key");
    total += f.contents.size();
    out += data_entry(f);
  }
  if (total > kMaxConfigMapBytes)
    throw std::invalid_argument(fmt::format("{} bytes of policy: over the 1 MiB a ConfigMap may hold", total));
  return out;
}

int run_print_configmap(const std::string& dir, const std::string& name, const std::string& ns) {
  try {
    // Parsing only: a ConfigMap is often made away from the nodes, where
    // host_paths do not exist; `syva check` walks them.
    load_policy_dir(dir);
  } catch (const PolicyError& e) {
    for (const auto& problem : e.problems()) fmt::print(stderr, "{}\n", problem);
    if (e.problems().empty()) fmt::print(stderr, "{}\n", e.what());
    fmt::print(stderr, "{}: invalid: no ConfigMap printed\n", dir);
    return kExitBadPolicy;
  }
  try {
    // The agent's own choice of files: *.toml, no dot entries (the
    // ConfigMap volume's own), regular files through symlinks.
    std::vector<ConfigMapFile> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const auto file = entry.path().filename().string();
      if (file.starts_with(".") || entry.path().extension() != ".toml" || !fs::is_regular_file(entry.path())) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      if (!in) throw std::runtime_error("cannot read " + entry.path().string());
      files.push_back({file, bytes.str()});
    }
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    fputs(configmap_yaml(name, ns, files).c_str(), stdout);
    return kExitOk;
  } catch (const std::exception& e) {
    fmt::print(stderr, "syva print-configmap: {}\n", e.what());
    return kExitFailure;
  }
}

}  // namespace syva
