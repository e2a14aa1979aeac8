#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds a one-layer OCI image archive of busybox-static, for tests on hosts
# that reach no registry: `ctr images import` loads it under REF.
#   busybox-oci-image.sh OUT_DIR REF                  -> OUT_DIR/busybox-oci.tar, runs sh
#   busybox-oci-image.sh OUT_DIR REF NAME CMD [ARG...] -> OUT_DIR/NAME.tar, runs CMD ARG...
# The second form makes the CRI plugin's sandbox ("pause") image: the CRI
# runs whatever the image names, so `sleep` for ever holds the pod.
set -eu
out=$1
ref=$2
name=busybox-oci
cmd='"sh"'
if [ $# -ge 4 ]; then
  name=$3
  shift 3
  cmd=''
  for word in "$@"; do cmd="$cmd${cmd:+,}\"$word\""; done
fi
busybox=$(command -v busybox)
work="$out/image-build"
rm -rf "$work"
mkdir -p "$work/rootfs/bin" "$work/layout/blobs/sha256"
cp "$busybox" "$work/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$work/rootfs/bin/$applet" ] || ln -s busybox "$work/rootfs/bin/$applet"
done
mkdir -p "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev" "$work/rootfs/tmp" "$work/rootfs/etc"

blob() {  # FILE -> stores it by digest, prints "DIGEST SIZE"
  d=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$work/layout/blobs/sha256/$d"
  echo "$d $(stat -c %s "$1")"
}

tar -C "$work/rootfs" --numeric-owner --owner=0 --group=0 --sort=name -cf "$work/layer.tar" .
set -- $(blob "$work/layer.tar"); layer=$1; layer_size=$2
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":[%s]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$cmd" "$layer" > "$work/config.json"
set -- $(blob "$work/config.json"); config=$1; config_size=$2
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" > "$work/manifest.json"
set -- $(blob "$work/manifest.json"); manifest=$1; manifest_size=$2
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest" "$manifest_size" "$ref" > "$work/layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$work/layout/oci-layout"
tar -C "$work/layout" -cf "$out/$name.tar" .
rm -rf "$work"
