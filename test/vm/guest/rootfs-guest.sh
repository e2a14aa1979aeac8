#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The unit syva-vm-guest.service of a --rootfs VM (rootfs-handover.sh
# installs it): runs the command as /init does in the busybox VM, prints
# SYVA-VM-RESULT and powers the VM off.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
echo "SYVA-VM: Debian root with systemd $(systemctl --version | head -n 1 | cut -d' ' -f2); kernel $(uname -r), lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)"
echo "SYVA-VM: running: $(tail -n 1 /opt/syva/guest-cmd.sh)"
cd /opt/syva
sh /opt/syva/guest-cmd.sh </dev/null
rc=$?
echo
echo "SYVA-VM-RESULT rc=$rc"
sync
systemctl --force --force poweroff
