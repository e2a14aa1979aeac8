#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# In the VM: every kernel test, then the skip log back to the host.
mkdir -p /tmp/syva-ktest
export SYVA_SKIP_LOG=/tmp/kernel-skips.txt
# Staged by run-in-vm.sh --containerd for the container tests.
[ -f /opt/syva/images/busybox-oci.tar ] && export SYVA_TEST_IMAGE_ARCHIVE=/opt/syva/images/busybox-oci.tar
[ -f /opt/syva/images/pause-oci.tar ] && export SYVA_TEST_PAUSE_ARCHIVE=/opt/syva/images/pause-oci.tar
: >"$SYVA_SKIP_LOG"
# The serial console is a terminal: without this Catch2 colours its summary.
/opt/syva/bin/syva-kernel-tests --use-colour no "$@"
rc=$?
sh /opt/syva/guest/emit-file.sh kernel-skips.txt "$SYVA_SKIP_LOG"
rmdir /sys/fs/cgroup/syva-ktest 2>/dev/null
exit $rc
