#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes, once per build directory, the Debian 12 trees the package and image
# tests need, with debootstrap from Debian's mirror (no container registry):
#   without PACKAGE: DIR/vm/debian/minbase.tar, debootstrap
#                    --variant=minbase: the base the image build
#                    (scripts/build-image.sh) imports as debian:bookworm-slim
#   with PACKAGE:    DIR/vm/debian/root.img, an ext4 image of minbase plus
#                    systemd, containerd, runc and PACKAGE's dependencies
#                    (dpkg-deb -f PACKAGE Depends), booted by
#                    run-in-vm.sh --rootfs
# Both debootstraps share one download cache (DIR/vm/debian/debs). A tree is
# made again when what it was made from changes (its .stamp).
# Usage: test/vm/debian-root.sh BUILD_DIR [PACKAGE.deb]   (root; prints the
#        path it made)
set -euo pipefail
say() { echo "debian-root: $*" >&2; }
die() { say "error: $*"; exit 1; }
(($# >= 1)) || { echo "usage: debian-root.sh BUILD_DIR [PACKAGE.deb]" >&2; exit 2; }
((EUID == 0)) || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap not found (scripts/install-deps.sh installs it)"
build=$(cd "$1" && pwd)
deb=${2:-}
dir=$build/vm/debian
mirror=${SYVA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$dir/debs"

# debootstrap TARGET VARIANT [INCLUDE] into a fresh directory.
bootstrap() {
	local target=$1 variant=$2 include=${3:-} start=$SECONDS
	rm -rf "$target"
	debootstrap --variant="$variant" ${include:+--include="$include"} --cache-dir="$dir/debs" \
		bookworm "$target" "$mirror" >"$target.log" 2>&1 ||
		{ tail -n 20 "$target.log" >&2; die "debootstrap of $target failed (log: $target.log)"; }
	# The package lists are not needed: nothing in the VM reaches a mirror.
	rm -rf "$target"/var/lib/apt/lists/* "$target"/var/cache/apt/archives/*.deb
	say "$(basename "$target"): debootstrap $variant took $((SECONDS - start)) s"
}

# ---- the image base ---------------------------------------------------------
if [[ -z $deb ]]; then
	stamp="minbase bookworm $mirror"
	if [[ ! -s $dir/minbase.tar || "$(cat "$dir/minbase.tar.stamp" 2>/dev/null)" != "$stamp" ]]; then
		bootstrap "$dir/minbase" minbase
		tar -C "$dir/minbase" --numeric-owner -cf "$dir/minbase.tar.tmp" .
		mv "$dir/minbase.tar.tmp" "$dir/minbase.tar"
		rm -rf "$dir/minbase"
		echo "$stamp" >"$dir/minbase.tar.stamp"
	else
		say "minbase.tar: cached"
	fi
	echo "$dir/minbase.tar"
	exit 0
fi

# ---- the VM root -------------------------------------------------------------
[[ -f $deb ]] || die "no package $deb"
# Depends: "libc6 (>= 2.34), libgrpc++1.51, ..." -> the names; an
# alternative (a | b) installs its first.
# A name only provided by others (libspdlog1.10-fmt9, which libspdlog1.10
# provides) is replaced by its provider, which debootstrap can install.
depends=""
for name in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' | sort -u); do
	if [[ -z $(apt-cache show --no-all-versions "$name" 2>/dev/null) ]]; then
		provider=$(apt-cache showpkg "$name" 2>/dev/null | awk '/^Reverse Provides:/ { getline; print $1; exit }')
		[[ -n $provider ]] || die "$deb depends on $name, which no Debian package known to apt is or provides"
		say "$name is provided by $provider"
		name=$provider
	fi
	depends+=${depends:+,}$name
done
[[ -n $depends ]] || die "$deb names no Depends"
include="systemd,systemd-sysv,dbus,containerd,runc,$depends"
stamp="root bookworm $mirror $include"
if [[ ! -s $dir/root.img || "$(cat "$dir/root.img.stamp" 2>/dev/null)" != "$stamp" ]]; then
	bootstrap "$dir/root" minbase "$include"
	echo syva-vm >"$dir/root/etc/hostname"
	: >"$dir/root/etc/machine-id"
	printf '127.0.0.1 localhost syva-vm\n::1 localhost\n' >"$dir/root/etc/hosts"
	: >"$dir/root/etc/resolv.conf"
	rm -f "$dir/root.img"
	# Room for the image test's layers; sparse, so it costs what is used.
	mkfs.ext4 -q -L syva-root -d "$dir/root" "$dir/root.img" 3G || die "mkfs.ext4 -d failed"
	rm -rf "$dir/root"
	echo "$stamp" >"$dir/root.img.stamp"
else
	say "root.img: cached"
fi
echo "$dir/root.img"
