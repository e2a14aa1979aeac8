#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command inside a QEMU VM booted on a Debian cloud kernel (--kernel;
# Debian 12's 6.1 by default) with the bpf LSM enabled, and exits with that
# command's exit code. The host kernel refuses to load BPF-LSM programs, so
# kernel tests cannot run on it directly.
# See test/vm/README.md for the contract.
set -euo pipefail

usage() {
	cat >&2 <<'EOF'
usage: run-in-vm.sh --build-dir DIR [--kernel PKG] [--suite SUITE] [--modules "overlay veth ..."]
                    [--mem MB] [--timeout SEC] [--containerd] [--icount] [--rootfs IMG] [--file PATH]...
                    -- GUEST_COMMAND [ARGS...]
  --rootfs IMG   boot a Debian root with systemd from the ext4 image IMG
                 (test/vm/debian-root.sh makes it; the image is not changed)
                 and run the command there as a systemd unit
  --file PATH    copy PATH into the guest at /opt/syva/files/ (repeatable)
  --kernel PKG   a Debian kernel image package: a meta-package such as
                 linux-image-cloud-amd64 (the default, Debian 12's 6.1) or
                 linux-image-6.12-cloud-amd64, or a concrete image such as
                 linux-image-6.12.117+deb12-cloud-amd64
  --suite SUITE  take PKG from that Debian suite (e.g. bullseye, Debian 11's
                 5.10) through a private apt configuration under DIR/vm/apt,
                 instead of this machine's apt sources
  --icount       one vCPU whose clock counts executed instructions
                 (-icount shift=0,sleep=off -smp 1): for the benchmarks
EOF
	exit 2
}
say() { echo "run-in-vm: $*" >&2; }
die() { say "error: $*"; exit 125; }

build_dir='' kernel_req=linux-image-cloud-amd64 suite='' modules='' mem=1024 timeout_s=600 containerd=0 icount=0 rootfs=''
files=()
while (($#)); do
	case $1 in
	--build-dir) build_dir=${2:?}; shift 2 ;;
	--kernel) kernel_req=${2:?}; shift 2 ;;
	--suite) suite=${2:?}; shift 2 ;;
	--icount) icount=1; shift ;;
	--modules) modules=${2?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--timeout) timeout_s=${2:?}; shift 2 ;;
	--containerd) containerd=1; shift ;;
	--rootfs) rootfs=${2:?}; shift 2 ;;
	--file) files+=("${2:?}"); shift 2 ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) say "unknown argument: $1"; usage ;;
	esac
