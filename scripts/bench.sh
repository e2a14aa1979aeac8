#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs Syva's benchmarks and writes bench/REPORT.md.
#
#   bash scripts/bench.sh          # the full run (about 10 minutes here)
#   bash scripts/bench.sh quick    # few rounds, small trees: checks the plumbing
#
# Installs what it needs (scripts/install-deps.sh), builds into
# $SYVA_BUILD_DIR (default build-bench/), measures on the host what needs no
# BPF-LSM (host-path tagging, the containerd watcher's latency), boots the
# test VM with --icount on 6.1 and 6.12 for instructions per operation
# (syva-bench cost), then once more, on wall clocks, for everything else with
# programs attached (test/vm/guest/bench.sh), and assembles the report from the fragments each
# benchmark wrote. Leaves no pins, cgroups or trees behind.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-full}
[[ $mode == full || $mode == quick ]] || { echo "usage: bench.sh [quick]" >&2; exit 64; }
build=${SYVA_BUILD_DIR:-$repo/build-bench}
report=$repo/bench/REPORT.md
say() { printf '\n==> %s\n' "$*" >&2; }

say "dependencies"
bash "$repo/scripts/install-deps.sh"

say "building into $build"
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# Only what the bench runs: every executable build/syva* goes into the VM.
cmake --build "$build" -j "$(nproc)" --target syva syva-bench syva-bench-true syva-bench-containerd

out=$build/bench-out
rm -rf "$out"
mkdir -p "$out/host"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

say "host: tagging 100,000 inodes"
inodes=100000 containers=200
[[ $mode == quick ]] && inodes=5000 containers=5
tree=$(mktemp -d /tmp/syva-bench-tree.XXXXXX)
"$build/syva-bench" tag --where host --out-dir "$out/host" --tree "$tree/tree" --inodes "$inodes" \
	--pin /sys/fs/bpf/syva-bench-host --keep-tree no || echo "tag on host failed" >>"$out/host/failed.txt"
rm -rf "$tree"

say "host: /tasks/create to map write, real containerd"
"$build/syva-bench-containerd" --out-dir "$out/host" --containers "$containers" ||
	echo "containerd latency failed" >>"$out/host/failed.txt"

# Instructions per operation: a VM whose clock counts instructions
# (--icount), once per tested kernel, before the wall-clock run.
cost_mode=cost
[[ $mode == quick ]] && cost_mode=cost-quick
for k in 6.1:linux-image-cloud-amd64 6.12:linux-image-6.12-cloud-amd64; do
	label=${k%%:*} pkg=${k#*:}
	say "VM ($label, --icount): instructions per operation"
	"$repo/test/vm/run-in-vm.sh" --build-dir "$build" --kernel "$pkg" --icount --mem 2048 --timeout 2400 \
		-- /opt/syva/guest/bench.sh "$cost_mode" || echo "cost on $label (exit $?)" >>"$out/host/failed.txt"
	mkdir -p "$out/vm-cost-$label"
	cp -r "$build/vm/out/." "$out/vm-cost-$label/" 2>/dev/null || true
done

say "VM: the kernel benchmarks"
vm_rc=0
# 10,000 container cycles of the churn replay take about 12 minutes of it.
"$repo/test/vm/run-in-vm.sh" --build-dir "$build" --mem 2048 --timeout 3600 -- /opt/syva/guest/bench.sh "$mode" ||
	vm_rc=$?
mkdir -p "$out/vm"
cp -r "$build/vm/out/." "$out/vm/" 2>/dev/null || true
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Leftovers would only come from a crash; the programs' own cleanup is the norm.
for pin in /sys/fs/bpf/syva-bench-host /sys/fs/bpf/syva-bench-containerd; do
	[[ ! -e $pin ]] || { echo "warning: removing leftover $pin" >&2; rm -rf "$pin"; }
done

say "writing $report"
bash "$repo/bench/write-report.sh" "$out" "$report" "$mode" "$started" "$load_before" "$load_after" "$vm_rc"
echo "bench: report in $report (raw data in $out)"
[[ $vm_rc -eq 0 && ! -s $out/host/failed.txt ]]
