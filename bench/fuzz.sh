#!/bin/sh
# Fuzzes every reader of untrusted bytes for SECONDS each (default 600) and reports executions
# and speed per target, with the CPU: the numbers of docs/engine.md. Builds the targets first
# (tests/fuzz, clang + ASan + UBSan + libFuzzer). A finding stops nothing else; the exit status
# says whether any target crashed, leaked or hung, and the reproducers stay in OUT/findings.
#
#   bench/fuzz.sh [SECONDS] [OUT] [RUNS]   e.g. bench/fuzz.sh 600 build/fuzz-report
#
# With RUNS, a target stops after RUNS executions or SECONDS, whichever comes first:
#   bench/fuzz.sh 1200 build/fuzz-report 1000000     (the 1 M executions per target of docs/engine.md)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
out=${2:-$here/build/fuzz-report}
runs=${3:-}
build=${MUSE_FUZZ_BUILD_DIR:-$here/build/fuzz}
mkdir -p "$out"
clangxx=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$clangxx" ]; then
    echo "fuzz.sh: clang++ not found: run scripts/install-deps.sh" >&2
    exit 2
fi
cmake -S "$here/tests/fuzz" -B "$build" -DCMAKE_CXX_COMPILER="$clangxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$out/configure.log"
cmake --build "$build" -j "$(nproc)" > "$out/build.log"
. "$here/bench/common.sh"
echo "# $(date -u +%FT%TZ) $(bench_machine), $seconds s per target${runs:+ or $runs executions}" | tee "$out/report.txt"
failed=0
for target in fuzz_pickle fuzz_torch_checkpoint fuzz_model_file fuzz_safetensors_header \
              fuzz_geojson_annotations fuzz_geojson_detections fuzz_geojson_regions fuzz_points_csv; do
    status=0
    MUSE_FUZZ_RUNS=$runs "$here/tests/fuzz/run_target.sh" "$build/$target" "$here/tests/fuzz/corpus/$target" "$seconds" "$out/findings/$target" \
        > "$out/$target.txt" 2>&1 || status=$?
    cat "$out/$target.txt" | tee -a "$out/report.txt"
    [ "$status" -eq 0 ] || failed=1
done
exit "$failed"
