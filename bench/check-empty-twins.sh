#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fails when an LSM hook one of Syva's programs attaches to has no empty
# program in ebpf/bench_empty.bpf.c: the floor would then leave that hook's
# trampoline out and flatter Syva. Run by the build (bench/CMakeLists.txt);
# syva-bench checks the same at run time against what the kernel loaded.
# Usage: check-empty-twins.sh EBPF_DIR STAMP
set -eu
dir=$1
hooks() { sed -n 's/^SEC("lsm\/\([a-z0-9_]*\)").*/\1/p' "$@" | sort -u; }
tmp=$2.empty
sed -n 's/^EMPTY(\([a-z0-9_]*\))$/\1/p' "$dir/bench_empty.bpf.c" | sort -u >"$tmp"
missing=$(for f in "$dir"/*.bpf.c; do
	case $f in */bench_empty.bpf.c) ;; *) hooks "$f" ;; esac
done | sort -u | comm -23 - "$tmp")
rm -f "$tmp"
if [ -n "$missing" ]; then
	echo "ebpf/bench_empty.bpf.c has no empty program on: $(echo $missing)" >&2
	exit 1
fi
touch "$2"
