#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what Syva needs, builds it, and runs every test: unit and host
# tests here, kernel tests in a QEMU VM with BPF-LSM on each supported kernel,
# Debian 12's 6.1 and 6.12 (this machine's kernel refuses BPF-LSM programs),
# and the refusal of Debian 11's 5.10.
# Ends with one line:
#   syva-tests: N passed, N failed, N skipped
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SYVA_BUILD_DIR:-$repo/build}
logs=$build/test-logs

bash "$repo/scripts/install-deps.sh" || { echo "installing dependencies failed"; exit 1; }
bash "$repo/scripts/build.sh" "$build" || { echo "build failed"; exit 1; }
rm -rf "$logs" && mkdir -p "$logs"

passed=0 failed=0 skipped=0 broken=0

# Counts one Catch2 run from its console summary and its skip log. Catch2 2.x
# has no skip state, so skipped cases are reported as passed by it and are
# moved from passed to skipped here.
# With MUST_LOAD=1 (the kernel suites: the VM exists to load BPF-LSM
# programs) a test skipped because the programs could not load counts as
# failed: that skip means Syva does not work on that kernel.
tally() { # NAME LOG SKIPLOG EXIT_CODE [MUST_LOAD]
	local name=$1 log=$2 skips=$3 rc=$4 must_load=${5:-0} line p=0 f=0 s=0 r=0
	line=$(tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;]*m//g' | grep -E '^(All tests passed|test cases:)' | tail -n 1)
	if [[ $line =~ ^All\ tests\ passed.*in\ ([0-9]+)\ test\ case ]]; then
		p=${BASH_REMATCH[1]}
	elif [[ $line =~ ^test\ cases:\ *([0-9]+) ]]; then
		[[ $line =~ ([0-9]+)\ passed ]] && p=${BASH_REMATCH[1]}
		[[ $line =~ ([0-9]+)\ failed ]] && f=${BASH_REMATCH[1]}
	else
		echo "!!! $name: no test summary (exit $rc): the run broke before reporting"
		broken=$((broken + 1))
		f=1
	fi
	[[ -s $skips ]] && s=$(wc -l <"$skips")
	p=$((p - s))
	local cannot_load='^[^\t]*\tBPF-LSM programs cannot load'
	if ((must_load)) && [[ -s $skips ]]; then
		r=$(grep -cP "$cannot_load" "$skips")
		s=$((s - r)) f=$((f + r))
		((r == 0)) || echo "!!! $name: $r tests could not load the BPF-LSM programs in a VM made to load them: counted as failed"
	fi
	if ((rc != 0 && f == 0)); then f=1; fi
	echo "--- $name: $p passed, $f failed, $s skipped"
	if ((r)); then
		grep -P "$cannot_load" "$skips" | sed 's/^/    FAILED (could not load): /'
		grep -vP "$cannot_load" "$skips" | sed 's/^/    SKIPPED: /'
	elif [[ -s $skips ]]; then
		sed 's/^/    SKIPPED: /' "$skips"
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

run_host() { # NAME BINARY
	local name=$1 bin=$2 rc
	echo "=== $name"
	SYVA_SKIP_LOG=$logs/$name.skips "$bin" 2>&1 | tee "$logs/$name.log"
	rc=${PIPESTATUS[0]}
	tally "$name" "$logs/$name.log" "$logs/$name.skips" "$rc"
}

run_host unit "$build/syva-unit-tests"
run_host host "$build/syva-host-tests"
run_host watcher "$build/syva-watcher-tests"

# The Kubernetes manifest and image file against the binary (a static check:
# no cluster here). It counts its own checks as one test.
echo "=== deploy manifest"
bash "$repo/test/host/deploy_manifest_test.sh" "$build" 2>&1 | tee "$logs/deploy.log"
rc=${PIPESTATUS[0]}
if ((rc == 0)) && grep -q '^deploy_manifest_test: [0-9]* passed, 0 failed' "$logs/deploy.log"; then
	echo "--- deploy: 1 passed, 0 failed, 0 skipped"
	passed=$((passed + 1))
else
	echo "--- deploy: 0 passed, 1 failed, 0 skipped"
	failed=$((failed + 1))
fi

# Work that needs no VM runs in the background while the kernel suites run:
# each kernel VM keeps one core busy (single-threaded TCG), and this uses
# what is left (niced, so the VMs keep theirs). In order:
#  - the Debian root the install suites boot (debootstrap, with the
#    package's dependencies) and the agent's image (deploy/Dockerfile built
#    with buildah from a debootstrap base, which compiles Syva again in it);
#  - ASan + UBSan unit tests and the libFuzzer targets (test/fuzz) in their
#    own build directory, each step counting as one test. The fuzzers run
#    for a fixed time, so a busy core costs them inputs, never the time.
deb=$(ls "$build"/syva_*_amd64.deb 2>/dev/null | head -n 1)
prepare_install_suites() {
	[[ -n $deb ]] || return 3
	nice -n 10 bash "$repo/test/vm/debian-root.sh" "$build" "$deb" >"$logs/debian-root.log" 2>&1 || return 1
	nice -n 10 bash "$repo/scripts/build-image.sh" "$build" >"$logs/build-image.log" 2>&1 || return 2
}
background() {
	local start=$SECONDS rc
	prepare_install_suites
	rc=$?
	echo "$rc $((SECONDS - start))" >"$logs/prepare.rc"
	start=$SECONDS
	SYVA_SANITIZE_BUILD_DIR="$build-sanitize" nice -n 10 bash "$repo/scripts/fuzz-and-sanitize.sh" >"$logs/fuzz.log" 2>&1
	echo "$? $((SECONDS - start))" >"$logs/fuzz.rc"
}
echo "=== in the background: Debian root and the agent's image, then fuzz and sanitize (logs: $logs/debian-root.log, $logs/build-image.log, $logs/fuzz.log)"
background &
background_pid=$!

# Every kernel test once per supported kernel, each in its own VM and tallied
# on its own line. Label and Debian package (test/vm/README.md, "Picking a
# kernel"); the first run of each downloads and caches its kernel.
kernel_suite() { # LABEL PACKAGE
	local label=$1 pkg=$2 name=kernel-$1 rc start=$SECONDS
	echo "=== $name (in a VM: $pkg, lsm=lockdown,capability,bpf)"
	# A run that breaks before booting must not leave the last run's skips here.
	rm -f "$build/vm/out/kernel-skips.txt"
	# overlay: the rootfs test mounts one, and containerd mounts one per container.
	# veth: the zone network test joins network namespaces with veth pairs.
	# --containerd: containerd, runc and a busybox image for the container tests.
	# --timeout 2700: one suite takes about 20 min under single-threaded TCG
	# (100 container starts alone take 10-13 min) and 25-30 min when the other
	# core is busy; the default 600 s is far too close.
	"$repo/test/vm/run-in-vm.sh" --build-dir "$build" --kernel "$pkg" --modules "overlay veth bridge" --containerd --mem 2048 \
		--timeout 2700 -- /opt/syva/guest/kernel-tests.sh 2>&1 | tee "$logs/$name.log"
	rc=${PIPESTATUS[0]}
	cp "$build/vm/out/kernel-skips.txt" "$logs/$name.skips" 2>/dev/null || : >"$logs/$name.skips"
	tally "$name" "$logs/$name.log" "$logs/$name.skips" "$rc" 1
	echo "    took $((SECONDS - start)) s"
}
kernel_suite 6.1 linux-image-cloud-amd64       # Debian 12's own kernel
kernel_suite 6.12 linux-image-6.12-cloud-amd64 # Debian 12's backported 6.12

# Debian 11's 5.10 has BPF-LSM but not what the programs need: the agent and
# `syva probe` must refuse it, naming what is missing. Its kernel comes from
# Debian 11's archive through the runner's private apt configuration
# (--suite); only the refusal test runs there.
echo "=== kernel-5.10 (in a VM: bullseye's linux-image-cloud-amd64, lsm=lockdown,capability,bpf): refused at start"
rm -f "$build/vm/out/kernel-skips.txt"
"$repo/test/vm/run-in-vm.sh" --build-dir "$build" --suite bullseye --kernel linux-image-cloud-amd64 --mem 1024 \
	--timeout 600 -- /opt/syva/guest/kernel-tests.sh "[refused-kernel]" 2>&1 | tee "$logs/kernel-5.10.log"
rc=${PIPESTATUS[0]}
cp "$build/vm/out/kernel-skips.txt" "$logs/kernel-5.10.skips" 2>/dev/null || : >"$logs/kernel-5.10.skips"
tally kernel-5.10 "$logs/kernel-5.10.log" "$logs/kernel-5.10.skips" "$rc"

start=$SECONDS
wait "$background_pid"
echo "=== background work: waited $((SECONDS - start)) s for it after the kernel suites"

echo "=== fuzz and sanitize (clang, ASan + UBSan, libFuzzer; ran in the background)"
cat "$logs/fuzz.log" 2>/dev/null
read -r rc took <"$logs/fuzz.rc" 2>/dev/null || rc=1 took=0
echo "    took $took s"
line=$(grep -E '^fuzz-and-sanitize: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$logs/fuzz.log" 2>/dev/null | tail -n 1)
if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
	p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
	((rc != 0 && f == 0)) && f=1
else
	echo "!!! fuzz-and-sanitize: no summary (exit $rc)"
	p=0 f=1 s=0 broken=$((broken + 1))
fi
echo "--- fuzz: $p passed, $f failed, $s skipped"
passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))