done
[[ -n $build_dir && $# -gt 0 ]] || usage
[[ $mem =~ ^[0-9]+$ && $timeout_s =~ ^[0-9]+$ ]] || die "--mem and --timeout take whole numbers"
[[ $kernel_req =~ ^linux-image-[A-Za-z0-9.+~-]+$ ]] || { say "--kernel takes a package name linux-image-..., not $kernel_req"; usage; }
[[ -z $suite || $suite =~ ^[a-z]+(-[a-z]+)?$ ]] || { say "--suite takes a Debian suite name such as bullseye, not $suite"; usage; }
[[ -d $build_dir ]] || die "build dir $build_dir does not exist"
if [[ -n $rootfs ]]; then
	[[ -f $rootfs ]] || die "--rootfs $rootfs: no such image"
	rootfs=$(cd "$(dirname "$rootfs")" && pwd)/$(basename "$rootfs")
	# The disk is virtio (a module on 6.1, built in on 6.12); the root's own
	# modules tree is not this kernel's.
	for m in virtio_pci virtio_blk; do [[ " $modules " == *" $m "* ]] || modules+=" $m"; done
fi
for f in "${files[@]}"; do [[ -f $f ]] || die "--file $f: no such file"; done
build_dir=$(cd "$build_dir" && pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
vm=$build_dir/vm
mkdir -p "$vm/kernel"

# --- kernel -----------------------------------------------------------------
# Sets kpkg (the concrete image package), kroot (it, unpacked), kver and
# vmlinuz. Cache layout under $vm/kernel:
#   <concrete package>/            the unpacked image package, .unpacked when complete
#   <meta package> -> <concrete>   a symlink: which image a meta-package meant
# A package asked for by its concrete name is its own directory. A kernel
# from another suite (--suite) is cached the same way under $vm/kernel/SUITE/.
#
# apt_opts: the options every apt command here takes. Empty for this
# machine's sources; with --suite, a private configuration under
# $vm/apt/SUITE (its own sources list, package lists, cache and an empty
# dpkg status) signed by Debian's archive keyring: the host's apt sources and
# lists are never touched.
apt_opts=()
private_apt() {
	local dir=$vm/apt/$suite
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/sources.list.d" "$dir/preferences.d"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
		>"$dir/sources.list"
	[[ -e $dir/status ]] || : >"$dir/status"
	apt_opts=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o "Dir::Etc::sourceparts=$dir/sources.list.d"
		-o "Dir::Etc::preferencesparts=$dir/preferences.d" -o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache=$dir/cache" -o "Dir::State::status=$dir/status" -o Acquire::Languages=none)
}
fetch_kernel() {
	local cache=$vm/kernel want=$kernel_req
	if [[ -n $suite ]]; then
		cache=$vm/kernel/$suite
		mkdir -p "$cache"
		private_apt
	fi
	# A cached kernel wins without asking apt: runs stay reproducible and work
	# offline. Deleting $cache/$want moves that package to its newest image.
	if [[ -e $cache/$want/.unpacked ]]; then
		if [[ -L $cache/$want ]]; then
			kpkg=$(readlink "$cache/$want")
			say "kernel: $want -> $kpkg (cached; rm $cache/$want to refresh)"
		else
			kpkg=$want
			say "kernel: $kpkg (cached)"
		fi
	else
		# A meta-package (linux-image-cloud-amd64, linux-image-6.12-cloud-amd64)
		# depends on one concrete image; a concrete image depends on no
		# linux-image-* and is used as it is.
		resolve() {
			local dep
			apt-cache "${apt_opts[@]}" show "$want" >/dev/null 2>&1 || return 1
			dep=$(apt-cache "${apt_opts[@]}" depends "$want" 2>/dev/null |
				awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
			echo "${dep:-$want}"
		}
		kpkg=$(resolve || true)
		if [[ -z $kpkg ]]; then
			local sudo=''; ((EUID == 0)) || sudo=sudo
			if [[ -n $suite ]]; then
				say "fetching $suite's package lists into $vm/apt/$suite"
				# The lists are private files here, written by whoever runs this.
				sudo=''
				apt_opts+=(-o APT::Sandbox::User="$(id -un)")
			else
				say "apt does not know $want; running apt-get update"
			fi
			$sudo apt-get "${apt_opts[@]}" update -qq || die "apt-get update${suite:+ of $suite} failed"
			kpkg=$(resolve || true)
			[[ -n $kpkg ]] || die "apt-cache still does not know $want${suite:+ in $suite} (apt-cache search linux-image- lists what it knows)"
		fi
		[[ $kpkg =~ ^linux-image-[A-Za-z0-9.+~-]+$ ]] || die "$want resolves to an unexpected package name: $kpkg"
		if [[ -e $cache/$kpkg/.unpacked ]]; then
			say "kernel: $want -> $kpkg (already cached)"
		else
			say "kernel: $want -> $kpkg (downloading into $cache)"
			local dl=$cache/.download
			rm -rf "${cache:?}/$kpkg" "$dl"
			mkdir -p "$dl"
			# As root apt wants to drop to user _apt, which cannot write here.
			local sandbox=(); ((EUID != 0)) || sandbox=(-o APT::Sandbox::User=root)
			(cd "$dl" && apt-get -q "${apt_opts[@]}" "${sandbox[@]}" download "$kpkg") || die "apt-get download $kpkg failed"
			dpkg -x "$dl/$kpkg"_*.deb "$cache/$kpkg"
			rm -rf "$dl"
			compgen -G "$cache/$kpkg/boot/vmlinuz-*" >/dev/null ||
				die "$kpkg has no boot/vmlinuz-*: not a kernel image package"
			touch "$cache/$kpkg/.unpacked"
		fi
		if [[ $kpkg != "$want" ]]; then
			rm -rf "${cache:?}/$want"
			ln -s "$kpkg" "$cache/$want"
		fi
	fi
	kroot=$cache/$kpkg
	local images=("$kroot"/boot/vmlinuz-*)
	vmlinuz=${images[0]}
	[[ -f $vmlinuz ]] || die "no vmlinuz in $kroot/boot"
	kver=${vmlinuz##*/vmlinuz-}
	[[ -d $kroot/lib/modules/$kver ]] || die "no modules tree for $kver in $kroot"
	say "kernel image: $vmlinuz"
}

# --- kernel modules ---------------------------------------------------------
# Debian's package ships no modules.dep (depmod makes it at install time), so
# each module's dependencies come from its own .modinfo "depends=" string,
# which is what depmod reads too. Modules are staged decompressed because
# busybox insmod may not understand xz/zstd.
stage_modules() {
	local mdir=$kroot/lib/modules/$kver f n
	local -A path_of=() seen=()
	local order=()
	[[ -n ${modules// /} ]] || return 0
	while IFS= read -r f; do
		n=${f##*/}; n=${n%%.ko*}; path_of[${n//-/_}]=$f
	done < <(find "$mdir/kernel" -name '*.ko*')
	mkdir -p "$stage/opt/syva/modules"

	# Depth-first, dependencies before dependents.
	visit() {
		local name=${1//-/_} src plain dep deps
		[[ -z ${seen[$name]:-} ]] || return 0
		seen[$name]=1
		src=${path_of[$name]:-}
		if [[ -z $src ]]; then
			if grep -qE "/${name//_/[-_]}\.ko" "$mdir/modules.builtin"; then
				say "module $name is built into the kernel, nothing to load"; return 0
			fi
			die "module $name not found in $mdir"
		fi
		plain=$vm/modules/$name.ko
		case $src in
		*.ko) cp "$src" "$plain" ;;
		*.ko.xz) xz -dc "$src" >"$plain" ;;
		*.ko.zst) zstd -qdc "$src" >"$plain" ;;
		*.ko.gz) gzip -dc "$src" >"$plain" ;;
		*) die "unknown module format: $src" ;;
		esac
		deps=$(tr '\0' '\n' <"$plain" | grep -a -m1 '^depends=' || true)
		deps=${deps#depends=}
		for dep in ${deps//,/ }; do visit "$dep"; done
		order+=("$name")
	}
	rm -rf "${vm:?}/modules"; mkdir -p "$vm/modules"
	for n in $modules; do visit "$n"; done
	local i=0
	for n in "${order[@]}"; do
		i=$((i + 1))
		cp "$vm/modules/$n.ko" "$stage/opt/syva/modules/$(printf %03d "$i")-$n.ko"
	done
	((${#order[@]} == 0)) || say "modules (load order): ${order[*]}"
}

# --- initramfs --------------------------------------------------------------
# Quotes one word for sh: close the quote, add an escaped ', reopen.
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Copies binary B to DIR in the guest with the libraries ldd lists for it.
stage_binary() { # B DIR
	local b=$1 lib
	mkdir -p "$stage$2"
	cp "$b" "$stage$2/"
	# Scripts and static binaries have no libraries; ldd fails on them.
	ldd "$b" >/dev/null 2>&1 || return 0
	if ldd "$b" | grep -q 'not found'; then
		ldd "$b" >&2; die "$b needs libraries that are not on this host"
	fi
	# Fields starting with / are the resolved libraries and the loader; copied
	# to the same path so the binary's PT_INTERP and search path still match.
	for lib in $(ldd "$b" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
		[[ -e $stage$lib ]] && continue
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
}

# --containerd: Debian's containerd, its runc shim, ctr and runc at their
# host paths, the busybox test image and the CRI plugin's sandbox ("pause")
# image (OCI archives, built once), and the node files the CRI plugin copies
# into every pod sandbox.
stage_containerd() {
	local tool path
	for tool in containerd containerd-shim-runc-v2 ctr runc; do
		path=$(command -v "$tool") || die "$tool not found (install containerd and runc)"
		stage_binary "$path" "$(dirname "$path")"
	done
	stage_images
	# Debian's containernetworking-plugins, where the package puts them, for
	# the pods on a CNI bridge (the [cni] test); without them it skips.
	local plugin cni=''
	for plugin in bridge host-local loopback; do
		[[ -x /usr/lib/cni/$plugin ]] || continue
		stage_binary "/usr/lib/cni/$plugin" /usr/lib/cni
		cni+=" $plugin"
	done
	mkdir -p "$stage/etc"
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$stage/etc/hosts"
	: >"$stage/etc/resolv.conf" # no network, no DNS: the file only has to exist
	say "containerd: $(containerd --version | awk '{ print $3 }'), runc, the busybox test image and the pause image staged; CNI plugins:${cni:- none (install containernetworking-plugins)}"
}

stage_images() {
	mkdir -p "$vm/images"
	if [[ ! -s $vm/images/busybox-oci.tar ]]; then
		sh "$repo/test/host/busybox-oci-image.sh" "$vm/images" syva.test/busybox:1 >/dev/null ||
			die "building the busybox test image failed"
	fi
	if [[ ! -s $vm/images/pause-oci.tar ]]; then
		sh "$repo/test/host/busybox-oci-image.sh" "$vm/images" syva.test/pause:1 pause-oci sleep 2147483647 >/dev/null ||
			die "building the pause image failed"
	fi
	mkdir -p "$stage/opt/syva/images"
	cp "$vm/images/busybox-oci.tar" "$vm/images/pause-oci.tar" "$stage/opt/syva/images/"
}

build_initramfs() {
	stage=$vm/initramfs
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,opt/syva/bin}

	# busybox and its ~270 applet links are kept in $vm/busybox and copied in
	# one go: one ln per applet costs about a second here.
	local busybox bbtree=$vm/busybox applet
	busybox=$(command -v busybox) || die "busybox not found (install busybox-static)"
	if ! cmp -s "$busybox" "$bbtree/bin/busybox"; then
		ldd "$busybox" >/dev/null 2>&1 && die "$busybox is dynamically linked; install busybox-static"
		rm -rf "$bbtree"
		mkdir -p "$bbtree"/{bin,sbin,usr/bin,usr/sbin}
		for applet in $("$busybox" --list-full); do
			# The list names busybox itself; a link there would point at the host's.
			[[ $applet == bin/busybox ]] || ln -s /bin/busybox "$bbtree/$applet"
		done
		cp "$busybox" "$bbtree/bin/busybox" # last: it marks the tree complete
	fi
	cp -a "$bbtree/." "$stage/"

	# A Debian root gets what its test installs (--file), not the build's
	# binaries, nor the host's containerd: it has its own.
	local bins=() b
	if [[ -z $rootfs ]]; then
		while IFS= read -r b; do bins+=("$b"); done < <(
			find "$build_dir" -maxdepth 1 -type f -name 'syva*' -perm -u+x | sort)
		for b in "${bins[@]}"; do stage_binary "$b" /opt/syva/bin; done
		say "binaries: ${bins[*]##*/}"
		# iproute2's ip: busybox's cannot make veth pairs or move links between
		# network namespaces, which the network tests do.
		stage_binary "$(command -v ip)" /opt/syva/bin
		((containerd)) && stage_containerd
	else
		((containerd)) && stage_images
		touch "$stage/opt/syva/rootfs-boot"
	fi
	if ((${#files[@]})); then
		mkdir -p "$stage/opt/syva/files"
		cp "${files[@]}" "$stage/opt/syva/files/"
		say "files: ${files[*]##*/}"
	fi

	[[ -d $repo/policies ]] && cp -r "$repo/policies" "$stage/opt/syva/policies"
	cp -r "$repo/test/vm/guest" "$stage/opt/syva/guest"
	cp "$repo/test/vm/guest/init.sh" "$stage/init"
	chmod 755 "$stage/init"

	# The command travels as a script so spaces and quotes in arguments survive.
	local w line=
	for w in "$@"; do line+="$(sh_quote "$w") "; done
	printf '#!/bin/sh\n%s\n' "$line" >"$stage/opt/syva/guest-cmd.sh"

	stage_modules

	# -R 0:0: the files belong to root inside the guest whoever built them.
	(cd "$stage" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$vm/initramfs.cpio.gz"
	say "initramfs: $vm/initramfs.cpio.gz ($(du -h "$vm/initramfs.cpio.gz" | cut -f1))"
}

fetch_kernel
build_initramfs "$@"

# --- boot -------------------------------------------------------------------
# TCG unless asked: on this machine kind /dev/kvm is a PVM host (kvm_pvm)
# that opens and answers a probe but never runs a stock distribution kernel;
# the guest hangs silently. TCG boots the test kernel in about 10 s.
# SYVA_VM_ACCEL=kvm opts in where KVM is real.
# TCG in one host thread for both vCPUs: with a thread per vCPU, a vCPU can
# run a stale translation of kernel text another vCPU is patching (6.12
# patches static keys and calls as BPF-LSM programs attach); once here it
# hit the patch's int3 after the patch was done and the guest panicked.
accel=(-accel "${SYVA_VM_ACCEL:-tcg,thread=single}")
say "accelerator: ${SYVA_VM_ACCEL:-tcg,thread=single} (set SYVA_VM_ACCEL=kvm to use KVM where it runs stock kernels)"
# --icount: the guest's clock advances by executed instructions (shift=0: one
# nanosecond each; sleep=off: idle time is skipped, not waited), so a time
# measured in the guest is an instruction count, whatever else the host runs.
# One vCPU, as icount runs all vCPUs in one thread in turn.
cpus=(-smp 2)
((icount == 0)) || { cpus=(-smp 1 -icount shift=0,sleep=off); say "icount: one vCPU, guest time = instructions executed"; }
console=$vm/console.log
out=$vm/out
rm -rf "$out"; mkdir -p "$out"
say "booting (timeout ${timeout_s}s); console is saved to $console"
start=${EPOCHREALTIME//[!0-9]/}
# "-display none -serial stdio" rather than -nographic: with -nographic
# SeaBIOS mirrors itself on the serial line and sends terminal-reset escapes
# that wipe the user's screen. -nic none skips the network boot ROM.
# stdin from /dev/null: QEMU would otherwise put a terminal in raw mode and
# leave it so if killed. --foreground lets Ctrl-C reach QEMU; QEMU has no
# children that the timeout would miss.
# SYVA_VM_KERNEL_ARGS is for debugging, e.g. "loglevel=7" to undo quiet.
set +e
# --rootfs: -snapshot keeps the guest's writes in a temporary file, so every
# run boots the same root.
disk=()
[[ -z $rootfs ]] || disk=(-snapshot -drive "file=$rootfs,format=raw,if=virtio")
timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 "${accel[@]}" \
	-m "$mem" "${cpus[@]}" -display none -serial stdio -nic none -no-reboot "${disk[@]}" \
	-kernel "$vmlinuz" -initrd "$vm/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet panic=-1 lsm=lockdown,capability,bpf ${SYVA_VM_KERNEL_ARGS:-}" \
	</dev/null 2>&1 | tee "$console"
qemu_rc=${PIPESTATUS[0]}
set -e
elapsed_ms=$(((${EPOCHREALTIME//[!0-9]/} - start) / 1000))
elapsed=$((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100))

# --- results ----------------------------------------------------------------
# Files the guest framed with SYVA-FILE-BEGIN/END (see guest/emit-file.sh).
awk -v out="$out" '
	{ sub(/\r+$/, "") }
	name != "" && $0 == "SYVA-FILE-END " name { close(path); name = ""; next }
	name != "" { print > path; next }
	/^SYVA-FILE-BEGIN [A-Za-z0-9._-]+$/ && $2 != "." && $2 != ".." {
		name = $2; path = out "/" name; printf "" > path
	}
	END { if (name != "") print "run-in-vm: warning: file " name " was cut short" > "/dev/stderr" }
' "$console"
files=$(ls "$out")
[[ -z $files ]] || say "files from the guest in $out: $(echo "$files" | tr '\n' ' ')"

# The last one wins: the command's own output might contain an earlier one.
rc=$(awk '{ sub(/\r+$/, "") } /^SYVA-VM-RESULT rc=[0-9]+$/ { rc = substr($0, 19) } END { print rc }' "$console")
if [[ -n $rc ]]; then
	((qemu_rc != 124 && qemu_rc != 137)) || say "warning: the guest finished but did not power off in time"
	say "guest command exited with $rc (boot to power-off took ${elapsed}s)"
	exit "$rc"
fi
case $qemu_rc in
124 | 137) why="timed out after ${timeout_s}s" ;;
0) why="the VM stopped early (boot failure, or /init died?)" ;;
*) why="QEMU failed with exit code $qemu_rc" ;;
esac
panic=$(grep -a -m1 'Kernel panic' "$console" | tr -d '\r' || true)
[[ -z $panic ]] || why="kernel panic (${panic#*\] })"
say "FAILED: $why; no SYVA-VM-RESULT line. Last 30 console lines:"
tail -n 30 "$console" | sed 's/\r$//; s/^/  | /' >&2
exit 125
