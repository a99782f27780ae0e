#!/bin/sh
# Configures and builds muse-qupath in build/ (or $MUSE_BUILD_DIR) after installing the Debian
# packages it needs. Extra arguments are passed to `cmake --build` (e.g. --target muse).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build_dir=${MUSE_BUILD_DIR:-build}
generator=""
# Keep whatever generator an existing build directory was made with.
if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
    generator="-G Ninja"
fi
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" $generator -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j "$(nproc)" "$@"
