#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Checks that the VM is fit for BPF-LSM tests: the bpf LSM is active and the
# kernel exposes BTF (CO-RE needs it). Exits 0 if both hold, 1 otherwise.
lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)
echo "smoke: lsm=$lsm"
fail=0
case ",$lsm," in
*,bpf,*) echo "smoke: ok: bpf is in the LSM list" ;;
*) echo "smoke: FAIL: bpf is not in the LSM list"; fail=1 ;;
esac
if [ -e /sys/kernel/btf/vmlinux ]; then
	echo "smoke: ok: /sys/kernel/btf/vmlinux exists"
else
	echo "smoke: FAIL: /sys/kernel/btf/vmlinux is missing"; fail=1
fi
# Also exercises the file channel back to the host.
{ echo "lsm=$lsm"; echo "kernel=$(uname -r)"; echo "fail=$fail"; } >/tmp/smoke.txt
"$(dirname "$0")/emit-file.sh" smoke.txt /tmp/smoke.txt
exit $fail
