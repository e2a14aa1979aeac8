// SPDX-License-Identifier: Apache-2.0
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
#include "enforcer/pins.h"
#include "markdown.h"
#include "operations.h"
#include "prog_stats.h"
#include "subcommands.h"

namespace syva::bench {

namespace {

std::vector<std::string> all_ops() {
  std::vector<std::string> names;
  for (const auto& op : operations())
    if (op.in_survey) names.push_back(op.name);
  return names;
}

std::string program_cost_table(BenchWorld& world, const Samples& s) {
  ProgStats on;
  Table t({"operation", "configuration", "Syva program runs / op", "program time / op", "share of the op's median"});
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
  opt.rounds = args.num("rounds", 25);
  opt.cycles = args.num("cycles", 5);
  opt.batch_ms = args.num("batch-ms", 5);
  opt.ops = all_ops();
  opt.configs = {kConfigs.begin(), kConfigs.end()};
  const Samples s = alternate(world, opt);

  std::string md;
  md += fmt::format("{} rounds × {} batches per operation and configuration; a batch is timed as a whole "
                    "(operations per batch:",
                    opt.rounds, opt.cycles);
  for (const auto& [name, n] : s.batch) md += fmt::format(" {} {},", name, n);
  md.back() = ')';
  md += fmt::format(". Ring-buffer drops while timing: {}. Attaching the {} enforcing programs took {} (median of "
                    "{}), detaching them {}.\n\n",
                    s.dropped, enforcing_program_names().size(), duration_ns(summarize(s.attach_ms).median * 1e6),
                    s.attach_ms.size(), duration_ns(summarize(s.detach_ms).median * 1e6));
  md += samples_table(s, opt.ops, opt.configs);
  md += "\nThe zone decision alone: zoned against unzoned, both with the programs attached, interleaved every "
        "few milliseconds (ratio of the rounds' medians):\n\n";
  md += zone_cost_table(s, opt.ops);
  md += "\nOperations:\n\n";
  for (const auto& op : operations())
    if (op.in_survey) md += fmt::format("- `{}`: {}\n", op.name, op.label);
  md += "\nConfigurations:\n\n";
  for (Config c : kConfigs) md += fmt::format("- `{}`: {}\n", config_name(c), config_label(c));
  append_file(paths.out_dir + "/ops.md", md);
  append_file(paths.out_dir + "/ops.tsv", samples_tsv(s, "ops"));
  std::string names;
  for (const auto& n : enforcing_program_names()) names += n + "\n";
  append_file(paths.out_dir + "/programs.txt", names);

  std::string cost;
  try {
    cost = program_cost_table(world, s);
  } catch (const std::exception& e) {
    cost = fmt::format("(not measured: {})\n", e.what());
  }
  append_file(paths.out_dir + "/progcost.md", cost);

  // The targets are about open()+close(): a pass of its own, with more and
  // shorter rounds than the survey above. A target is met or missed only
  // when the 95 % interval of the least-disturbed estimate (the rounds'
  // minimums) says so; an interval that straddles it means this run cannot
  // tell, and the report says so.
  AlternationOptions focus;
  focus.rounds = args.num("target-rounds", 60);
  focus.cycles = args.num("cycles", 5);
  focus.batch_ms = args.num("target-batch-ms", 2);
  focus.ops = {"open"};
  focus.configs = {kConfigs.begin(), kConfigs.end()};
  const Samples t = alternate(world, focus);
  append_file(paths.out_dir + "/open-targets.md",
              fmt::format("{} rounds × {} batches of {} open()+close() per configuration.\n\n", focus.rounds,
                          focus.cycles, t.batch.at("open")) +
                  samples_table(t, focus.ops, focus.configs) + "\n" + zone_cost_table(t, focus.ops));
  append_file(paths.out_dir + "/ops.tsv", samples_tsv(t, "open-targets"));
  auto target_line = [&](const char* what, Config c, double limit) {
    const auto by_min = round_ratios(t, "open", c, Config::none, true);
    const auto by_median = round_ratios(t, "open", c);
    const Interval ci = median_ci95(by_min), ci_med = median_ci95(by_median);
    const char* status = ci.high <= limit ? "met" : ci.low > limit ? "missed" : "not resolved";
    return fmt::format("{}\t{}\t≤ {}\t{}\tround minimums, 95 % CI {} to {}; round medians {} (CI {} to {}); {} "
                       "rounds\n",
                       what, overhead(summarize(by_min).median), overhead(limit), status, overhead(ci.low),
                       overhead(ci.high), overhead(summarize(by_median).median), overhead(ci_med.low),
                       overhead(ci_med.high), by_min.size());
  };
  append_file(paths.out_dir + "/targets.tsv",
              target_line("open+close overhead, unzoned (VM)", Config::unzoned, 1.03) +
                  target_line("open+close overhead, zoned allowed (VM)", Config::allowed, 1.08));

  size_t wrong = 0;
  for (const Samples* x : {&s, &t})
    for (const auto& [op, by_config] : x->unexpected)
      for (const auto& [c, n] : by_config) wrong += n;
  if (wrong) fprintf(stderr, "syva-bench ops: %zu operations had an unexpected outcome\n", wrong);
  return wrong ? 1 : 0;
}

}  // namespace syva::bench
