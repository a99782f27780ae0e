#!/bin/sh
# Installs every Debian 12 package that muse-qupath's build, tests and benchmarks need.
# Idempotent; run as root (or through sudo) on a fresh machine: scripts/install-deps.sh
# When every package is already installed it changes nothing and needs no root
# (--force runs apt-get update and install anyway).
set -eu

# Why each group is here:
#  - build: compiler, CMake, LibTorch (CPU) with OpenBLAS-openmp, oneDNN headers (the library
#    LibTorch links; we call its Winograd convolutions directly); without an optimised BLAS
#    LibTorch falls back to reference BLAS (20-30x slower). libopenblas0-pthread must NOT be
#    installed beside it: it wins update-alternatives and oversubscribes threads.
#  - slides and images: OpenSlide, OpenCV, libvips/libtiff tools (test slides).
#  - CLI/config: CLI11, nlohmann-json; xxHash (model-file checksums, header-only).  UI: Qt 6 (+ xvfb for headless tests).
#  - Java: JDK 17, JUnit 5 console, OpenJFX (compiling the QuPath extension).
#  - tests: GoogleTest, Google Benchmark, Debian's python3-torch (parity fixtures only).
#  - bundle: patchelf (scripts/bundle-native.sh sets RPATH $ORIGIN on the copied libraries).
#  - fuzzing: clang 14 with its sanitizer and libFuzzer runtimes (tests/fuzz, bench/fuzz.sh).
#  - cohorts: Snakemake (workflows/cohort) and matplotlib (its cohort plot).
PACKAGES="
build-essential cmake ninja-build pkg-config git ca-certificates
libtorch-dev libopenblas0-openmp libdnnl-dev
libopenslide-dev openslide-tools libopencv-dev libvips-tools libtiff-tools
libcli11-dev nlohmann-json3-dev zlib1g-dev libxxhash-dev
qt6-base-dev xvfb xauth
default-jdk-headless junit5 libopenjfx-java libslf4j-java
libgtest-dev libgmock-dev googletest libbenchmark-dev patchelf
clang-14 libclang-rt-14-dev
snakemake python3-matplotlib
python3 python3-torch python3-torchvision python3-numpy
"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -z "$missing" ] && [ "${1:-}" != "--force" ] && ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
    echo "install-deps.sh: all dependencies already installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo "$0" "$@"
    fi
    echo "install-deps.sh: must run as root (or with sudo available) to install:$missing" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $PACKAGES

if dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
    echo "install-deps.sh: removing libopenblas0-pthread (oversubscribes threads with LibTorch)"
    apt-get remove -y libopenblas0-pthread
fi
echo "install-deps.sh: all dependencies installed"
