#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the unit tests and the libFuzzer targets with clang, ASan and UBSan
# into their own build directory, runs the unit tests there, then each
# fuzzer for a bounded time on its seed corpus from test/fuzz/corpus/ (new
# inputs it finds go to a scratch directory, so the repository is left as it
# was). Each step is one test; a crash input and
# the sanitizer's report are kept under BUILD/fuzz-logs/. Ends with one line:
#   fuzz-and-sanitize: N passed, N failed, N skipped
#
# Environment:
#   SYVA_SANITIZE_BUILD_DIR  build directory (default: ${SYVA_BUILD_DIR:-build}-sanitize)
#   SYVA_FUZZ_SECONDS        seconds per fuzzer (default 60; 0 skips fuzzing)
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SYVA_SANITIZE_BUILD_DIR:-${SYVA_BUILD_DIR:-$repo/build}-sanitize}
seconds=${SYVA_FUZZ_SECONDS:-60}
logs=$build/fuzz-logs
fuzzers=(fuzz-policy-loader fuzz-containerd-events fuzz-container-metadata)
declare -A corpus=([fuzz-policy-loader]=policy [fuzz-containerd-events]=events [fuzz-container-metadata]=metadata)
steps=$((1 + ${#fuzzers[@]}))
passed=0 failed=0 skipped=0

finish() {
	echo
	echo "fuzz-and-sanitize: $passed passed, $failed failed, $skipped skipped"
	((failed == 0))
	exit
}
step_result() { # NAME RESULT(passed|failed|skipped) [REASON]
	case $2 in
	passed) passed=$((passed + 1)); echo "--- $1: 1 passed, 0 failed, 0 skipped" ;;
	failed) failed=$((failed + 1)); echo "--- $1: 0 passed, 1 failed, 0 skipped" ;;
	skipped) skipped=$((skipped + 1)); echo "--- $1: 0 passed, 0 failed, 1 skipped"; echo "    SKIPPED: $3" ;;
	esac
}
all_failed() { # WHY
	echo "!!! $1"
	failed=$steps
	finish
}

bash "$repo/scripts/install-deps.sh" || all_failed "installing dependencies failed"

echo "=== configure and build (clang, ASan + UBSan, libFuzzer) in $build"
start=$SECONDS
# -O1 without NDEBUG: fast enough under the sanitizers, asserts kept.
CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -DSYVA_SANITIZE=ON -DSYVA_FUZZ=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g" \
	"-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" >/dev/null || all_failed "configuring $build failed"
rm -rf "$logs" && mkdir -p "$logs"
if ! cmake --build "$build" -j "$(nproc)" --target syva-unit-tests "${fuzzers[@]}" >"$logs/build.log" 2>&1; then
	grep -E -A3 'error|Error' "$logs/build.log" | head -n 40
	all_failed "building in $build failed (log: $logs/build.log)"
fi
echo "built in $((SECONDS - start)) s"

scratch=$(mktemp -d /tmp/syva-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# Every sanitizer report is fatal and comes with its stack.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:symbolize=1

echo "=== unit tests under ASan + UBSan"
SYVA_SKIP_LOG=$logs/unit.skips TMPDIR=$scratch "$build/syva-unit-tests" >"$logs/unit.log" 2>&1
rc=$?
summary=$(tr -d '\r' <"$logs/unit.log" | sed 's/\x1b\[[0-9;]*m//g' | grep -E '^(All tests passed|test cases:)' | tail -n 1)
if ((rc == 0)) && [[ $summary == "All tests passed"* ]]; then
	echo "$summary"
	[[ -s $logs/unit.skips ]] && sed 's/^/    (a unit test skipped itself) /' "$logs/unit.skips"
	step_result unit-asan-ubsan passed
else
	# Catch2's failures and the sanitizer's report (it aborts the run).
	grep -E -B2 -A12 'FAILED:|runtime error|ERROR: (Address|Leak)Sanitizer' "$logs/unit.log" | head -n 80
	echo "${summary:-no test summary (exit $rc): the run broke before reporting}"
	echo "    full log: $logs/unit.log"
	step_result unit-asan-ubsan failed
fi

for f in "${fuzzers[@]}"; do
	name=${corpus[$f]}
	echo "=== $f: ${seconds} s on test/fuzz/corpus/$name"
	if ((seconds <= 0)); then
		step_result "$f" skipped "SYVA_FUZZ_SECONDS=$seconds"
		continue
	fi
	seeds=$repo/test/fuzz/corpus/$name
	work=$scratch/$f && mkdir -p "$work/new" "$work/tmp"
	dict=()
	[[ -f $repo/test/fuzz/$name.dict ]] && dict=("-dict=$repo/test/fuzz/$name.dict")
	# New inputs go to $work/new (first directory); the seeds are only read.
	(cd "$work" && TMPDIR=$work/tmp timeout -k 10 $((seconds + 300)) "$build/$f" \
		-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
		"${dict[@]}" -artifact_prefix="$logs/$f-" "$work/new" "$seeds") >"$logs/$f.log" 2>&1
	rc=$?
	log=$logs/$f.log
	nseeds=$(find "$seeds" -type f | wc -l)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(sed -nE 's/.* cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+)\/([0-9]+[a-zA-Z]*).*/\1 \2 \3 \4/p' <<<"$last")
	read -r edges features corp corpbytes <<<"$cov"
	echo "    executions: ${runs:-?} (${rate:-?}/s); corpus: $nseeds seeds -> ${corp:-?} inputs (${corpbytes:-?}); coverage: ${edges:-?} edges, ${features:-?} features"
	if ((rc == 0)) && grep -q '^Done [0-9]* runs' "$log"; then
		step_result "$f" passed
	else
		artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
		# The first report, from its headline to its SUMMARY line.
		awk '/runtime error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|FUZZ EXPECTATION FAILED|^==[0-9]+==ERROR/ {on = 1}
			on {print substr($0, 1, 300)} on && /^SUMMARY:/ {exit}' "$log" | head -n 40
		echo "    exit $rc; full log: $log"
		if [[ -n $artifact && -f $artifact ]]; then
			echo "    input: $artifact ($(stat -c %s "$artifact") bytes), base64: $(base64 -w0 "$artifact" | head -c 2000)"
			echo "    reproduce: $build/$f $artifact"
		fi
		step_result "$f" failed
	fi
done

finish
