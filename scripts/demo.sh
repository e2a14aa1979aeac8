#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job, on a fresh machine: installs, builds, and boots a VM on
# Debian's 6.1 kernel with BPF-LSM, where `syva --policy-dir policies` starts,
# passes its self-test and, with a real containerd and runc, denies a frontend
# container every way into a database container; `syva status` shows it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SYVA_BUILD_DIR:-$repo/build}
bash "$repo/scripts/install-deps.sh"
bash "$repo/scripts/build.sh" "$build"
exec "$repo/test/vm/run-in-vm.sh" --build-dir "$build" --modules overlay --containerd --mem 2048 \
	-- /opt/syva/guest/demo.sh
