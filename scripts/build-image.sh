#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds deploy/Dockerfile with Debian's buildah, with no container registry:
# the base debian:bookworm-slim is made from debootstrap's minbase
# (test/vm/debian-root.sh) and imported under that name. Writes the image as
# an OCI archive, BUILD_DIR/syva-image.tar (reference syva:VERSION), which
# `ctr images import` loads. Needs root and Debian's mirror (the Dockerfile's
# apt-get); apt's downloads are kept in BUILD_DIR/vm/debian/apt-archives for
# the next build.
# Usage: scripts/build-image.sh [BUILD_DIR]   (default: build/)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
say() { echo "build-image: $*" >&2; }
die() { say "error: $*"; exit 1; }
command -v buildah >/dev/null || die "buildah not found (scripts/install-deps.sh installs it)"
version=$(sed -n 's/^project(syva VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
[[ -n $version ]] || die "no version in CMakeLists.txt"
grep -q "org.opencontainers.image.version=\"$version\"" "$repo/deploy/Dockerfile" ||
	die "deploy/Dockerfile's image version is not $version (CMakeLists.txt)"

# buildah's images and containers stay in the build directory.
store=$build/vm/containers
bh() { buildah --root "$store/root" --runroot "$store/run" --storage-driver "${SYVA_BUILDAH_DRIVER:-overlay}" "$@"; }
# Working containers (a failed build leaves its own) keep overlay mounts.
trap 'bh rm --all >/dev/null 2>&1' EXIT

minbase=$("$repo/test/vm/debian-root.sh" "$build" | head -n 1)
stamp="$(sha256sum "$minbase" | cut -d' ' -f1)"
if [[ "$(cat "$store/base.stamp" 2>/dev/null)" != "$stamp" ]] || ! bh inspect --type image docker.io/library/debian:bookworm-slim >/dev/null 2>&1; then
	start=$SECONDS
	c=$(bh from scratch)
	bh add "$c" "$minbase" / >/dev/null
	bh config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
	# The name `FROM debian:bookworm-slim` means; --pull=never below finds it.
	bh commit --rm -q "$c" docker.io/library/debian:bookworm-slim >/dev/null
	mkdir -p "$store" && echo "$stamp" >"$store/base.stamp"
	say "base debian:bookworm-slim imported from debootstrap minbase in $((SECONDS - start)) s"
fi

apt_cache=$build/vm/debian/apt-archives
mkdir -p "$apt_cache/partial"
start=$SECONDS
# --network host: the Dockerfile's apt-get reaches Debian's mirror; no CNI
# here. /sys/kernel/btf is the build host's, which the Dockerfile compiles
# against (see its top).
bh bud --pull=never --network host --layers -v "$apt_cache:/var/cache/apt/archives" \
	-f "$repo/deploy/Dockerfile" -t "syva:$version" "$repo" >"$build/image-build.log" 2>&1 ||
	{ tail -n 30 "$build/image-build.log" >&2; die "buildah bud failed (log: $build/image-build.log)"; }
say "buildah bud -f deploy/Dockerfile took $((SECONDS - start)) s"
rm -f "$build/syva-image.tar"
bh push -q "syva:$version" "oci-archive:$build/syva-image.tar:syva:$version" >/dev/null
say "image syva:$version: $build/syva-image.tar ($(du -h "$build/syva-image.tar" | cut -f1))"
echo "$build/syva-image.tar"
