#!/bin/sh
# Runs one fuzz target for SECONDS on its committed seed corpus (read-only: what it finds goes
# to a scratch folder) and prints one line: target, executions, executions per second, result.
# Exit status non-zero on a crash, leak, timeout or sanitizer report (the reproducer is kept in
# ARTIFACTS, default the scratch folder).
#
#   tests/fuzz/run_target.sh BUILD/fuzz/fuzz_pickle tests/fuzz/corpus/fuzz_pickle 5 [ARTIFACTS]
#
# MUSE_FUZZ_RUNS=N stops the target after N executions if that comes before SECONDS.
set -eu
target=${1:?usage: run_target.sh TARGET_BINARY SEED_CORPUS SECONDS [ARTIFACTS]}
seeds=${2:?seed corpus folder}
seconds=${3:?seconds}
name=$(basename "$target")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/muse-$name.XXXXXX")
artifacts=${4:-$scratch}
mkdir -p "$artifacts" "$scratch/corpus"
trap 'rm -rf "$scratch/corpus"' EXIT
status=0
started=$(date +%s)
# -timeout: an input that takes over 10 s is a hang; -rss_limit_mb: one that takes over 2 GiB is a finding too.
runs_cap=${MUSE_FUZZ_RUNS:+-runs=$MUSE_FUZZ_RUNS}
# shellcheck disable=SC2086  # runs_cap is one word or none
"$target" -max_total_time="$seconds" $runs_cap -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$scratch/corpus" "$seeds" > "$scratch/log" 2>&1 || status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/log" | tail -n 1)
if [ "$status" -eq 0 ]; then
    echo "$name: ${runs:-0} executions in $(( $(date +%s) - started )) s (${rate:-0}/s), no crash, leak or hang"
else
    echo "$name: FAILED after ${runs:-?} executions (exit $status); reproducer in $artifacts" >&2
    grep -E 'ERROR|SUMMARY|==[0-9]+==|terminate|what\(\)' "$scratch/log" | head -n 20 >&2
    cp "$scratch/log" "$artifacts/$name.log"
fi
exit "$status"
