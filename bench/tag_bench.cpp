// SPDX-License-Identifier: Apache-2.0
// Time to tag 100,000 host-path inodes: compile_policy() walking a real
// tree (what the agent does at start and on every policy change), then
// writing the result into a real inode_zone map. Runs in the VM and on the
// host: tagging is user space and stat() calls, so unlike the hook figures
// the host's number says something about a normal node.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_paths.h"
#include "enforcer/enforcer.h"
#include "inode_tree.h"
#include "markdown.h"
#include "stats.h"
#include "subcommands.h"

namespace syva::bench {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A plain open()+close() with no Syva program involved (none is attached
// while this runs): the VM/host ratio of this figure is how much slower the
// emulated machine runs a system call, to read the VM's absolute times by.
double open_close_ns(const std::string& file) {
  std::vector<double> per_op;
  for (int batch = 0; batch < 15; ++batch) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 2000; ++i) {
      int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) close(fd);
    }
    per_op.push_back(seconds_since(t0) * 1e9 / 2000);
  }
  return summarize(per_op).median;
}

}  // namespace

int run_tag(const Args& args) {
  const BenchPaths paths = bench_paths(args);
  const std::string where = args.str("where", "vm");
  const std::string tree = args.str("tree", "/tmp/syva-bench/tree");
  const size_t inodes = args.num("inodes", 100000);
  const size_t repeats = args.num("repeats", 5);

  const bool reused = std::filesystem::exists(tree + ".count");
  const auto t_make = std::chrono::steady_clock::now();
  make_inode_tree(tree, inodes);
  const double make_s = seconds_since(t_make);
  const double syscall_ns = open_close_ns(tree + "/d0000/f0000");

  std::vector<double> tag_s;
  std::vector<syva_inode_key> keys;
  for (size_t i = 0; i < repeats; ++i) {
    double s = 0;
    keys = tag_tree(tree, s);
    tag_s.push_back(s);
  }
  const Summary tag = summarize(tag_s);

  // Maps only: the map writes need no program, so this runs on the host too.
  double first_write = 0, rewrite = 0;
  {
    Enforcer enforcer(EnforcerOptions{paths.pin_path, false});
    CompiledPolicy p;
    p.zone_names = {"tagged"};
    syva_zone_policy defined{};
    defined.flags = SYVA_ZONE_F_DEFINED;
    p.zone_values = {defined};
    for (const auto& k : keys) p.inodes.push_back({k, 1});
    auto t0 = std::chrono::steady_clock::now();
    enforcer.apply_policy(p);
    first_write = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    enforcer.apply_policy(p);
    rewrite = seconds_since(t0);
  }

  Table t({"where", "inodes tagged", "compile_policy() median", "min–max", "runs", "first write to inode_zone",
           "rewrite (policy reload)", "plain open()+close(), no Syva"});
  t.row({where, std::to_string(keys.size()), duration_ns(tag.median * 1e9),
         duration_ns(tag.min * 1e9) + "–" + duration_ns(tag.max * 1e9), std::to_string(tag.n),
         duration_ns(first_write * 1e9), duration_ns(rewrite * 1e9), duration_ns(syscall_ns)});
  append_file(paths.out_dir + "/tag-" + where + ".md", t.str());
  append_file(
      paths.out_dir + "/targets.tsv",
      fmt::format("tag {} host-path inodes ({})\t{}\t≤ 1 s (for 100,000)\t{}\tmedian of {}; tree {} in {}; "
                  "writing them to inode_zone adds {}\n",
                  keys.size(), where, duration_ns(tag.median * 1e9), tag.median <= 1.0 ? "met" : "missed", tag.n,
                  reused ? "reused, checked" : "made", duration_ns(make_s * 1e9), duration_ns(first_write * 1e9)));
  append_file(paths.out_dir + "/reference-" + where + ".tsv", fmt::format("open_close_ns\t{:.1f}\n", syscall_ns));
  if (args.str("keep-tree", "yes") == "no") {
    std::filesystem::remove_all(tree);
    std::filesystem::remove(tree + ".count");
  }
  return 0;
}

}  // namespace syva::bench
