#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Usage: emit-file.sh NAME PATH
# Prints PATH on the console framed so that run-in-vm.sh saves it on the host
# as $BUILD_DIR/vm/out/NAME. Text only: the serial line turns \n into \r\n and
# the host strips trailing \r; pipe binary data through `base64` first.
set -eu
[ $# -eq 2 ] || { echo "usage: emit-file.sh NAME PATH" >&2; exit 2; }
name=$1 path=$2
# NAME becomes a host file name: keep it plain (the host checks the same set).
case $name in
'' | . | .. | *[!A-Za-z0-9._-]*) echo "emit-file: bad name '$name'" >&2; exit 2 ;;
esac
if [ ! -f "$path" ] || [ ! -r "$path" ]; then
	echo "emit-file: cannot read $path" >&2
	exit 1
fi
echo
echo "SYVA-FILE-BEGIN $name"
cat "$path"
# Without a final newline the last line would swallow the END marker.
[ -z "$(tail -c 1 "$path")" ] || echo
echo "SYVA-FILE-END $name"
