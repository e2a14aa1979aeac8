#include "alternation.h"

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
// with no program attached, and at least 10 (exec takes milliseconds). Capped so a denied batch (one ring-buffer event
// each, about 96 bytes) never fills the 1 MiB buffer: drops would make the
// denied figure measure the cheaper drop path.
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
  const double want = batch_ms * 1e6 / per_op;
  return std::clamp<size_t>(static_cast<size_t>(std::ceil(want)), 10, 4000);
}

uint64_t total_dropped(BenchWorld& world) {
  uint64_t d = 0;
  for (const auto& c : world.enforcer().counters()) d += c.dropped;
  return d;
}

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

  // Operation-major: the configurations of one operation run back to back,
  // so each per-round ratio compares batches taken a fraction of a second
  // apart. Switching attaches or detaches the programs; that is timed too.
  auto switch_to = [&](Config c) {
    const bool was = world.config() != Config::none, will = c != Config::none;
    const double t0 = now_ns();
    world.set_config(c);
    if (was != will) (will ? s.attach_ms : s.detach_ms).push_back((now_ns() - t0) / 1e6);
  };
  for (size_t r = 0; r < options.rounds; ++r) {
    std::vector<std::string> ops = options.ops;
    std::rotate(ops.begin(), ops.begin() + r % ops.size(), ops.end());
    for (size_t k = 0; k < ops.size(); ++k) {
      const std::string& name = ops[k];
      std::vector<Config> order = attached;
      if (!order.empty()) std::rotate(order.begin(), order.begin() + (r + k) % order.size(), order.end());
      if (with_none) {
        if ((r + k) % 2 == 0)
          order.insert(order.begin(), Config::none);
        else
          order.push_back(Config::none);
      }
      const Operation& op = operation(name);
      const size_t n = s.batch[name];
      for (Config c : order) {
        switch_to(c);
        const double t0 = now_ns();
        const size_t ok = op.run(world.targets(), n);
        const double elapsed = now_ns() - t0;
        s.ns[name][c].push_back(elapsed / n);
        const size_t expected = c == Config::denied ? 0 : n;
        s.unexpected[name][c] += ok > expected ? ok - expected : expected - ok;
        if (c == Config::denied) world.drain_events();
      }
    }
    fprintf(stderr, "syva-bench: round %zu/%zu done\n", r + 1, options.rounds);
  }
  world.set_config(Config::none);
  s.dropped = total_dropped(world) - dropped_before;
  return s;
}

Summary ratio_vs_none(const Samples& s, const std::string& op, Config c) {
  const auto& base = s.ns.at(op).at(Config::none);
  const auto& mine = s.ns.at(op).at(c);
  std::vector<double> r;
  for (size_t i = 0; i < std::min(base.size(), mine.size()); ++i) r.push_back(mine[i] / base[i]);
  return summarize(r);
}

std::string samples_table(const Samples& s, const std::vector<std::string>& ops, const std::vector<Config>& configs) {
  Table t({"operation", "configuration", "median / op", "p10–p90", "MAD", "ratio vs none (median of rounds)",
           "ratio p10–p90", "overhead", "ratio of fastest batches", "wrong outcomes"});
  for (const auto& op : ops) {
    for (Config c : configs) {
      auto it = s.ns.find(op);
      if (it == s.ns.end() || !it->second.count(c)) continue;
      const Summary v = summarize(it->second.at(c));
      std::string rmed = "1 (base)", rrange = "", over = "", fastest = "";
      if (c != Config::none && it->second.count(Config::none)) {
        const Summary r = ratio_vs_none(s, op, c);
        rmed = ratio(r.median);
        rrange = ratio(r.p10) + "–" + ratio(r.p90);
        over = overhead(r.median);
        fastest = ratio(v.min / summarize(it->second.at(Config::none)).min);
      }
      t.row({op, config_name(c), duration_ns(v.median), duration_ns(v.p10) + "–" + duration_ns(v.p90),
             duration_ns(v.mad), rmed, rrange, over, fastest, std::to_string(s.unexpected.at(op).at(c))});
    }
  }
  return t.str();
}

std::string samples_tsv(const Samples& s, const std::string& label) {
  std::string out;
  for (const auto& [op, by_config] : s.ns)
    for (const auto& [c, v] : by_config)
      for (size_t r = 0; r < v.size(); ++r) out += fmt::format("{}\t{}\t{}\t{}\t{:.1f}\n", label, op, config_name(c), r, v[r]);
  return out;
}

}  // namespace syva::bench
