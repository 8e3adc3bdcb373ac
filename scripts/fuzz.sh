#!/bin/sh
# Runs every libFuzzer target (or those named) for SECONDS each, built with
# -sanitize=fuzzer,address into .build-fuzz. New inputs the fuzzer finds go
# to .build-fuzz/corpus (the committed seeds in Fuzz/corpus stay as they
# are); a crash, leak or broken property stops that target and leaves its
# input in .build-fuzz/crashes. Prints executions, speed and coverage per
# target, and exits 1 when anything was found.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (make fuzz, make fuzz-smoke)
#   FUZZ_SEED=N fixes libFuzzer's seed (the smoke run in make test uses 1).
set -eu
cd "$(dirname "$0")/.."
seconds="${1:-300}"
[ $# -gt 0 ] && shift
scratch=.build-fuzz

# The coverage kinds are named outright: SwiftPM 6.3 joins its two
# sanitizers in no fixed order, and as "-sanitize=fuzzer,address" swiftc
# leaves out the coverage counters, so libFuzzer would fuzz blind (seen in
# about half the builds). A change of flags does not rebuild everything, so
# a build without counters (an older one) is thrown away and made again.
build() {
    swift build --scratch-path "$scratch" --product kith-fuzz \
        --sanitize=address --sanitize=fuzzer -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
        -Xswiftc -DKITH_LIBFUZZER >"$scratch.log" 2>&1 || {
        tail -30 "$scratch.log" >&2
        echo "fuzz: the sanitizer build failed (the whole log: $scratch.log)" >&2
        exit 2
    }
}
instrumented() {
    readelf -S "$(swift build --scratch-path "$scratch" --show-bin-path)/kith-fuzz" 2>/dev/null | grep -q __sancov_cntrs
}
build
if ! instrumented; then
    echo "fuzz: the build in $scratch has no coverage counters; building it again from scratch" >&2
    # Only the build: the corpus and crashes found so far stay.
    rm -rf "$scratch/x86_64-unknown-linux-gnu" "$scratch/debug" "$scratch/build.db"
    build
    instrumented || { echo "fuzz: the sanitizer build has no coverage counters even from scratch" >&2; exit 2; }
fi
bin="$(swift build --scratch-path "$scratch" --show-bin-path)/kith-fuzz"
# The replayer (an ordinary build) knows the targets and their input limits.
swift build --product kith-fuzz >/dev/null 2>&1
list="$(swift build --show-bin-path)/kith-fuzz"
targets="$*"
[ -n "$targets" ] || targets="$("$list" list | cut -d' ' -f1)"

mkdir -p "$scratch/crashes"
found=0
printf '%-15s %12s %9s %7s %7s %7s  %s\n' target executions exec/s edges features corpus result
for target in $targets; do
    limit="$("$list" list | awk -v t="$target" '$1 == t { print $2 }')"
    [ -n "$limit" ] || { echo "fuzz: no target named $target (see: kith-fuzz list)" >&2; exit 64; }
    work="$scratch/corpus/$target"
    mkdir -p "$work" "Fuzz/regressions/$target"
    log="$scratch/$target.log"
    status=0
    KITH_FUZZ_TARGET="$target" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
        "$bin" -seed="${FUZZ_SEED:-0}" -max_total_time="$seconds" -max_len="$limit" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$scratch/crashes/$target-" \
        "$work" "Fuzz/corpus/$target" "Fuzz/regressions/$target" >"$log" 2>&1 || status=$?
    if ! grep -q "inline 8-bit counters" "$log"; then
        echo "fuzz: $target ran without coverage counters (the build is not instrumented); see $log" >&2
        exit 2
    fi
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    last="$(grep -E '^#[0-9]+' "$log" | tail -1)"
    edges="$(printf '%s' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')"
    features="$(printf '%s' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')"
    units="$(printf '%s' "$last" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')"
    if [ "$status" -eq 0 ]; then result=clean; else result="FOUND (exit $status; see $log)"; found=1; fi
    printf '%-15s %12s %9s %7s %7s %7s  %s\n' "$target" "${runs:-?}" "${speed:-?}" "${edges:-?}" "${features:-?}" "${units:-?}" "$result"
done
if [ "$found" -ne 0 ]; then
    echo "fuzz: inputs that broke a target are in $scratch/crashes; replay one with" >&2
    echo "  $list TARGET FILE   and keep it as a regression in Fuzz/regressions/TARGET/" >&2
    exit 1
fi
