// SPDX-License-Identifier: Apache-2.0
// Instructions per operation, for a VM booted with run-in-vm.sh --icount:
// the guest's clock then counts executed instructions (1 ns = 1
// instruction), so a figure is the same whatever else the host runs and a
// ratio is an instruction-count ratio. Five configurations in one run: no
// program, empty programs on Syva's hooks (the floor of any BPF-LSM design),
// Syva attached with the caller unzoned, zoned and allowed, zoned and
// denied, in `repeats` rounds through the five. Each round times one batch
// per operation and configuration after an untimed warm-up batch; a figure
// is the median over the rounds, reported with their spread.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <fmt/format.h>

#include "bench_paths.h"
#include "bench_world.h"
#include "cpu_pin.h"
#include "empty_programs.h"
#include "enforcer/enforcer.h"
#include "enforcer/pins.h"
#include "markdown.h"
#include "operations.h"
#include "prog_stats.h"
#include "stats.h"
#include "subcommands.h"
#include "syva.skel.h"
#include "trampoline_frees.h"

namespace syva::bench {

namespace {

enum class Cost { none, empty, unzoned, allowed, denied };
constexpr Cost kCosts[] = {Cost::none, Cost::empty, Cost::unzoned, Cost::allowed, Cost::denied};

const char* cost_name(Cost c) {
  switch (c) {
    case Cost::none: return "none";
    case Cost::empty: return "empty";
    case Cost::unzoned: return "unzoned";
    case Cost::allowed: return "allowed";
    case Cost::denied: return "denied";
  }
  return "?";
}

double clock_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

struct Figure {
  std::vector<double> per_op;  // each timed batch
  size_t ok = 0, tried = 0;    // outcomes over the timed batches
  double median() const { return summarize(per_op).median; }
  // (max - min) / median of the batches, in percent.
  double spread() const {
    const Summary s = summarize(per_op);
    return s.median > 0 ? 100.0 * (s.max - s.min) / s.median : 0;
  }
};

// Operations per batch so that a batch is about `batch` instructions, found
// with no program attached. At most 4000: a denied batch writes one event
// each into the 1 MiB ring buffer, which must not fill (a drop is cheaper
// than an event and would flatter the denied figure).
size_t batch_size(BenchWorld& world, const Operation& op, double batch) {
  op.run(world.targets(), 3);
  size_t n = 1;
  double per_op = 0;
  for (;;) {
    const double t0 = clock_ns();
    op.run(world.targets(), n);
    const double elapsed = clock_ns() - t0;
    per_op = elapsed / double(n);
    if (elapsed > batch / 4 || n >= 4096) break;
    n *= 2;
  }
  return std::clamp<size_t>(static_cast<size_t>(std::ceil(batch / per_op)), 10, 4000);
}

class Configurations {
 public:
  Configurations(BenchWorld& world, EmptyPrograms& empty, int settle_ms)
      : world_(world), empty_(empty), settle_ms_(settle_ms) {}
  void set(Cost c) {
    const bool attachment_changes = c != current_ && (c == Cost::none || c == Cost::empty || current_ == Cost::none ||
                                                      current_ == Cost::empty);
    if (c == Cost::empty) {
      world_.set_config(Config::none);
      empty_.attach();
    } else {
      empty_.detach();
      world_.set_config(c == Cost::none      ? Config::none
                        : c == Cost::unzoned ? Config::unzoned
                        : c == Cost::allowed ? Config::allowed
                                             : Config::denied);
    }
    // The kernel's deferred work after an attach or detach (RCU callbacks,
    // trampolines freed) runs before anything is counted.
    if (attachment_changes) usleep(settle_ms_ * 1000);
    current_ = c;
  }

