#!/bin/sh
# A self-contained native library for QuPath on another Linux (x86-64, glibc) machine:
# libmuse_jni.so with every shared library it needs copied beside it (LibTorch, oneDNN,
# OpenBLAS, OpenCV, OpenSlide and theirs), each with RPATH $ORIGIN, so that the folder works
# wherever it is put. Only the baseline every such system has is left out: glibc (libc, libm,
# libdl, libpthread, librt, the loader) and the GCC runtime (libstdc++, libgcc_s); the bundle
# needs glibc >= 2.36 and libstdc++ of GCC >= 12 (Debian 12, Ubuntu 22.10, RHEL 10 or newer).
#
#   scripts/bundle-native.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, BUILD_DIR/native-bundle)
#
# Then copy OUT_DIR's files into QuPath's extensions folder beside the extension jar (or point
# Edit > Preferences > MUSE > Native library at the folder). The folder appears complete or not
# at all (built under OUT_DIR.part, then renamed).
set -eu
build=${1:-build}
out=${2:-$build/native-bundle}
lib=$build/jni/libmuse_jni.so
if [ ! -f "$lib" ]; then
    echo "bundle-native: $lib not found: build first (scripts/build.sh)" >&2
    exit 2
fi
if ! command -v patchelf >/dev/null 2>&1; then
    echo "bundle-native: patchelf not found: install it (scripts/install-deps.sh)" >&2
    exit 2
fi
# The baseline: what every glibc Linux with a recent GCC runtime has.
baseline='^(linux-vdso\.so|ld-linux-x86-64\.so|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libresolv\.so|libutil\.so|libstdc\+\+\.so|libgcc_s\.so)'

part=$out.part
rm -rf "$part"
mkdir -p "$part"
cp -L "$lib" "$part/"
missing=$(ldd "$lib" | awk '/not found/ { print $1 }')
if [ -n "$missing" ]; then
    echo "bundle-native: $lib needs libraries this machine lacks: $missing" >&2
    exit 1
fi
# ldd lists the whole closure (the libraries of the libraries), resolved as the loader would.
ldd "$lib" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | while read -r name path; do
    if printf '%s\n' "$name" | grep -Eq "$baseline"; then continue; fi
    cp -L "$path" "$part/$name"
done
for f in "$part"/*; do
    chmod u+w "$f"
    # DT_RPATH (not RUNPATH): searched for the libraries of each library too, before the system's.
    patchelf --force-rpath --set-rpath '$ORIGIN' "$f"
done
rm -rf "$out"
mv "$part" "$out"
echo "bundle-native: $out: $(ls "$out" | wc -l) files, $(du -sh "$out" | cut -f1) ($(du -sb "$out" | cut -f1) bytes)"
