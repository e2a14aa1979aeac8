// SPDX-License-Identifier: Apache-2.0
// Where the empty-program floor's cost comes from (issue 16): instructions
// per operation, as `syva-bench cost` counts them (VM with --icount), for
// configurations named on the command line, in rounds through them in the
// order given:
//   none            no program
//   empty           the empty programs on all of Syva's hooks
//   syva            Syva's programs, caller in no zone
//   empty:H1+H2     the empty programs on hooks H1 and H2 only
//   syva:H1+H2      Syva's programs on hooks H1 and H2 only
// For each configuration it also lists the BPF-LSM links the kernel holds
// (so that two configurations' hook sets are compared as the kernel sees
// them, whoever attached them) and, in a separate pass with the kernel's
// run accounting on, how many times each attached program ran per operation.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_paths.h"
#include "bench_world.h"
#include "cpu_pin.h"
#include "empty_programs.h"
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

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, sep);)
    if (!item.empty()) out.push_back(item);
  return out;
}

double clock_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

struct LsmLink {
  std::string hook;  // bpf_lsm_<hook> without the prefix
  std::string prog;  // the program's name
  uint32_t prog_id = 0;
};

// Every BPF-LSM link in the kernel now, whoever made it.
std::vector<LsmLink> kernel_lsm_links(const btf* vmlinux) {
  std::vector<LsmLink> out;
  for (uint32_t id = 0; bpf_link_get_next_id(id, &id) == 0;) {
    const int fd = bpf_link_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_link_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == BPF_LINK_TYPE_TRACING &&
        info.tracing.attach_type == BPF_LSM_MAC) {
      LsmLink l;
      l.prog_id = info.prog_id;
      const btf_type* t = btf__type_by_id(vmlinux, info.tracing.target_btf_id);
      std::string name = t ? btf__name_by_offset(vmlinux, t->name_off) : "?";
      l.hook = name.starts_with("bpf_lsm_") ? name.substr(8) : name;
      bpf_prog_info pinfo{};
      uint32_t plen = sizeof(pinfo);
      const int pfd = bpf_prog_get_fd_by_id(info.prog_id);
      if (pfd >= 0 && bpf_obj_get_info_by_fd(pfd, &pinfo, &plen) == 0) l.prog = pinfo.name;
      if (pfd >= 0) close(pfd);
      out.push_back(l);
    }
    close(fd);
  }
  return out;
}

uint64_t run_count(uint32_t prog_id) {
  const int fd = bpf_prog_get_fd_by_id(prog_id);
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  const bool ok = fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0;
  if (fd >= 0) close(fd);
  return ok ? info.run_cnt : 0;
}

std::string lsm_hook(bpf_program* prog) {
  const std::string section = bpf_program__section_name(prog);
  return section.starts_with("lsm/") ? section.substr(4) : "";
}

// Syva's enforcing programs on some hooks, the caller in no zone.
class SyvaSubset {
 public:
  explicit SyvaSubset(Enforcer& e) : e_(e) {}
  ~SyvaSubset() { detach(); }
  void attach(const std::set<std::string>& hooks) {
    for (bpf_program* prog : enforcing_programs(*e_.skeleton())) {
      if (bpf_program__fd(prog) < 0 || !hooks.count(lsm_hook(prog))) continue;
      bpf_link* link = bpf_program__attach_lsm(prog);
      if (!link) throw std::runtime_error(fmt::format("attaching {} failed", bpf_program__name(prog)));
      links_.push_back(link);
    }
  }
  void detach() {
    if (links_.empty()) return;
    for (auto* l : links_) bpf_link__destroy(l);
    links_.clear();
    wait_for_trampoline_frees();
  }

 private:
  Enforcer& e_;
  std::vector<bpf_link*> links_;
};

// Time on the CPU (ns; instructions under -icount) of every thread but the
// bench's own, by "comm[tid]": what other threads ran during a batch.
std::map<std::string, double> other_threads() {
  std::map<std::string, double> out;
  const std::string self = std::to_string(gettid());
  for (const auto& proc : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = proc.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(proc.path() / "task", ec)) {
      const std::string tid = task.path().filename();
      if (tid == self) continue;
      std::ifstream stat(task.path() / "schedstat"), comm(task.path() / "comm");
      double ns = 0;
      std::string name;
      if (!(stat >> ns)) continue;
      std::getline(comm, name);
      out[name + "[" + tid + "]"] = ns;
    }
  }
  return out;
}

