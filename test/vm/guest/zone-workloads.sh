#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Sourced by package-test.sh and image-test.sh (Debian root, --rootfs VM):
# workload containers through the root's containerd, in containerd namespace
# "default", which the shipped policies admit. The caller defines ok, fail
# and agent_status (syva status as the agent's installation runs it).

ctr_ns() { ctr -n default "$@"; }

# Before the agent starts: the file zone database owns through
# policies/database.toml's host_paths, tagged when the agent loads.
make_owned_file() {
	mkdir -p /srv/syva/database
	echo "database secret" >/srv/syva/database/secret
}

# START ZONE NAME: a busybox container claiming ZONE with the owned directory
# mounted at /db, sleeping.
start_workload() {
	ctr_ns run -d --label syva.dev/zone="$1" \
		--mount type=bind,src=/srv/syva/database,dst=/db,options=rbind:ro \
		syva.test/busybox:1 "$2" sleep 3600 >/dev/null 2>&1
}

# Waits until `syva status` shows ZONE with N members (30 s).
wait_members() { # ZONE N
	i=0
	while [ $i -lt 60 ]; do
		agent_status 2>/dev/null | grep -q "^  $1 (id [0-9]*): $2 member" && return 0
		sleep 0.5
		i=$((i + 1))
	done
	agent_status >&2
	return 1
}

# Runs the workload checks: frontend is denied database's file, database
# reads it. LABEL names the installation in the check lines.
workload_checks() { # LABEL
	if ! ctr_ns images import /opt/syva/images/busybox-oci.tar >/dev/null 2>&1 &&
		! ctr_ns images ls -q | grep -q '^syva.test/busybox:1$'; then
		fail "$1: importing the busybox test image into containerd"
		return
	fi
	if start_workload frontend "fe-$1" && start_workload database "db-$1"; then
		ok "$1: frontend and database containers started through containerd"
	else
		fail "$1: starting the workload containers"
		return
	fi
	if wait_members frontend 1 && wait_members database 1; then
		ok "$1: the agent placed them (syva status: frontend 1 member, database 1 member)"
	else
		fail "$1: the agent did not place the containers in their zones"
	fi
	out=$(ctr_ns task exec --exec-id read-fe "fe-$1" cat /db/secret 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && echo "$out" | grep -q 'Operation not permitted'; then
		ok "$1: frontend is denied database's file (cat: Operation not permitted)"
	else
		fail "$1: frontend reading database's file: exit $rc, output: $out"
	fi
	out=$(ctr_ns task exec --exec-id read-db "db-$1" cat /db/secret 2>&1)
	if [ "$out" = "database secret" ]; then
		ok "$1: database reads its own file"
	else
		fail "$1: database reading its own file: $out"
	fi
}

stop_workloads() { # LABEL
	for c in "fe-$1" "db-$1"; do
		ctr_ns task kill -s KILL "$c" >/dev/null 2>&1
		i=0
		while [ $i -lt 40 ] && ctr_ns task ls -q 2>/dev/null | grep -qx "$c"; do
			ctr_ns task rm "$c" >/dev/null 2>&1 || sleep 0.25
			i=$((i + 1))
		done
		ctr_ns containers rm "$c" >/dev/null 2>&1
	done
}
