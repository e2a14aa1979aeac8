// SPDX-License-Identifier: Apache-2.0
// A membership sink that holds nothing, for unit tests that record only the
// writes they are about and override just those.
#pragma once

#include <map>
#include <string>

#include "watcher/membership_sink.h"

namespace syva::test {

class NullMembershipSink : public MembershipSink {
 public:
  ZoneSlot zone_for(const std::string&) override { return {}; }
  void set_member(uint64_t, uint32_t) override {}
  void remove_member(uint64_t) override {}
  bool clear_pending(uint64_t) override { return false; }
  std::map<uint64_t, uint32_t> members() override { return {}; }
  void set_superblock_owner(uint64_t, uint32_t) override {}
  void remove_superblock_owner(uint64_t) override {}
  std::map<uint64_t, uint32_t> superblock_owners() override { return {}; }
};

}  // namespace syva::test
