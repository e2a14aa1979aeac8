#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# In a --rootfs VM (Debian 12 with systemd): the Debian package made by the
# build (/opt/syva/files/syva_*.deb) installed with dpkg and run as
# syva.service. Prints one `ok: ...` or `FAIL: ...` line per check and ends
#   package-test: N passed, N failed
# Exit 0 when every check passed.
. /opt/syva/guest/zone-workloads.sh
passed=0 failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
agent_status() { syva status "$@"; }
finish() {
	echo "package-test: $passed passed, $failed failed"
	[ $failed -eq 0 ]
	exit
}

# Waits until syva.service has a main process other than OLD (30 s).
wait_main_pid() { # OLD
	i=0
	while [ $i -lt 60 ]; do
		pid=$(systemctl show -p MainPID --value syva.service)
		[ -n "$pid" ] && [ "$pid" != 0 ] && [ "$pid" != "$1" ] && return 0
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}

# Waits until `syva status` exits 0: enforcing, healthy (containerd linked).
# Gives up at once when the agent exits (systemd counts a restart).
wait_healthy() {
	restarts=$(systemctl show -p NRestarts --value syva.service)
	i=0
	while [ $i -lt 90 ]; do
		syva status >/dev/null 2>&1 && return 0
		[ "$(systemctl show -p NRestarts --value syva.service)" = "$restarts" ] || return 1
		sleep 1
		i=$((i + 1))
	done
	return 1
}

deb=$(ls /opt/syva/files/syva_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { fail "no syva_*.deb staged in /opt/syva/files"; finish; }
if out=$(dpkg -i "$deb" 2>&1); then
	ok "dpkg -i $(basename "$deb"): its Depends are satisfied by Debian 12 packages"
else
	echo "$out"
	fail "dpkg -i $(basename "$deb")"
	finish
fi
for f in /usr/bin/syva /etc/syva/policies/database.toml /etc/syva/policies/frontend.toml /lib/systemd/system/syva.service; do
	[ -e "$f" ] || fail "the package did not install $f"
done
conffiles=$(dpkg-query -W -f='${Conffiles}' syva)
if echo "$conffiles" | grep -q '/etc/syva/policies/database.toml'; then
	ok "the policies are conffiles"
else
	fail "the policies are not conffiles: $conffiles"
fi
if systemctl is-active --quiet syva.service || systemctl is-enabled --quiet syva.service; then
	fail "installing enabled or started syva.service (the operator reviews the policies first)"
else
	ok "installing left syva.service stopped and disabled"
fi

make_owned_file
systemctl start syva.service
if wait_healthy; then
	ok "systemctl start syva: syva status exits 0 (ACTIVE, healthy)"
else
	syva status
	journalctl -u syva.service --no-pager | tail -n 30
	fail "syva status did not report ACTIVE and healthy after systemctl start syva"
	finish
fi
syva status | sed 's/^/    /'

# The hardening in force: exactly the six capabilities, no new privileges,
# the file system read-only outside the pins and the cgroups.
pid=$(systemctl show -p MainPID --value syva.service)
want=$(printf '%016x' $(((1 << 1) | (1 << 2) | (1 << 19) | (1 << 21) | (1 << 38) | (1 << 39))))
bnd=$(awk '$1 == "CapBnd:" { print $2 }' "/proc/$pid/status")
nnp=$(awk '$1 == "NoNewPrivs:" { print $2 }' "/proc/$pid/status")
if [ "$bnd" = "$want" ] && [ "$nnp" = 1 ]; then
	ok "the agent runs with CapBnd=$bnd (BPF PERFMON SYS_ADMIN SYS_PTRACE DAC_READ_SEARCH DAC_OVERRIDE) and NoNewPrivs"
else
	fail "the agent's CapBnd=$bnd (want $want), NoNewPrivs=$nnp"
fi
if nsenter -t "$pid" -m sh -c 'touch /usr/syva-write-probe' 2>/dev/null; then
	rm -f /usr/syva-write-probe
	fail "/usr is writable in the agent's mount namespace (ProtectSystem=strict)"
else
	# bpffs holds no ordinary files to touch: its mount's options tell.
	bpf_opts=$(nsenter -t "$pid" -m awk '$5 == "/sys/fs/bpf" { o = $6 } END { print o }' /proc/self/mountinfo)
	cg_opts=$(nsenter -t "$pid" -m awk '$5 == "/sys/fs/cgroup" { o = $6 } END { print o }' /proc/self/mountinfo)
	case "$bpf_opts,$cg_opts" in
	rw*,rw*) ok "in the agent's mount namespace /usr is read-only, /sys/fs/bpf and /sys/fs/cgroup read-write" ;;
	*) fail "in the agent's mount namespace /sys/fs/bpf is mounted '$bpf_opts', /sys/fs/cgroup '$cg_opts' (want rw)" ;;
	esac
fi

workload_checks package
if journalctl -u syva.service --no-pager | grep -q 'DENY hook=file_open .*caller_zone=frontend target_zone=database'; then
	ok "the denial is in the journal (journalctl -u syva: DENY hook=file_open caller_zone=frontend target_zone=database)"
else
	journalctl -u syva.service --no-pager | tail -n 20
	fail "no DENY line for the frontend container in journalctl -u syva"
fi

# Restart=on-failure: a SIGKILLed agent is started again and adopts the pins
# (membership kept); the pinned programs enforce in between.
kill -KILL "$pid"
if wait_main_pid "$pid" && wait_healthy && wait_members frontend 1; then
	ok "after SIGKILL systemd restarted the agent (NRestarts=$(systemctl show -p NRestarts --value syva.service)); ACTIVE, healthy, frontend still 1 member"
else
	systemctl status syva.service --no-pager
	fail "the agent was not restarted healthy after SIGKILL"
fi
stop_workloads package

systemctl stop syva.service
if [ ! -e /sys/fs/bpf/syva ] && ! syva status >/dev/null 2>&1; then
	ok "systemctl stop syva: programs detached, pins removed, syva status exits 1"
else
	fail "after systemctl stop syva: pins left or syva status still passes"
fi
rm -rf /srv/syva/database
finish
