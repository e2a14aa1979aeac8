#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# In a --rootfs VM (Debian 12 with systemd and containerd): the agent's image
# (/opt/syva/files/syva-image.tar, scripts/build-image.sh) run through
# containerd as deploy/syva-daemonset.yaml runs it: the same command and
# arguments, only the capabilities it adds, the node's PID namespace, the
# same mounts, a read-only root, the runtime's default seccomp profile, its
# memory limit, not privileged. Then workload containers are checked against
# it. Prints one `ok: ...` or `FAIL: ...` line per check and ends
#   image-test: N passed, N failed
# Exit 0 when every check passed.
. /opt/syva/guest/zone-workloads.sh
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
	echo "image-test: $passed passed, $failed failed"
	[ $failed -eq 0 ]
	exit
}
ns=syva-system  # the DaemonSet's namespace; --exempt-namespace names it
agent() { ctr -n $ns "$@"; }
# The probes' command, run in the agent's container as the kubelet does.
# Unique exec ids: callers run it in pipelines (subshells).
agent_status() {
	agent task exec --exec-id "status-$(date +%s%N)" syva syva status --pin-path /sys/fs/bpf/syva "$@"
}

archive=/opt/syva/files/syva-image.tar
[ -f $archive ] || { fail "no image archive staged at $archive"; finish; }
if agent images import $archive >/dev/null 2>&1; then
	image=$(agent images ls -q | grep -m1 'syva:')
	ok "ctr images import: $image"
else
	fail "ctr images import $archive"
	finish
fi

make_owned_file
# The DaemonSet's volumes: the ConfigMap (the repository's policies, which it
# is made from) and the node's directories.
mounts="
type=bind,src=/opt/syva/policies,dst=/etc/syva/policies,options=rbind:ro
type=bind,src=/sys/fs/bpf,dst=/sys/fs/bpf,options=rbind:rw:rslave
type=bind,src=/sys/fs/cgroup,dst=/sys/fs/cgroup,options=rbind:rw
type=bind,src=/sys/kernel/btf,dst=/sys/kernel/btf,options=rbind:ro
type=bind,src=/sys/kernel/security,dst=/sys/kernel/security,options=rbind:ro
type=bind,src=/run/containerd,dst=/run/containerd,options=rbind:ro
type=bind,src=/srv/syva,dst=/srv/syva,options=rbind:ro:rslave"
set --
for m in $mounts; do set -- "$@" --mount "$m"; done
# ctr starts from the OCI default set; the DaemonSet drops ALL and adds five.
# DAC_OVERRIDE stays: the DaemonSet adds it back.
for c in CHOWN FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE; do
	set -- "$@" --cap-drop "CAP_$c"
done
for c in BPF PERFMON SYS_ADMIN SYS_PTRACE DAC_READ_SEARCH DAC_OVERRIDE; do set -- "$@" --cap-add "CAP_$c"; done
if agent run -d "$@" --with-ns pid:/proc/1/ns/pid --read-only --seccomp --memory-limit 268435456 \
	--log-uri file:///var/log/syva-agent.log "$image" syva \
	nsenter --cgroup=/proc/1/ns/cgroup -- syva \
	--policy-dir /etc/syva/policies --containerd-sock /run/containerd/containerd.sock \
	--pin-path /sys/fs/bpf/syva --metrics-address 0.0.0.0:9464 --persist \
	--unzoned isolate --exempt-namespace kube-system --exempt-namespace syva-system \
	--guard-cgroup kubepods.slice --guard-cgroup kubepods; then
	ok "the agent's container started (ctr run, not privileged)"
else
	fail "ctr run of the agent's image"
	finish
fi

# The startup probe: status exits 0 or 2 within its 3 minutes; readiness
# wants 0, which comes once containerd is linked.
i=0 rc=1
while [ $i -lt 180 ]; do
	agent_status >/dev/null 2>&1
	rc=$?
	[ $rc -eq 0 ] && break
	sleep 1
	i=$((i + 1))
done
if [ $rc -eq 0 ]; then
	ok "the readiness probe's syva status exits 0 in the container (ACTIVE, healthy) after ${i} s"
else
	agent_status
	cat /var/log/syva-agent.log
	fail "syva status in the agent's container exits $rc, not 0"
	agent task kill -s KILL syva >/dev/null 2>&1
	finish
fi
agent_status | sed 's/^/    /'

pid=$(agent task ls | awk '$1 == "syva" { print $2 }')
want=$(printf '%016x' $(((1 << 1) | (1 << 2) | (1 << 19) | (1 << 21) | (1 << 38) | (1 << 39))))
eff=$(awk '$1 == "CapEff:" { print $2 }' "/proc/$pid/status")
sec=$(awk '$1 == "Seccomp:" { print $2 }' "/proc/$pid/status")
if [ "$eff" = "$want" ] && [ "$sec" = 2 ]; then
	ok "the agent (pid $pid) holds CapEff=$eff (BPF PERFMON SYS_ADMIN SYS_PTRACE DAC_READ_SEARCH DAC_OVERRIDE only) under a seccomp filter"
else
	fail "the agent's CapEff=$eff (want $want), Seccomp=$sec (want 2)"
fi

workload_checks image
if grep -q 'DENY hook=file_open .*caller_zone=frontend target_zone=database' /var/log/syva-agent.log; then
	ok "the denial is in the container's log (DENY hook=file_open caller_zone=frontend target_zone=database)"
else
	tail -n 20 /var/log/syva-agent.log
	fail "no DENY line for the frontend container in the agent container's log"
fi
stop_workloads image

# SIGTERM with --persist (a rolling update) leaves enforcement pinned; then
# the pins are removed as the README's uninstall does.
agent task kill -s TERM syva >/dev/null 2>&1
i=0
while [ $i -lt 60 ] && agent task ls -q 2>/dev/null | grep -qx syva; do
	agent task rm syva >/dev/null 2>&1 || sleep 0.5
	i=$((i + 1))
done
if [ -e /sys/fs/bpf/syva ]; then
	ok "after SIGTERM (--persist) the pins stay, enforcing"
else
	fail "after SIGTERM with --persist the pins are gone"
fi
agent containers rm syva >/dev/null 2>&1
rm -rf /sys/fs/bpf/syva /srv/syva/database
finish
