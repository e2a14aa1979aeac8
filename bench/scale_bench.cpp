// SPDX-License-Identifier: Apache-2.0
// Cost per operation as the maps grow: 1, 100 and 10,000 zones, each with
// 100,000 real inodes in inode_zone and 1,000 real member cgroups. Map
// contents change between levels (rewriting 100,000 entries takes seconds),
// so the levels run one after another; inside a level the configurations
// alternate as in `ops`, and the ratio to "none" of the same level is the
// figure that must stay flat. The small policy runs first and again last,
// which shows how far the machine drifted meanwhile.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "alternation.h"
#include "bench_cgroup.h"
#include "bench_paths.h"
#include "bench_world.h"
#include "cpu_pin.h"
#include "inode_tree.h"
#include "markdown.h"
#include "subcommands.h"

namespace syva::bench {

namespace {

struct Level {
  std::string name;
  size_t zones;
  bool big;  // 100,000 inodes and 1,000 members
};

std::vector<size_t> parse_list(const std::string& s) {
  std::vector<size_t> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(std::stoul(s.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  return out;
}

}  // namespace

int run_scale(const Args& args) {
  const BenchPaths paths = bench_paths(args);
  // apply_policy warns once per member whose zone disappears between levels.
  spdlog::set_level(spdlog::level::err);
  pin_to_last_cpu();
  const std::string tree = args.str("tree", "/tmp/syva-bench/tree");
  const size_t inodes = args.num("inodes", 100000);
  const size_t member_count = args.num("members", 1000);

  fprintf(stderr, "syva-bench scale: making %zu inodes under %s\n", inodes, tree.c_str());
  make_inode_tree(tree, inodes);
  double tag_s = 0;
  const std::vector<syva_inode_key> keys = tag_tree(tree, tag_s);

  BenchWorld world(paths.pin_path, paths.scratch, paths.true_binary);
  std::unique_ptr<BenchCgroup> members_parent = std::make_unique<BenchCgroup>("syva-bench-members");
  std::vector<std::unique_ptr<BenchCgroup>> members;
  for (size_t i = 0; i < member_count; ++i)
    members.push_back(std::make_unique<BenchCgroup>(fmt::format("syva-bench-members/m{:04}", i)));

  std::vector<Level> levels = {{"small policy", 2, false}};
  for (size_t z : parse_list(args.str("zones", "1,100,10000"))) levels.push_back({fmt::format("{} zones", z), z, true});
  levels.push_back({"small policy (again)", 2, false});

  AlternationOptions opt;
  opt.rounds = args.num("rounds", 21);
  opt.cycles = args.num("cycles", 5);
  opt.batch_ms = args.num("batch-ms", 5);
  opt.ops = {"open", "kill0"};

  Table t({"level", "zones", "inode_zone entries", "member cgroups", "policy write", "operation", "configuration",
           "median / op", "p10–p90", "ratio vs none (round medians)", "95 % CI", "ratio (round minimums)", "95 % CI",
           "wrong outcomes"});
  std::string tsv;
  for (const auto& level : levels) {
    fprintf(stderr, "syva-bench scale: level %s\n", level.name.c_str());
    world.set_config(Config::none);
    const auto t0 = std::chrono::steady_clock::now();
    world.apply(level.zones, level.big ? keys : std::vector<syva_inode_key>{});
    size_t member_entries = 2;
    if (level.big) {
      for (size_t i = 0; i < members.size(); ++i)
        world.enforcer().set_member(members[i]->id(), static_cast<uint32_t>(i % level.zones) + 1);
      member_entries += members.size();
    } else {
      for (const auto& m : members) world.enforcer().remove_member(m->id());
    }
    const double write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (level.zones < 2) --member_entries;

    opt.configs = {Config::none, Config::unzoned, Config::allowed};
    if (level.zones >= 2) opt.configs.push_back(Config::denied);
    const Samples s = alternate(world, opt);
    for (const auto& op : opt.ops) {
      for (Config c : opt.configs) {
        const Summary v = summarize(s.ns.at(op).at(c));
        std::string r = "1 (base)", rr, m, mm;
        if (c != Config::none) {
          const auto ratios = round_ratios(s, op, c);
          const Interval ci = median_ci95(ratios);
          r = ratio(summarize(ratios).median);
          rr = ratio(ci.low) + "–" + ratio(ci.high);
          const auto mins = round_ratios(s, op, c, Config::none, true);
          const Interval mci = median_ci95(mins);
          m = ratio(summarize(mins).median);
          mm = ratio(mci.low) + "–" + ratio(mci.high);
        }
        t.row({level.name, std::to_string(level.zones), std::to_string((level.big ? keys.size() : 0) + 3),
               std::to_string(member_entries), duration_ns(write_s * 1e9), op, config_name(c), duration_ns(v.median),
               duration_ns(v.p10) + "–" + duration_ns(v.p90), r, rr, m, mm, std::to_string(s.unexpected.at(op).at(c))});
      }
    }
    tsv += samples_tsv(s, "scale:" + level.name);
  }
  world.set_config(Config::none);
  for (const auto& m : members) world.enforcer().remove_member(m->id());
  members.clear();
  members_parent.reset();

  append_file(paths.out_dir + "/scale.md",
              fmt::format("{} rounds per level. `policy write` is apply_policy() plus the member writes (the "
                          "inode_zone rewrite dominates it). The bench's three owned objects are the +3 in "
                          "inode_zone.\n\n",
                          opt.rounds) +
                  t.str());
  append_file(paths.out_dir + "/scale.tsv", tsv);
  return 0;
}

}  // namespace syva::bench
