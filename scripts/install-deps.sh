#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian package Syva builds, tests and demos with. Idempotent:
# packages already present are skipped by apt itself.
set -euo pipefail
pkgs=(
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev
  libbpf-dev bpftool libelf-dev zlib1g-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libtomlplusplus-dev libfmt-dev libspdlog-dev catch2 nlohmann-json3-dev prometheus-cpp-dev
  qemu-system-x86 busybox-static cpio iproute2
  containerd runc liburing-dev containernetworking-plugins
  python3 python3-yaml python3-prometheus-client
  debootstrap buildah dpkg-dev
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
