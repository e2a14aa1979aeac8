// SPDX-License-Identifier: Apache-2.0
#include "watcher/mountinfo.h"

#include <charconv>

namespace syva {

namespace {

bool is_octal(char c) { return c >= '0' && c <= '7'; }

// At `text[at]`, a "\ooo" escape: its byte; else nullopt.
std::optional<char> octal_escape(std::string_view text, size_t at) {
  if (at + 3 >= text.size() || text[at] != '\\') return std::nullopt;
  if (!is_octal(text[at + 1]) || !is_octal(text[at + 2]) || !is_octal(text[at + 3])) return std::nullopt;
  return static_cast<char>(((text[at + 1] - '0') << 6) | ((text[at + 2] - '0') << 3) | (text[at + 3] - '0'));
}

std::vector<std::string_view> split(std::string_view text, char by) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    const size_t end = text.find(by, start);
    out.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// The lowerdir list, split on the colons the kernel wrote raw; an escaped
// colon, in either kernel's form, stays in its path.
std::vector<std::string> split_lowerdir(std::string_view raw) {
  std::vector<std::string> out;
  std::string current;
  bool backslash = false;  // the mounter's escape: the next character is literal
  auto flush = [&] {
    if (!current.empty()) out.push_back(current);  // "::" marks data-only layers: no empty path
    current.clear();
  };
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    bool escaped = false;
    if (auto decoded = octal_escape(raw, i)) {
      c = *decoded;
      i += 3;
      escaped = true;
    }
    if (backslash) {
      current += c;
      backslash = false;
    } else if (c == '\\') {
      backslash = true;
    } else if (c == ':' && !escaped) {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return out;
}

}  // namespace

std::string unescape_mountinfo(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (auto c = octal_escape(text, i)) {
      out += *c;
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<MountinfoEntry> parse_mountinfo_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  const auto fields = split(line, ' ');
  // id parent major:minor root mount-point options [optional...] - fstype source super-options
  size_t dash = 6;
  while (dash < fields.size() && fields[dash] != "-") ++dash;
  if (fields.size() < 6 || dash + 3 > fields.size() || dash + 4 < fields.size()) return std::nullopt;
  const std::string_view dev = fields[2];
  const size_t colon = dev.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  uint64_t major = 0, minor = 0;
  auto parse = [](std::string_view s, uint64_t& v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
  };
  if (!parse(dev.substr(0, colon), major) || !parse(dev.substr(colon + 1), minor)) return std::nullopt;
  MountinfoEntry e;
  e.dev = (major << 20) | minor;
  e.root = unescape_mountinfo(fields[3]);
  e.mount_point = unescape_mountinfo(fields[4]);
  e.fstype = unescape_mountinfo(fields[dash + 1]);
  e.source = unescape_mountinfo(fields[dash + 2]);
  if (dash + 3 < fields.size()) e.super_options = std::string(fields[dash + 3]);
  return e;
}

std::optional<MountinfoEntry> root_mount(std::string_view mountinfo, std::string_view fstype, uint64_t dev) {
  std::optional<MountinfoEntry> found;
  for (std::string_view line : split(mountinfo, '\n')) {
    auto e = parse_mountinfo_line(line);
    if (e && e->mount_point == "/" && e->fstype == fstype && (dev == 0 || e->dev == dev)) found = std::move(e);
  }
  return found;
}

OverlayLayers parse_overlay_options(std::string_view super_options) {
  OverlayLayers out;
  for (std::string_view option : split(super_options, ',')) {
    const size_t eq = option.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = option.substr(0, eq);
    const std::string_view value = option.substr(eq + 1);
    if (key == "lowerdir")
      out.lower = split_lowerdir(value);
    else if (key == "upperdir")
      out.upper = unescape_mountinfo(value);
    else if (key == "workdir")
      out.work = unescape_mountinfo(value);
  }
  return out;
}

}  // namespace syva
