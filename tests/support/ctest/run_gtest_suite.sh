#!/bin/bash
# Runs one GoogleTest suite for CTest: run_gtest_suite.sh BINARY --gtest_filter=Suite.*
# Exits 77 (the tests' SKIP_RETURN_CODE) only when the run passed and every case in it was
# skipped (a case skips where ../shared or a CPU feature is missing, saying why); otherwise the
# binary's own status, so a failing case beside a skipped one still fails the suite.
set -o pipefail
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
"$@" 2>&1 | tee "$log"
status=$?
if [ "$status" -eq 0 ] && grep -q '^\[  SKIPPED \] ' "$log" && grep -q '^\[  PASSED  \] 0 tests\.' "$log"; then
    exit 77
fi
exit "$status"
