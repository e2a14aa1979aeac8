#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds Syva into BUILD_DIR (default: build/).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$repo/build}
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