# The Debian package (made by scripts/build.sh) installed and run under
# systemd, and the agent's image run through containerd as the DaemonSet
# runs it, in the Debian 12 root booted with systemd on each kernel
# (test/vm/README.md, "A Debian root with systemd"). Each of the two counts
# as one test per kernel.
echo "=== Debian root: the package, the image"
root_img="" image_files=()
read -r rc took <"$logs/prepare.rc" 2>/dev/null || rc=1 took=0
echo "    made in $took s (exit $rc)"
if ((rc == 3)); then
	echo "!!! no syva_*_amd64.deb in $build: scripts/build.sh makes it"
elif ((rc == 1)); then
	tail -n 20 "$logs/debian-root.log"
	echo "!!! making the Debian root failed (log: $logs/debian-root.log)"
else
	root_img=$(tail -n 1 "$logs/debian-root.log")
	[[ $root_img == *.img ]] || root_img=""
	tail -n 3 "$logs/build-image.log"
	if ((rc == 0)); then
		image_files=(--file "$build/syva-image.tar")
	else
		echo "!!! building the image failed (log: $logs/build-image.log): image-test counts as failed"
	fi
fi
install_suite() { # LABEL PACKAGE
	local label=$1 pkg=$2 name=install-$1 rc t line p f s
	echo "=== $name (in a VM: $pkg, Debian 12 root with systemd)"
	if [[ -z $root_img ]]; then
		rc=1
		: >"$logs/$name.log"
	else
		"$repo/test/vm/run-in-vm.sh" --build-dir "$build" --kernel "$pkg" --rootfs "$root_img" \
			--file "$deb" "${image_files[@]}" --modules overlay --containerd --mem 2048 --timeout 900 \
			-- /opt/syva/guest/install-tests.sh 2>&1 | tee "$logs/$name.log"
		rc=${PIPESTATUS[0]}
	fi
	p=0 f=0 s=0
	for t in package-test image-test; do
		line=$(tr -d '\r' <"$logs/$name.log" | grep -E "^$t: " | tail -n 1)
		if [[ $line =~ ^$t:\ [0-9]+\ passed,\ 0\ failed$ ]]; then
			p=$((p + 1))
		else
			f=$((f + 1))
			echo "    FAILED: $t on $label: ${line:-no summary (exit $rc)}"
		fi
	done
	echo "--- $name: $p passed, $f failed, $s skipped"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}
install_suite 6.1 linux-image-cloud-amd64
install_suite 6.12 linux-image-6.12-cloud-amd64

echo
echo "syva-tests: $passed passed, $failed failed, $skipped skipped"
((failed == 0 && broken == 0))
