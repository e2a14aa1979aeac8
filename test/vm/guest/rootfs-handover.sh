#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Sourced by /init (busybox, PID 1, which must exec switch_root) under run-in-vm.sh --rootfs: mounts the Debian
# root from /dev/vda, copies /opt/syva into it, installs the unit that runs
# the command, and execs systemd there. Returns only on failure.
say() { echo "SYVA-VM: $*"; }
# virtio_blk was just loaded; the disk appears a moment later.
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
[ -b /dev/vda ] || { say "!!! no /dev/vda: the root image was not attached"; return 1; }
mkdir -p /newroot
mount -t ext4 /dev/vda /newroot || { say "!!! cannot mount /dev/vda"; return 1; }
[ -x /newroot/lib/systemd/systemd ] || { say "!!! the root on /dev/vda has no systemd"; return 1; }
rm -rf /newroot/opt/syva
mkdir -p /newroot/opt
cp -a /opt/syva /newroot/opt/syva || { say "!!! copying /opt/syva into the root failed"; return 1; }
rm -f /newroot/opt/syva/rootfs-boot

units=/newroot/etc/systemd/system
mkdir -p "$units/multi-user.target.wants"
cat >"$units/syva-vm-guest.service" <<'UNIT'
[Unit]
Description=Syva VM test command
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/sh /opt/syva/guest/rootfs-guest.sh
StandardInput=null
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/ttyS0
TTYReset=no
TTYVHangup=no
[Install]
WantedBy=multi-user.target
UNIT
ln -sf ../syva-vm-guest.service "$units/multi-user.target.wants/syva-vm-guest.service"
# The console is the result channel: no login prompt on it.
ln -sf /dev/null "$units/serial-getty@ttyS0.service"

say "switching to the Debian root on /dev/vda (systemd)"
for m in /sys/fs/cgroup /sys/fs/bpf /sys/kernel/security /sys /proc /run /tmp; do umount "$m" 2>/dev/null; done
# /dev holds the console this script writes to: moved, not unmounted.
mkdir -p /newroot/dev && mount -o move /dev /newroot/dev
exec switch_root /newroot /lib/systemd/systemd
