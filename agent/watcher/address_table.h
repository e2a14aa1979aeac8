// SPDX-License-Identifier: Apache-2.0
// Keeps the containers' entries of address_zone equal to what the zoned
// containers the membership table knows hold now: written when a container
// is placed, removed when it goes, made exact at every reconcile (an entry
// no running container accounts for goes, a reused address takes its new
// holder's zone). It also keeps `syva status` told how many zoned
// containers' addresses could not be read.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "watcher/container_addresses.h"
#include "watcher/membership_sink.h"
#include "watcher/membership_table.h"

namespace syva {

class AddressTable {
 public:
  explicit AddressTable(MembershipSink& sink) : sink_(sink) {}

  // `exact` (reconcile): compare with the map even when the containers'
  // addresses did not change since the last sync, and say so in the log.
  void sync(const std::vector<Member>& members, bool exact);

 private:
  void report_unread(const std::vector<Member>& members);

  MembershipSink& sink_;
  AddressZones written_;  // what the last sync left in the map
  bool synced_ = false;
  std::set<std::string> conflicts_;                       // said once each
  std::set<std::pair<std::string, std::string>> unread_;  // (namespace, container id) already logged
  uint32_t unread_reported_ = 0;
  std::string unread_why_;
};

}  // namespace syva