// What other threads ran between two snapshots: the total and the largest.
std::pair<double, std::string> others_between(const std::map<std::string, double>& a,
                                              const std::map<std::string, double>& b) {
  double total = 0, top = 0;
  std::string who;
  for (const auto& [name, ns] : b) {
    const auto it = a.find(name);
    const double d = ns - (it == a.end() ? 0 : it->second);
    total += d;
    if (d > top) top = d, who = name;
  }
  return {total, who};
}

}  // namespace

int run_floor(const Args& args) {
  const BenchPaths paths = bench_paths(args);
  std::vector<Operation> ops;
  for (const auto& name : split(args.str("only", "open"), ',')) ops.push_back(operation(name));
  const std::vector<std::string> configs = split(args.str("configs", "none,empty,syva"), ',');
  const size_t repeats = args.num("repeats", 3);
  // Operations per batch: --ops-per-batch, or with --batch-instructions as
  // many as make that many instructions with no program (as `cost` sizes them).
  const size_t fixed_k = args.num("ops-per-batch", 1000);
  const double batch = double(args.num("batch-instructions", 0));
  const int settle_ms = int(args.num("settle-ms", 1000));
  set_trampoline_waits(args.num("wait-frees", 1) != 0);
  // Counting the images reads /proc/kallsyms, so only when asked.
  const bool count_pending = args.num("count-pending", 0) != 0;
  // Other threads' time during each batch (in the TSV), from /proc.
  const bool count_others = args.num("count-others", 0) != 0;
  std::map<std::string, std::map<std::string, double>> other_max;
  pin_to_last_cpu();
  BenchWorld world(paths.pin_path, paths.scratch, paths.true_binary);
  world.apply(2, {});
  world.set_config(Config::none);
  EmptyPrograms empty(world.enforcer());
  SyvaSubset syva(world.enforcer());
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) throw std::runtime_error("no vmlinux BTF");
  std::vector<std::string> all_hooks;
  for (bpf_program* prog : enforcing_programs(*world.enforcer().skeleton()))
    if (bpf_program__fd(prog) >= 0 && !lsm_hook(prog).empty()) all_hooks.push_back(lsm_hook(prog));
  const std::set<std::string> all(all_hooks.begin(), all_hooks.end());

  auto set = [&](const std::string& c) {
    empty.detach();
    syva.detach();
    world.set_config(Config::none);
    const auto colon = c.find(':');
    const std::string kind = c.substr(0, colon);
    std::set<std::string> hooks = all;
    if (colon != std::string::npos) {
      const auto list = split(c.substr(colon + 1), '+');
      hooks = std::set<std::string>(list.begin(), list.end());
    }
    if (kind == "empty")
      empty.attach_only(std::vector<std::string>(hooks.begin(), hooks.end()));
    else if (kind == "syva")
      syva.attach(hooks);
    else if (kind != "none")
      throw std::invalid_argument("unknown configuration " + c);
    usleep(settle_ms * 1000);
  };

  std::map<std::string, std::map<std::string, std::vector<double>>> fig;      // op -> config -> per-op
  std::map<std::string, std::map<std::string, std::vector<double>>> pending;  // unlinked images at each batch
  std::string tsv;
  usleep(settle_ms * 1000);
  std::map<std::string, size_t> n;
  for (const auto& op : ops) {
    n[op.name] = fixed_k;
    if (batch <= 0) continue;
    op.run(world.targets(), 3);
    const double t0 = clock_ns();
    op.run(world.targets(), 20);
    const double per_op = (clock_ns() - t0) / 20;
    n[op.name] = std::clamp<size_t>(static_cast<size_t>(batch / per_op), 10, 4000);
  }
  for (size_t r = 0; r < repeats; ++r)
    for (const auto& c : configs) {
      set(c);
      for (const auto& op : ops) {
        const size_t k = n.at(op.name);
        world.set_workload(op.workload);
        op.run(world.targets(), k / 2);
        if (count_pending) pending[op.name][c].push_back(double(unlinked_trampoline_images()));
        std::map<std::string, double> before;
        if (count_others) before = other_threads();
        const double t0 = clock_ns();
        op.run(world.targets(), k);
        const double per_op = (clock_ns() - t0) / double(k);
        fig[op.name][c].push_back(per_op);
        std::string others;
        if (count_others) {
          const auto [total, who] = others_between(before, other_threads());
          others = fmt::format("\t{:.0f}\t{}", total, who);
          other_max[op.name][c] = std::max(other_max[op.name][c], total);
        }
        tsv += fmt::format("floor\t{}\t{}\t{}\t{:.1f}{}\n", r, op.name, c, per_op, others);
        world.drain_events();
      }
    }

  // Links and run counts, untimed.
  std::string md = fmt::format(
      "Instructions per operation, median of {} rounds of {}; settle {} ms; {}{}.\n\n", repeats,
      batch > 0 ? fmt::format("batches of about {:.0f} M instructions", batch / 1e6)
                : fmt::format("{} operations", fixed_k),
      settle_ms,
      args.num("wait-frees", 1) ? "waiting for detached trampolines to be freed"
                                : "not waiting for detached trampolines to be freed",
      std::string(count_pending ? "; in parentheses, the most trampoline images left unfreed by an earlier "
                                  "detach at the start of a timed batch"
                                : "") +
          (count_others ? "; in brackets, the most instructions other threads ran during one timed batch" : ""));
  std::vector<std::string> header = {"operation"};
  header.insert(header.end(), configs.begin(), configs.end());
  Table t(header);
  for (const auto& op : ops) {
    std::vector<std::string> row = {"`" + op.name + "`"};
    for (const auto& c : configs) {
      const auto& p = pending[op.name][c];
      row.push_back(fmt::format("{:.0f}", summarize(fig[op.name][c]).median) +
                    (p.empty() ? "" : fmt::format(" ({:.0f})", *std::max_element(p.begin(), p.end()))) +
                    (count_others ? fmt::format(" [{:.0f}]", other_max[op.name][c]) : ""));
    }
    t.row(row);
  }
  md += t.str();
  md += "\nBPF-LSM links in the kernel per configuration, and runs per operation of each attached program "
        "(kernel.bpf_stats_enabled, a separate untimed pass):\n\n";
  Table runs({"configuration", "LSM links", "hooks not in Syva's set", "Syva's hooks without a link", "operation",
              "program runs per operation (hook: runs)"});
  std::set<std::string> done;
  for (const auto& c : configs) {
    if (!done.insert(c).second) continue;
    set(c);
    const auto links = kernel_lsm_links(vmlinux);
    std::set<std::string> linked;
    for (const auto& l : links) linked.insert(l.hook);
    std::string extra, missing;
    for (const auto& h : linked)
      if (!all.count(h)) extra += h + " ";
    for (const auto& h : all)
      if (!linked.count(h)) missing += h + " ";
    if (c.find(':') != std::string::npos || c == "none") missing = "(subset)";
    for (const auto& op : ops) {
      std::map<uint32_t, uint64_t> before;
      {
        ProgStats on;
        for (const auto& l : links) before[l.prog_id] = run_count(l.prog_id);
        const size_t k = n.at(op.name);
        world.set_workload(op.workload);
        op.run(world.targets(), k);
        std::string per;
        for (const auto& l : links) {
          const double n = double(run_count(l.prog_id) - before[l.prog_id]) / double(k);
          if (n > 0) per += fmt::format("{}: {:.2f}; ", l.hook, n);
        }
        runs.row({c, fmt::format("{}", links.size()), extra, missing, op.name, per});
      }
      world.drain_events();
    }
  }
  md += runs.str();
  md += "\nTrampoline images left right after each detach, and guest time until the kernel freed them:\n\n";
  Table waits({"detach", "images pending", "freed after (ms)", "freed"});
  for (size_t i = 0; i < trampoline_waits().size(); ++i) {
    const auto& w = trampoline_waits()[i];
    waits.row({fmt::format("{}", i + 1), fmt::format("{}", w.pending), fmt::format("{:.0f}", w.waited_ms),
               w.freed ? "yes" : "no (timeout)"});
  }
  md += waits.str();
  empty.detach();
  syva.detach();
  world.set_workload(false);
  world.set_config(Config::none);
  btf__free(vmlinux);
  append_file(paths.out_dir + "/floor.md", md);
  append_file(paths.out_dir + "/floor.tsv", tsv);
  return 0;
}

}  // namespace syva::bench
