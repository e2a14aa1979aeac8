// SPDX-License-Identifier: Apache-2.0
// Writes to the maps the enforcer owns. A write the kernel refuses is an
// EnforcerError naming the map: a half-written policy or membership must not
// pass silently.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "enforcer/errors.h"

namespace syva {

template <typename K, typename V>
void write_entry(const bpf_map* map, const K& key, const V& value) {
  if (bpf_map_update_elem(bpf_map__fd(map), &key, &value, BPF_ANY) != 0)
    throw EnforcerError(fmt::format("writing map {} failed: {}", bpf_map__name(map), strerror(errno)));
}

// Removing what is already gone is not an error.
template <typename K>
void remove_entry(const bpf_map* map, const K& key) {
  if (bpf_map_delete_elem(bpf_map__fd(map), &key) != 0 && errno != ENOENT)
    throw EnforcerError(fmt::format("removing an entry from {} failed: {}", bpf_map__name(map), strerror(errno)));
}

}  // namespace syva
