#!/bin/sh
# The whole test suite from a fresh clone: dependencies, build, then every test through CTest
# (label "unit": all GoogleTest cases; label "sanitized": the bad-input cases again under
# AddressSanitizer + UBSan). Ends with CTest's summary line; exit status 0 only if all pass.
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh
build_dir=${MUSE_BUILD_DIR:-build}
if [ -f ../shared/fixtures/parity/cases.json ] || [ -n "${MUSE_SHARED_DIR:-}" ]; then
    echo "test.sh: shared data found: the parity tests against the reference run"
else
    echo "test.sh: ../shared not found: tests that need it will be reported as skipped"
fi
cd "$build_dir"
ctest -j "$(nproc)" --output-on-failure
