#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds Syva into BUILD_DIR (default: build/), and makes its
# Debian package there.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$repo/build}
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
# The Debian package (cmake/Packaging.cmake): BUILD_DIR/syva_VERSION_amd64.deb.
(cd "$build" && cpack -G DEB >/dev/null)
