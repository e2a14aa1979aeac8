// SPDX-License-Identifier: Apache-2.0
#include "watcher/address_table.h"

#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/node_addresses.h"
#include "events/log_escape.h"

namespace syva {

namespace {

bool same(const AddressZones& a, const AddressZones& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
    if (memcmp(i->first.addr, j->first.addr, sizeof(i->first.addr)) != 0 || i->second != j->second) return false;
  return true;
}

std::string who(const Member& m) {
  return fmt::format("container={} namespace={} pod={} zone={}", escaped(m.container_id), escaped(m.ns),
                     m.pod.known() ? escaped(m.pod.ns + "/" + m.pod.name) : "-", m.zone);
}

}  // namespace

void AddressTable::sync(const std::vector<Member>& members, bool exact) {
  report_unread(members);
  std::vector<AddressHolder> holders;
  std::map<syva_address, const Member*, AddressLess> holder_of;
  for (const auto& m : members) {
    holders.push_back({who(m), m.zone_id, m.addresses.addresses});
    for (const auto& a : m.addresses.addresses) holder_of.emplace(a, &m);
  }
  // The node's own addresses are never a zone's, even when a container's
  // namespace holds one too. Unreadable: the main loop says so every 10 s.
  std::string node_error;
  const auto node = read_node_addresses(node_error).value_or(std::vector<syva_address>{});
  const AddressPlan plan = plan_addresses(holders, node);
  for (const auto& c : plan.conflicts)
    if (conflicts_.insert(c).second)
      spdlog::error("address conflict: {}: put in quarantine, no zone reaches it or takes packets from it", c);
  if (!exact && synced_ && same(plan.wanted, written_)) return;

  const AddressZones current = sink_.address_owners();
  const AddressChanges changes = diff_addresses(plan.wanted, current);
  // New holders first: an address moving from a pod that went to one that
  // came is never without a zone in between.
  for (const auto& [a, zone] : changes.write) {
    sink_.set_address_owner(a, zone);
    auto h = holder_of.find(a);
    spdlog::info("address +: {} zone_id={} {}{}", format_address(a), zone, h == holder_of.end() ? "-" : who(*h->second),
                 exact ? " reason=\"reconcile\"" : "");
  }
  for (const auto& a : changes.remove) {
    sink_.remove_address_owner(a);
    spdlog::info("address -: {} zone_id={} reason=\"{}\"", format_address(a), current.at(a),
                 exact ? "reconcile: no running zoned container holds it" : "its container is gone");
  }
  written_ = plan.wanted;
  synced_ = true;
}

void AddressTable::report_unread(const std::vector<Member>& members) {
  std::set<std::pair<std::string, std::string>> now;
  std::string why;
  for (const auto& m : members) {
    if (m.addresses.error.empty()) continue;
    const auto key = std::make_pair(m.ns, m.container_id);
    now.insert(key);
    why = fmt::format("container {} in namespace {}: {}", escaped(m.container_id), escaped(m.ns), m.addresses.error);
    if (!unread_.count(key))
      spdlog::error("ADDRESSES NOT READ: {} reason=\"{}\": its pod's addresses may be missing from address_zone, so "
                    "other zones' traffic to and from them is judged by [network] mode and allowed_egress, not by "
                    "allowed_zones",
                    who(m), m.addresses.error);
  }
  unread_ = std::move(now);
  const auto count = static_cast<uint32_t>(unread_.size());
  if (count == unread_reported_ && (count == 0 || why == unread_why_)) return;
  sink_.addresses_unread(count, why);
  unread_reported_ = count;
  unread_why_ = why;
}

}  // namespace syva
