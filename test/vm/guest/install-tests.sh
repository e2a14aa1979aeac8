#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# In a --rootfs VM: the Debian package under systemd (package-test.sh), then
# the agent's image through containerd (image-test.sh) when its archive was
# staged; without it, says so in the skip line scripts/test.sh counts.
sh /opt/syva/guest/package-test.sh
rc=$?
# The package's agent is stopped and its pins removed before the image's
# agent starts: one agent per node.
if [ -f /opt/syva/files/syva-image.tar ]; then
	sh /opt/syva/guest/image-test.sh || rc=1
else
	echo "image-test: skipped: no image archive staged (scripts/build-image.sh builds it; scripts/test.sh counts this as a failure)"
fi
exit $rc