 private:
  BenchWorld& world_;
  EmptyPrograms& empty_;
  int settle_ms_;
  Cost current_ = Cost::none;
};

std::string instructions(double v) {
  if (v >= 1e6) return fmt::format("{:.3f} M", v / 1e6);
  std::string digits = fmt::format("{:.0f}", v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Each enforcing program's (runs, run time) now; under -icount the run time
// is instructions (plus the accounting's own clock reads).
std::map<std::string, ProgRun> program_runs(Enforcer& enforcer) {
  std::map<std::string, ProgRun> out;
  for (const auto& name : enforcing_program_names()) {
    bpf_program* prog = bpf_object__find_program_by_name(enforcer.skeleton()->obj, name.c_str());
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (!prog || bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0) continue;
    out[name] = {info.run_cnt, info.run_time_ns};
  }
  return out;
}

// --per-program: which of Syva's programs an operation runs, and what each
// costs per operation, by configuration (a separate pass with the kernel's
// accounting on, never while the figures above are timed).
std::string per_program(BenchWorld& world, Configurations& config, const std::vector<Operation>& ops,
                        const std::map<std::string, size_t>& n) {
  ProgStats on;
  Table t({"operation", "configuration", "program", "runs / op", "instructions / run"});
  for (const auto& op : ops)
    for (Cost c : {Cost::unzoned, Cost::allowed, Cost::denied}) {
      config.set(c);
      const size_t k = n.at(op.name);
      op.run(world.targets(), std::max<size_t>(k / 4, 3));
      if (c == Cost::denied) world.drain_events();
      const auto before = program_runs(world.enforcer());
      op.run(world.targets(), k);
      const auto after = program_runs(world.enforcer());
      if (c == Cost::denied) world.drain_events();
      for (const auto& [name, run] : after) {
        const ProgRun& was = before.at(name);
        if (run.count == was.count) continue;
        const double runs = double(run.count - was.count);
        t.row({op.name, cost_name(c), name, fmt::format("{:.2f}", runs / double(k)),
               fmt::format("{:.0f}", double(run.ns - was.ns) / runs)});
      }
    }
  config.set(Cost::none);
  return t.str();
}

}  // namespace

int run_cost(const Args& args) {
  const BenchPaths paths = bench_paths(args);
  // --only open,chmod: a subset, for trying a change to one hook quickly.
  const std::string only = "," + args.str("only", "") + ",";
  std::vector<Operation> ops;
  for (const auto& op : operations())
    if (only == ",," || only.find("," + op.name + ",") != std::string::npos) ops.push_back(op);
  if (ops.empty()) throw std::invalid_argument("--only names no operation");
  const size_t repeats = args.num("repeats", 3);
  const double batch = double(args.num("batch-instructions", 20'000'000));
  const int settle_ms = int(args.num("settle-ms", 1000));
  pin_to_last_cpu();
  BenchWorld world(paths.pin_path, paths.scratch, paths.true_binary);
  world.apply(2, {});
  EmptyPrograms empty(world.enforcer());
  Configurations config(world, empty, settle_ms);
  // The bench's own start (loading, map writes, cgroups) settles first.
  usleep(settle_ms * 1000);

  std::map<std::string, size_t> n;
  config.set(Cost::none);
  for (const auto& op : ops) n[op.name] = batch_size(world, op, batch);

  // Rounds through the configurations, so that whatever drifts over the run
  // (the kernel's background work, caches filling) lands on all of them.
  std::map<std::string, std::map<Cost, Figure>> fig;
  std::string tsv;
  // Each round starts one configuration later: on 6.12 a kernel state that
  // adds ~500 instructions to every open()+close() or SIGIO operation of a
  // batch, with no program attached as well, can settle into one place in
  // the sequence and, replayed exactly under -icount, recur there in every
  // round; rotated, it falls on different configurations and the median
  // leaves it out.
  for (size_t r = 0; r < repeats; ++r) {
    for (size_t i = 0; i < std::size(kCosts); ++i) {
      const Cost c = kCosts[(i + r) % std::size(kCosts)];
      config.set(c);
      for (const auto& op : ops) {
        const size_t k = n.at(op.name);
        world.set_workload(op.workload);
        op.run(world.targets(), std::max<size_t>(k / 2, 3));  // warm-up, untimed
        if (c == Cost::denied) world.drain_events();
        Figure& f = fig[op.name][c];
        const double t0 = clock_ns();
        const size_t ok = op.run(world.targets(), k);
        const double per_op = (clock_ns() - t0) / double(k);
        f.per_op.push_back(per_op);
        f.ok += ok;
        f.tried += k;
        tsv += fmt::format("cost\t{}\t{}\t{}\t{}\t{:.1f}\n", r, op.name, cost_name(c), k, per_op);
        if (c == Cost::denied) world.drain_events();
      }
    }
  }
  world.set_workload(false);
  config.set(Cost::none);

  Table abs({"operation", "ops / batch", "none", "empty programs", "Syva, unzoned", "zoned, allowed", "zoned, denied",
             "largest spread"});
  Table rel({"operation", "empty / none", "unzoned / none", "allowed / none", "denied / none",
             "unzoned overhead ÷ floor overhead", "above the floor: unzoned, allowed, denied"});
  Table outcome({"operation", "none", "empty", "unzoned", "allowed", "denied"});
  for (const auto& op : ops) {
    const auto& f = fig.at(op.name);
    std::vector<std::string> row = {"`" + op.name + "`", fmt::format("{}", n.at(op.name))};
    double spread = 0;
    for (Cost c : kCosts) {
      row.push_back(instructions(f.at(c).median()));
      spread = std::max(spread, f.at(c).spread());
    }
    row.push_back(fmt::format("{:.2f} %", spread));
    abs.row(row);
    const double none = f.at(Cost::none).median(), floor = f.at(Cost::empty).median();
    const double floor_over = floor - none;
    auto over = [&](Cost c) { return f.at(c).median() - none; };
    rel.row({"`" + op.name + "`", overhead(floor / none), overhead(f.at(Cost::unzoned).median() / none),
             overhead(f.at(Cost::allowed).median() / none), overhead(f.at(Cost::denied).median() / none),
             floor_over > 0 ? fmt::format("{:.2f}x", over(Cost::unzoned) / floor_over) : "n/a",
             fmt::format("{:+.0f}, {:+.0f}, {:+.0f}", f.at(Cost::unzoned).median() - floor,
                         f.at(Cost::allowed).median() - floor, f.at(Cost::denied).median() - floor)});
    std::vector<std::string> orow = {"`" + op.name + "`"};
    for (Cost c : kCosts) orow.push_back(fmt::format("{}/{}", f.at(c).ok, f.at(c).tried));
    outcome.row(orow);
  }

  // The targets of issue 16, for open()+close().
  Table targets({"target (open()+close())", "measured", "limit", "status"});
  if (fig.count("open")) {
    const auto& open = fig.at("open");
    const double none = open.at(Cost::none).median(), floor_over = open.at(Cost::empty).median() - none;
    const double unzoned_x = (open.at(Cost::unzoned).median() - none) / floor_over;
    const double allowed_r = open.at(Cost::allowed).median() / none;
    targets.row({"unzoned caller's overhead ÷ the empty programs' overhead", fmt::format("{:.2f}x", unzoned_x), "1.25x",
                 unzoned_x <= 1.25 ? "met" : "missed"});
    targets.row({"zoned caller opening its own zone's file, against no program", overhead(allowed_r), "+10.0 %",
                 allowed_r <= 1.10 ? "met" : "missed"});
  }
  if (fig.count("open-unowned")) {
    const auto& open = fig.at("open-unowned");
    const double r = open.at(Cost::allowed).median() / open.at(Cost::none).median();
    targets.row({"zoned caller opening a file no zone owns (`open-unowned`), against no program", overhead(r), "+8.0 %",
                 r <= 1.08 ? "met" : "missed"});
  }

  std::string md;
  md += fmt::format("Instructions per operation (guest clock under `-icount shift=0,sleep=off`, one vCPU): each "
                    "figure is the median of {} rounds through the five configurations, each timing one batch of "
                    "about {} instructions after an untimed warm-up batch; {} empty programs on Syva's hooks form the floor. \"largest spread\" is (max - min) / "
                    "median over the batches of a figure, the largest of the row.\n\n",
                    repeats, instructions(batch), empty.hooks());
  md += trampoline_wait_summary();
  md += abs.str();
  md += "\nAgainst no program, and Syva above the empty-program floor (instructions per operation):\n\n";
  md += rel.str();
  md += "\n";
  md += targets.str();
  md += "\nOutcomes (succeeded / tried, timed batches): the denied configuration is refused only where a hook "
        "judges the operation against zone A's target.\n\n";
  md += outcome.str();
  if (args.str("per-program", "no") == "yes")
    md += "\nSyva's programs per operation (kernel.bpf_stats_enabled, a separate pass):\n\n" +
          per_program(world, config, ops, n);
  md += "\nOperations:\n\n";
  for (const auto& op : ops) md += fmt::format("- `{}`: {}\n", op.name, op.label);
  append_file(paths.out_dir + "/cost.md", md);
  append_file(paths.out_dir + "/cost.tsv", tsv);
  return 0;
}

}  // namespace syva::bench
