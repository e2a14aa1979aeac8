#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# In the VM: Syva's benchmarks that need BPF-LSM (scripts/bench.sh boots the
# VM with this and writes bench/REPORT.md from what comes back). Every result
# file goes to the host through emit-file.sh. Usage: bench.sh [quick|cost|cost-quick|floor]
# ("quick": few rounds and a small tree, to check the plumbing; "cost": only
# the instruction counts, in a VM booted with run-in-vm.sh --icount). After
# cost or cost-quick, further words go to `syva-bench cost` (e.g. --only
# open,uring) and the agent's start-up is not measured.
set -u
mode=${1:-full}
[ $# -gt 0 ] && shift
out=/tmp/syva-bench/out
mkdir -p "$out"

if [ "$mode" = quick ]; then
	target_rounds=4 rounds=3 scale_rounds=3 inodes=5000 members=50 zones=1,100 runs=2 idle=2 rates=1000,0 secs=1
	churn_cycles=300 churn_every=100
else
	# Sized so that the whole scripts/bench.sh fits in about half an hour on
	# a shared 2-core host: the ratios that hold a target come from the
	# --icount boots, which do not need many rounds.
	target_rounds=20 rounds=9 scale_rounds=7 inodes=100000 members=1000 zones=1,100,10000 runs=3 idle=5 rates=1000,5000,20000,0 secs=2
	churn_cycles=10000 churn_every=1000
fi

{
	echo "kernel=$(uname -r)"
	echo "lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)"
	echo "cpus=$(nproc)"
	echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
	echo "mem_mib=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)"
	echo "mode=$mode"
	# Tasks RCU callback laziness (6.7+), which delays freeing a detached
	# program's trampoline.
	echo "rcu_tasks_lazy_ms=$(cat /sys/module/rcupdate/parameters/rcu_tasks_lazy_ms 2>/dev/null || echo absent)"
} >"$out/guest.txt"

emit_all() {
	for f in "$out"/*; do
		sh /opt/syva/guest/emit-file.sh "$(basename "$f")" "$f"
	done
}

case $mode in
floor)
	# The floor hook by hook (syva-bench floor; arguments after "floor").
	syva-bench floor --out-dir "$out" "$@"
	rc=$?
	[ $rc -eq 0 ] || echo floor >>"$out/failed.txt"
	emit_all
	exit $rc
	;;
cost | cost-quick)
	batch=10000000 repeats=3 runs=3
	[ "$mode" = cost-quick ] && batch=2000000 runs=1
	syva-bench cost --out-dir "$out" --batch-instructions $batch --repeats $repeats "$@"
	rc=$?
	[ $rc -eq 0 ] || echo cost >>"$out/failed.txt"
	if [ $# -gt 0 ]; then
		emit_all
		exit $rc
	fi
	# Start-up to enforcing on this kernel, counted in instructions (the
	# guest clock under --icount): written as agent.md next to cost.md.
	if ! syva-bench agent --out-dir "$out" --runs $runs --idle-seconds 2; then
		echo agent >>"$out/failed.txt"
		rc=1
	fi
	emit_all
	exit $rc
	;;
esac

rc=0
# One benchmark; a failure is recorded and the others still run.
step() {
	name=$1
	shift
	echo "==> $name: $*"
	t0=$(date +%s)
	if ! "$@"; then
		echo "!! $name failed"
		echo "$name" >>"$out/failed.txt"
		rc=1
	fi
	echo "<== $name: $(($(date +%s) - t0)) s"
}

step ops syva-bench ops --out-dir "$out" --rounds $rounds --target-rounds $target_rounds
step scale syva-bench scale --out-dir "$out" --rounds $scale_rounds --inodes $inodes --members $members --zones $zones
step tag syva-bench tag --out-dir "$out" --where vm --inodes $inodes --keep-tree no
step agent syva-bench agent --out-dir "$out" --runs $runs --idle-seconds $idle
# The agent's memory over container churn: its watcher on a fake containerd
# replaying start/stop cycles with real cgroups and processes.
step churn syva-bench churn --out-dir "$out" --cycles $churn_cycles --sample-every $churn_every

# The event path needs the real agent running, with a file a zone owns.
events() {
	mkdir -p /srv/syva/database /srv/syva/monitoring
	echo "customer records" >/srv/syva/database/customers.db
	log=/tmp/syva-bench/agent-events.log
	syva --policy-dir /opt/syva/policies --pin-path /sys/fs/bpf/syva-bench-agent \
		--containerd-sock /run/syva-bench-no-containerd.sock >"$log" 2>&1 &
	agent=$!
	i=0
	until grep -q "enforcing:" "$log"; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 $agent 2>/dev/null; then
			cat "$log"
			return 1
		fi
		sleep 0.1
	done
	syva-bench events --out-dir "$out" --agent-pid $agent --log "$log" --rates $rates --seconds $secs
	ev=$?
	kill -TERM $agent
	wait $agent
	agent_rc=$?
	grep -v "DENY" "$log" | tail -n 20 >"$out/agent-events-log-tail.txt"
	[ $ev -eq 0 ] && [ $agent_rc -eq 0 ]
}
step events events

emit_all
exit $rc
