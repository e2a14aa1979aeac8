#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init of the test VM (PID 1, busybox sh). Built into the initramfs by
# test/vm/run-in-vm.sh. It must never exit: PID 1 exiting panics the kernel.
# No `set -e`: a failed mount should be reported, not kill the VM silently.

export PATH=/opt/syva/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

mount -t devtmpfs devtmpfs /dev
# The initramfs holds no device nodes (building it must not need root), so the
# kernel may have had no /dev/console to give us: reopen it now that it exists.
exec </dev/console >/dev/console 2>&1

mnt() { # TYPE DIR
	mkdir -p "$2" 2>/dev/null
	mount -t "$1" "$1" "$2" || echo "SYVA-VM: WARNING: could not mount $1 on $2"
}
mnt proc /proc
mnt sysfs /sys
mnt tmpfs /tmp
mnt tmpfs /run
mnt securityfs /sys/kernel/security
mnt bpf /sys/fs/bpf
mnt cgroup2 /sys/fs/cgroup
# One at a time: a single write of all three fails as a whole if one is missing.
for c in cpu memory pids; do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
		echo "SYVA-VM: note: cgroup controller $c not enabled"
done
ip link set lo up 2>/dev/null

# The runner numbered the modules in dependency order, so the glob's sort is
# the load order.
for m in /opt/syva/modules/*.ko; do
	[ -e "$m" ] || continue
	insmod "$m" || echo "SYVA-VM: !!!!!!!! FAILED TO LOAD MODULE $m !!!!!!!!"
done

echo "SYVA-VM: kernel $(uname -r), lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)"

# run-in-vm.sh --rootfs: the Debian root on /dev/vda becomes / with systemd
# as PID 1, and the command runs there as the unit syva-vm-guest.service
# (guest/rootfs-guest.sh), which powers the VM off.
if [ -e /opt/syva/rootfs-boot ]; then
	# Sourced: switch_root must be exec'd by PID 1 itself.
	. /opt/syva/guest/rootfs-handover.sh
	# Only reached when the hand-over failed.
	echo
	echo "SYVA-VM-RESULT rc=125"
	poweroff -f
	while :; do sleep 60; done
fi
echo "SYVA-VM: running: $(tail -n 1 /opt/syva/guest-cmd.sh)"
cd /opt/syva || echo "SYVA-VM: WARNING: no /opt/syva"
# stdin from /dev/null: nothing types on the console, so a read would hang.
sh /opt/syva/guest-cmd.sh </dev/null
rc=$?

# The leading empty line keeps the result at the start of a line even when the
# command's output did not end with a newline.
echo
echo "SYVA-VM-RESULT rc=$rc"
sync
poweroff -f
# Only reached if poweroff failed; the host's timeout is the last resort.
echo o >/proc/sysrq-trigger
while :; do sleep 60; done
