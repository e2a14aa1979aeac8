// SPDX-License-Identifier: Apache-2.0
#include "alternation.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "markdown.h"
#include "operations.h"

namespace syva::bench {

namespace {

double now_ns() {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Enough operations per batch that one batch takes about `batch_ms`, found
// with no program attached, and at least 10 (exec takes milliseconds).
// Capped so a denied batch (one ring-buffer event each, about 96 bytes)
// never fills the 1 MiB buffer: drops would make the denied figure measure
// the cheaper drop path.
size_t calibrate(BenchWorld& world, const Operation& op, double batch_ms) {
  world.set_config(Config::none);
  op.run(world.targets(), 3);  // warm caches and the dentry
  size_t n = 1;
  double per_op = 0;
  for (;;) {
    const double t0 = now_ns();
    op.run(world.targets(), n);
    const double elapsed = now_ns() - t0;
    per_op = elapsed / n;
    if (elapsed > batch_ms * 1e6 / 4 || n >= 4096) break;
    n *= 2;
  }
  // One slow trial (the vCPU preempted) would shrink every batch of the
  // run: take the fastest of a few.
  for (int trial = 0; trial < 4; ++trial) {
    const double t0 = now_ns();
    op.run(world.targets(), n);
    per_op = std::min(per_op, (now_ns() - t0) / n);
  }
  const double want = batch_ms * 1e6 / per_op;
  return std::clamp<size_t>(static_cast<size_t>(std::ceil(want)), 10, 4000);
}

uint64_t total_dropped(BenchWorld& world) {
  uint64_t d = 0;
  for (const auto& c : world.enforcer().counters()) d += c.dropped;
  return d;
}

double median_of(std::vector<double> v) { return summarize(std::move(v)).median; }

}  // namespace

Samples alternate(BenchWorld& world, const AlternationOptions& options) {
  Samples s;
  for (const auto& name : options.ops) s.batch[name] = calibrate(world, operation(name), options.batch_ms);

  std::vector<Config> attached;
  bool with_none = false;
  for (Config c : options.configs) {
    if (c == Config::none)
      with_none = true;
    else
      attached.push_back(c);
  }
  const uint64_t dropped_before = total_dropped(world);

  auto timed_batch = [&](const std::string& name, Config c,
                         std::map<std::string, std::map<Config, std::vector<double>>>& round) {
    const Operation& op = operation(name);
    const size_t n = s.batch[name];
    const double t0 = now_ns();
    const size_t ok = op.run(world.targets(), n);
    const double per_op = (now_ns() - t0) / n;
    s.ns[name][c].push_back(per_op);
    round[name][c].push_back(per_op);
    const size_t expected = c == Config::denied ? 0 : n;
    s.unexpected[name][c] += ok > expected ? ok - expected : expected - ok;
    if (c == Config::denied) world.drain_events();
  };
  // Attaching or detaching, timed without the settle pause that follows.
  auto switch_attachment = [&](Config c) {
    const double t0 = now_ns();
    world.set_settle_ms(0);
    world.set_config(c);
    (c == Config::none ? s.detach_ms : s.attach_ms).push_back((now_ns() - t0) / 1e6);
    world.set_settle_ms(300);
    usleep(300 * 1000);
  };

  for (size_t r = 0; r < options.rounds; ++r) {
    std::map<std::string, std::map<Config, std::vector<double>>> round;
    std::vector<std::string> ops = options.ops;
    std::rotate(ops.begin(), ops.begin() + r % ops.size(), ops.end());

    auto attached_block = [&] {
      if (attached.empty()) return;
      switch_attachment(attached.front());
      for (const auto& name : ops) {
        for (size_t k = 0; k < options.cycles; ++k) {
          std::vector<Config> order = attached;
          std::rotate(order.begin(), order.begin() + (r + k) % order.size(), order.end());
          for (Config c : order) {
            world.set_config(c);
            timed_batch(name, c, round);
          }
        }
      }
    };
    auto none_block = [&] {
      if (!with_none) return;
      switch_attachment(Config::none);
      for (const auto& name : ops)
        for (size_t k = 0; k < options.cycles; ++k) timed_batch(name, Config::none, round);
    };
    if (r % 2 == 0) {
      none_block();
      attached_block();
    } else {
      attached_block();
      none_block();
    }
    for (const auto& [name, by_config] : round)
      for (const auto& [c, v] : by_config) {
        s.round_median[name][c].push_back(median_of(v));
        s.round_min[name][c].push_back(*std::min_element(v.begin(), v.end()));
      }
    fprintf(stderr, "syva-bench: round %zu/%zu done\n", r + 1, options.rounds);
  }
  world.set_config(Config::none);
  s.dropped = total_dropped(world) - dropped_before;
  return s;
}

std::vector<double> round_ratios(const Samples& s, const std::string& op, Config c, Config base, bool of_minimums) {
  const auto& per_round = of_minimums ? s.round_min : s.round_median;
  const auto& b = per_round.at(op).at(base);
  const auto& m = per_round.at(op).at(c);
  std::vector<double> r;
  for (size_t i = 0; i < std::min(b.size(), m.size()); ++i) r.push_back(m[i] / b[i]);
  return r;
}

std::string samples_table(const Samples& s, const std::vector<std::string>& ops, const std::vector<Config>& configs) {
  Table t({"operation", "configuration", "median / op", "p10–p90 (all batches)", "ratio vs none",
           "95 % CI of that ratio", "ratio p10–p90 (rounds)", "overhead", "ratio of round minimums", "its 95 % CI",
           "wrong outcomes"});
  for (const auto& op : ops) {
    auto it = s.ns.find(op);
    if (it == s.ns.end()) continue;
    for (Config c : configs) {
      if (!it->second.count(c)) continue;
      const Summary v = summarize(it->second.at(c));
      std::string rmed = "1 (base)", ci, rrange, over, mins, mins_ci;
      if (c != Config::none && it->second.count(Config::none)) {
        const auto rr = round_ratios(s, op, c);
        const Summary r = summarize(rr);
        const Interval i = median_ci95(rr);
        rmed = ratio(r.median);
        ci = ratio(i.low) + "–" + ratio(i.high);
        rrange = ratio(r.p10) + "–" + ratio(r.p90);
        over = overhead(r.median);
        const auto rm = round_ratios(s, op, c, Config::none, true);
        const Interval mi = median_ci95(rm);
        mins = ratio(summarize(rm).median);
        mins_ci = ratio(mi.low) + "–" + ratio(mi.high);
      }
      t.row({op, config_name(c), duration_ns(v.median), duration_ns(v.p10) + "–" + duration_ns(v.p90), rmed, ci, rrange,
             over, mins, mins_ci, std::to_string(s.unexpected.at(op).at(c))});
    }
  }
  return t.str();
}

std::string zone_cost_table(const Samples& s, const std::vector<std::string>& ops) {
  Table t({"operation", "allowed / unzoned", "95 % CI", "denied / unzoned", "95 % CI"});
  for (const auto& op : ops) {
    auto it = s.round_median.find(op);
    if (it == s.round_median.end() || !it->second.count(Config::unzoned)) continue;
    std::vector<std::string> row = {op};
    for (Config c : {Config::allowed, Config::denied}) {
      if (!it->second.count(c)) {
        row.insert(row.end(), {"—", "—"});
        continue;
      }
      const auto rr = round_ratios(s, op, c, Config::unzoned);
      const Interval i = median_ci95(rr);
      row.push_back(ratio(summarize(rr).median));
      row.push_back(ratio(i.low) + "–" + ratio(i.high));
    }
    t.row(row);
  }
  return t.str();
}

std::string samples_tsv(const Samples& s, const std::string& label) {
  std::string out;
  for (const auto& [op, by_config] : s.ns)
    for (const auto& [c, v] : by_config)
      for (size_t i = 0; i < v.size(); ++i)
        out += fmt::format("{}\t{}\t{}\t{}\t{:.1f}\n", label, op, config_name(c), i, v[i]);
  return out;
}

}  // namespace syva::bench
