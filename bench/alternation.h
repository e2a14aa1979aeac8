// SPDX-License-Identifier: Apache-2.0
// Runs operations in rounds that alternate the configurations inside one
// run, so that whatever else the (shared, emulated) machine does lands on
// all of them alike. A round is two blocks, programs attached and detached,
// in turns first. In the attached block each operation cycles through the
// attached configurations (a map write apart) several times in rotating
// order; the detached block times "none" as often. Each round gives one
// median per operation and configuration; ratios pair a round's medians.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench_world.h"
#include "stats.h"

namespace syva::bench {

struct AlternationOptions {
  size_t rounds = 25;
  size_t cycles = 5;    // batches per operation and configuration per round
  double batch_ms = 5;  // each timed batch lasts about this long
  std::vector<std::string> ops;
  std::vector<Config> configs;
};

struct Samples {
  // ns per operation: every timed batch, and each round's median and
  // minimum of them. Noise on a shared host only ever adds time (the vCPU
  // preempted, an interrupt), so a round's fastest batch is its least
  // disturbed one: the minimum estimates the undisturbed cost, the median
  // the typical one.
  std::map<std::string, std::map<Config, std::vector<double>>> ns, round_median, round_min;
  // Operations whose outcome was not the expected one (success, or EPERM
  // when denied): a non-zero count means the figure measures something else.
  std::map<std::string, std::map<Config, size_t>> unexpected;
  std::map<std::string, size_t> batch;       // operations per batch
  uint64_t dropped = 0;                      // ring-buffer drops while timing
  std::vector<double> attach_ms, detach_ms;  // every enforcing program at once
};

Samples alternate(BenchWorld& world, const AlternationOptions& options);

// Per-round ratios c / base of the rounds' medians (or minimums).
std::vector<double> round_ratios(const Samples& s, const std::string& op, Config c, Config base = Config::none,
                                 bool of_minimums = false);

// A markdown table: op, configuration, median and p10-p90 of all batches,
// ratio to "none" of the rounds' medians (median over rounds, 95 % CI,
// p10-p90), overhead, the same ratio of the rounds' minimums with its CI,
// wrong outcomes.
std::string samples_table(const Samples& s, const std::vector<std::string>& ops, const std::vector<Config>& configs);
// Zoned against unzoned, both attached and interleaved every few ms: the
// cost of the zone decision itself, with the least noise this setup allows.
std::string zone_cost_table(const Samples& s, const std::vector<std::string>& ops);
// Raw samples as TSV lines: label op config batch ns_per_op.
std::string samples_tsv(const Samples& s, const std::string& label);

}  // namespace syva::bench
