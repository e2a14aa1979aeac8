#!/usr/bin/env bash
# Installs what Syva needs, builds it, and runs every test: unit and host
# tests here, kernel tests in a QEMU VM on Debian's 6.1 kernel with BPF-LSM
# (this machine's kernel refuses BPF-LSM programs). Ends with one line:
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
tally() { # NAME LOG SKIPLOG EXIT_CODE
	local name=$1 log=$2 skips=$3 rc=$4 line p=0 f=0 s=0
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
	if ((rc != 0 && f == 0)); then f=1; fi
	echo "--- $name: $p passed, $f failed, $s skipped"
	[[ -s $skips ]] && sed 's/^/    SKIPPED: /' "$skips"
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

# ASan + UBSan unit tests and the libFuzzer targets (test/fuzz) in their own
# build directory; each of its steps counts as one test.
echo "=== fuzz and sanitize (clang, ASan + UBSan, libFuzzer)"
SYVA_SANITIZE_BUILD_DIR="$build-sanitize" bash "$repo/scripts/fuzz-and-sanitize.sh" 2>&1 | tee "$logs/fuzz.log"
rc=${PIPESTATUS[0]}
line=$(grep -E '^fuzz-and-sanitize: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$logs/fuzz.log" | tail -n 1)
if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
	p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
	((rc != 0 && f == 0)) && f=1
else
	echo "!!! fuzz-and-sanitize: no summary (exit $rc)"
	p=0 f=1 s=0 broken=$((broken + 1))
fi
echo "--- fuzz: $p passed, $f failed, $s skipped"
passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))

echo "=== kernel (in a VM: Debian 6.1 kernel, lsm=lockdown,capability,bpf)"
# overlay: the rootfs test mounts one, and containerd mounts one per container.
# --containerd: containerd, runc and a busybox image for the container tests.
"$repo/test/vm/run-in-vm.sh" --build-dir "$build" --modules overlay --containerd --mem 2048 \
	-- /opt/syva/guest/kernel-tests.sh 2>&1 | tee "$logs/kernel.log"
rc=${PIPESTATUS[0]}
cp "$build/vm/out/kernel-skips.txt" "$logs/kernel.skips" 2>/dev/null || : >"$logs/kernel.skips"
tally kernel "$logs/kernel.log" "$logs/kernel.skips" "$rc"

echo
echo "syva-tests: $passed passed, $failed failed, $skipped skipped"
((failed == 0 && broken == 0))
