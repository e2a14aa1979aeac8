// Runs operations in rounds that alternate the configurations inside one
// run, so that whatever else the (shared, emulated) machine does lands on
// all of them alike. The order of configurations rotates, and "none" goes
// first and last in turn, so no configuration always follows another.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench_world.h"
#include "stats.h"

namespace syva::bench {

struct AlternationOptions {
  size_t rounds = 21;
  double batch_ms = 25;  // each timed batch lasts about this long
  std::vector<std::string> ops;
  std::vector<Config> configs;
};

struct Samples {
  // ns per operation, one sample per round (a whole timed batch each).
  std::map<std::string, std::map<Config, std::vector<double>>> ns;
  // Operations whose outcome was not the expected one (success, or EPERM
  // when denied): a non-zero count means the figure measures something else.
  std::map<std::string, std::map<Config, size_t>> unexpected;
  std::map<std::string, size_t> batch;  // operations per batch
  uint64_t dropped = 0;                 // ring-buffer drops while timing
  std::vector<double> attach_ms, detach_ms;  // the 7 programs, all at once
};

Samples alternate(BenchWorld& world, const AlternationOptions& options);

// Per-round ratio config/none, summarised (paired within a round, so slow
// phases of the host cancel out).
Summary ratio_vs_none(const Samples& s, const std::string& op, Config c);

// A markdown table: op, configuration, median, p10-p90, MAD, ratio to
// "none" with its p10-p90, overhead, ratio of the fastest batches (the
// least disturbed ones), wrong outcomes.
std::string samples_table(const Samples& s, const std::vector<std::string>& ops, const std::vector<Config>& configs);
// Raw samples as TSV lines: label op config round ns_per_op.
std::string samples_tsv(const Samples& s, const std::string& label);

}  // namespace syva::bench
