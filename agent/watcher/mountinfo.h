// SPDX-License-Identifier: Apache-2.0
// /proc/PID/mountinfo as the kernel writes it, and an overlay mount's layers
// as its super options name them. Pure: the unit tests feed it text.
//
// The kernel escapes what would break a field: the mount's root, mount
// point and source as \ooo octal (space, tab, newline, backslash), and a
// filesystem's options the same way plus `,` and `=` (seq_show_option).
// An overlay's lowerdir is a `:`-separated list in which a colon inside a
// path is escaped again: as "\072" (6.5 and later) or, on older kernels, by
// the mounter's own backslash ("\:", which mountinfo shows as "\134:").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syva {

struct MountinfoEntry {
  uint64_t dev = 0;  // the superblock's device, kernel encoding (MAJOR << 20 | MINOR)
  std::string root;  // the path inside the filesystem the mount shows
  std::string mount_point;
  std::string fstype;
  std::string source;
  std::string super_options;  // still escaped: options are split before they are decoded
};

// "\ooo" -> the byte; everything else as it is.
std::string unescape_mountinfo(std::string_view text);

// One line of /proc/PID/mountinfo; nullopt when it is not one.
std::optional<MountinfoEntry> parse_mountinfo_line(std::string_view line);

// The mount at "/" of filesystem type `fstype` whose device is `dev` (0: any
// device). The last such line wins: a mount over "/" hides the ones below.
std::optional<MountinfoEntry> root_mount(std::string_view mountinfo, std::string_view fstype, uint64_t dev);

struct OverlayLayers {
  std::vector<std::string> lower;  // top first, as given
  std::string upper;               // empty: a read-only overlay
  std::string work;
};

// The layers an overlay's super options name (MountinfoEntry::super_options).
OverlayLayers parse_overlay_options(std::string_view super_options);

}  // namespace syva
