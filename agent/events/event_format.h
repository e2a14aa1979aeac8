// SPDX-License-Identifier: Apache-2.0
// The one-line, structured form of a deny event, with zone names.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "syva_abi.h"

namespace syva {

// Zone id -> name; 0 is the host.
using ZoneNameLookup = std::function<std::string(uint32_t)>;

// "DENY hook=file_open pid=12 tgid=12 comm=cat caller_zone=frontend
//  target_zone=database dev=8:1 ino=4242"
std::string format_deny(const syva_event& event, const ZoneNameLookup& zone_name);

}  // namespace syva
