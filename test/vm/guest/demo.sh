#!/bin/sh
# In the VM: the agent on the shipped policies/, a process put in zone
# "frontend", its open() of a database-owned file denied, then `syva status`.
set -u
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "database owns /srv/syva/database (policies/database.toml, [filesystem] host_paths)"
mkdir -p /srv/syva/database /srv/syva/monitoring
echo "customer records" >/srv/syva/database/customers.db

say "syva --policy-dir /opt/syva/policies"
syva --policy-dir /opt/syva/policies >/tmp/syva.log 2>&1 &
agent=$!
i=0
until grep -q "enforcing:" /tmp/syva.log; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $agent 2>/dev/null; then cat /tmp/syva.log; exit 1; fi
	sleep 0.2
done
cat /tmp/syva.log

say "a process in cgroup /sys/fs/cgroup/web-1, zone frontend (the containerd watcher's write, done by hand here)"
mkdir -p /sys/fs/cgroup/web-1
syva-demo-zone /sys/fs/bpf/syva /sys/fs/cgroup/web-1 frontend || exit 1

say "zone frontend: cat /srv/syva/database/customers.db"
sh -c 'echo 0 >/sys/fs/cgroup/web-1/cgroup.procs; cat /srv/syva/database/customers.db'
denied=$?
say "host (no zone): cat /srv/syva/database/customers.db"
cat /srv/syva/database/customers.db
allowed=$?
sleep 0.5

say "the agent's log of the denial"
grep "DENY" /tmp/syva.log

say "syva status"
syva status
status_rc=$?

kill -TERM $agent
wait $agent
agent_rc=$?
say "after SIGTERM (agent exit $agent_rc): syva status"
syva status
rmdir /sys/fs/cgroup/web-1

# status: 0 healthy, 2 degraded (here: no containerd in this VM), 1 not enforcing.
[ $denied -ne 0 ] && [ $allowed -eq 0 ] && [ $status_rc -ne 1 ] && [ $agent_rc -eq 0 ] &&
	grep -q "DENY hook=file_open .*caller_zone=frontend target_zone=database" /tmp/syva.log
