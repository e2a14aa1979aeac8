// Per-operation cost in four configurations, alternated in one run, then a
// separate pass with the kernel's BPF run-time accounting on to show how
// much of each overhead is Syva's programs themselves.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "alternation.h"
#include "bench_paths.h"
#include "bench_world.h"
#include "cpu_pin.h"
#include "markdown.h"
#include "operations.h"
#include "prog_stats.h"
#include "subcommands.h"

namespace syva::bench {

namespace {

std::vector<std::string> all_ops() {
  std::vector<std::string> names;
  for (const auto& op : operations()) names.push_back(op.name);
  return names;
}

std::string program_cost_table(BenchWorld& world, const Samples& s) {
  ProgStats on;
  Table t({"operation", "configuration", "Syva program runs / op", "program time / op",
           "share of the op's median"});
  for (const auto& name : all_ops()) {
    const Operation& op = operation(name);
    const size_t n = s.batch.at(name);
    for (Config c : {Config::unzoned, Config::allowed, Config::denied}) {
      world.set_config(c);
      const ProgRun before = ProgStats::total(world.enforcer());
      op.run(world.targets(), n);
      const ProgRun after = ProgStats::total(world.enforcer());
      if (c == Config::denied) world.drain_events();
      const double runs = double(after.count - before.count) / n;
      const double ns = double(after.ns - before.ns) / n;
      const double median = summarize(s.ns.at(name).at(c)).median;
      t.row({name, config_name(c), fmt::format("{:.2f}", runs), duration_ns(ns),
             fmt::format("{:.1f} %", 100.0 * ns / median)});
    }
  }
  world.set_config(Config::none);
  return t.str();
}

}  // namespace

int run_ops(const Args& args) {
  const BenchPaths paths = bench_paths(args);
  pin_to_last_cpu();
  BenchWorld world(paths.pin_path, paths.scratch, paths.true_binary);
  world.apply(2, {});

  AlternationOptions opt;
  opt.rounds = args.num("rounds", 21);
  opt.batch_ms = args.num("batch-ms", 25);
  opt.ops = all_ops();
  opt.configs = {kConfigs.begin(), kConfigs.end()};
  const Samples s = alternate(world, opt);

  std::string md;
  md += fmt::format("{} rounds; each sample is one timed batch (operations per batch:", opt.rounds);
  for (const auto& [name, n] : s.batch) md += fmt::format(" {} {},", name, n);
  md.back() = ')';
  md += fmt::format(". Ring-buffer drops while timing: {}. Attaching the 7 programs took {} (median of {}), "
                    "detaching them {}.\n\n",
                    s.dropped, duration_ns(summarize(s.attach_ms).median * 1e6), s.attach_ms.size(),
                    duration_ns(summarize(s.detach_ms).median * 1e6));
  md += samples_table(s, opt.ops, opt.configs);
  md += "\nOperations:\n\n";
  for (const auto& op : operations()) md += fmt::format("- `{}`: {}\n", op.name, op.label);
  md += "\nConfigurations:\n\n";
  for (Config c : kConfigs) md += fmt::format("- `{}`: {}\n", config_name(c), config_label(c));
  append_file(paths.out_dir + "/ops.md", md);
  append_file(paths.out_dir + "/ops.tsv", samples_tsv(s, "ops"));

  std::string cost;
  try {
    cost = program_cost_table(world, s);
  } catch (const std::exception& e) {
    cost = fmt::format("(not measured: {})\n", e.what());
  }
  append_file(paths.out_dir + "/progcost.md", cost);

  const Summary unzoned = ratio_vs_none(s, "open", Config::unzoned);
  const Summary allowed = ratio_vs_none(s, "open", Config::allowed);
  std::string targets;
  targets += fmt::format("open+close overhead, unzoned\t{}\t≤ +3 %\t{}\tp10–p90 of round ratios {}–{}\n",
                         overhead(unzoned.median), unzoned.median <= 1.03 ? "met" : "missed", overhead(unzoned.p10),
                         overhead(unzoned.p90));
  targets += fmt::format("open+close overhead, zoned allowed\t{}\t≤ +8 %\t{}\tp10–p90 of round ratios {}–{}\n",
                         overhead(allowed.median), allowed.median <= 1.08 ? "met" : "missed", overhead(allowed.p10),
                         overhead(allowed.p90));
  append_file(paths.out_dir + "/targets.tsv", targets);

  size_t wrong = 0;
  for (const auto& [op, by_config] : s.unexpected)
    for (const auto& [c, n] : by_config) wrong += n;
  if (wrong) fprintf(stderr, "syva-bench ops: %zu operations had an unexpected outcome\n", wrong);
  return wrong ? 1 : 0;
}

}  // namespace syva::bench
