#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# In the VM: the agent on the shipped policies/, a real containerd and runc,
# containers put in zones by their labels, and a container in zone frontend
# denied every way into a database container; then `syva status`.
set -u
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
d=/tmp/demo
sock=$d/containerd.sock
ctr() { command ctr --address "$sock" -n demo "$@"; }
# In each container: the node's PID namespace (as a hostPID pod), /tmp/shared
# (below both zones' writable_paths: binding a socket makes an entry) for
# a Unix socket, /srv/syva from the node, and the probe (exit code = errno).
# --no-pivot: this VM's root is an initramfs, which pivot_root refuses.
run() { # ID ZONE COMMAND...
	id=$1 zone=$2
	shift 2
	ctr run -d --null-io --no-pivot --runc-root $d/runc --label syva.dev/zone="$zone" \
		--with-ns pid:/proc/1/ns/pid \
		--mount type=bind,src=$d/shared,dst=/tmp/shared,options=rbind:rw \
		--mount type=bind,src=/srv/syva,dst=/srv/syva,options=rbind:ro \
		--mount type=bind,src=/opt/syva/bin/syva-zone-probe,dst=/probe,options=rbind:ro \
		syva.test/busybox:1 "$id" "$@" >/dev/null
}
n=0
try() { # CONTAINER ACTION ARG: what the kernel answers
	n=$((n + 1))
	ctr task exec --exec-id try$n "$1" /probe "$2" "$3"
	rc=$?
	case $rc in
	0) answer="allowed" ;;
	1) answer="EPERM (Operation not permitted)" ;;
	13) answer="EACCES (Permission denied)" ;;
	*) answer="errno $rc" ;;
	esac
	printf '  %-10s %-8s %-40s -> %s\n' "$1" "$2" "$3" "$answer"
	return $rc
}

say "database owns /srv/syva/database (policies/database.toml, [filesystem] host_paths)"
mkdir -p /srv/syva/database /srv/syva/monitoring $d/shared
echo "customer records" >/srv/syva/database/customers.db

say "containerd $(command containerd --version | cut -d' ' -f3) on $sock"
cat >$d/config.toml <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
EOF
containerd --config $d/config.toml >$d/containerd.log 2>&1 &
i=0
until command ctr --address $sock version >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 150 ] && { cat $d/containerd.log; exit 1; }; sleep 0.2
done
ctr images import /opt/syva/images/busybox-oci.tar >/dev/null || exit 1

say "syva --policy-dir /opt/syva/policies --containerd-sock $sock"
syva --policy-dir /opt/syva/policies --containerd-sock $sock >/tmp/syva.log 2>&1 &
agent=$!
i=0
until grep -q "containerd: connected" /tmp/syva.log; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $agent 2>/dev/null; then cat /tmp/syva.log; exit 1; fi
	sleep 0.2
done
cat /tmp/syva.log

say "containers: db and db-replica (--label syva.dev/zone=database), web (--label syva.dev/zone=frontend)"
run db database sh -c 'echo "db password" >/tmp/secret; exec /probe listen /tmp/shared/db.sock' || exit 1
run db-replica database sleep 600 || exit 1
run web frontend sleep 600 || exit 1
i=0
until [ -S $d/shared/db.sock ]; do i=$((i + 1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done
db=$(ctr task ls | awk '$1 == "db" { print $2 }')
grep "membership +:" /tmp/syva.log | sed 's/^/  /'

say "web (frontend) tries the database container (pid $db) every way"
fails=0
try web open /proc/$db/root/tmp/secret && fails=1
try web kill $db && fails=1
try web ptrace $db && fails=1
try web connect /tmp/shared/db.sock && fails=1
try web open /srv/syva/database/customers.db && fails=1

say "db-replica (same zone) does the same"
try db-replica open /proc/$db/root/tmp/secret || fails=1
try db-replica kill $db || fails=1
try db-replica connect /tmp/shared/db.sock || fails=1
try db-replica open /srv/syva/database/customers.db || fails=1

say "the node (no zone) reads the container's file"
cat /proc/$db/root/tmp/secret || fails=1
sleep 0.5

say "the agent's log of the denials"
grep "DENY" /tmp/syva.log

say "syva status"
syva status
status_rc=$?

say "containers end: their zone membership goes with them"
for c in db db-replica web; do ctr task kill -s KILL $c >/dev/null 2>&1; done
sleep 1
for c in db db-replica web; do ctr task delete $c >/dev/null 2>&1; ctr containers delete $c >/dev/null 2>&1; done
sleep 0.5
grep "membership -:" /tmp/syva.log | sed 's/^/  /'

kill -TERM $agent
wait $agent
agent_rc=$?
say "after SIGTERM (agent exit $agent_rc): syva status"
syva status
kill $(pidof containerd) 2>/dev/null

# status: 0 healthy, 2 degraded, 1 not enforcing.
[ $fails -eq 0 ] && [ $status_rc -eq 0 ] && [ $agent_rc -eq 0 ] &&
	[ "$(grep -c "DENY .*caller_zone=frontend target_zone=database" /tmp/syva.log)" -eq 5 ]
