#!/bin/sh
# The self-contained native bundle (scripts/bundle-native.sh) must work on a machine without
# this build's Debian libraries:
#  1. ldd of every file in the bundle resolves every library outside the glibc/GCC baseline
#     to a file inside the bundle (nothing "not found", nothing from the system);
#  2. the Java engine tests pass with the bundle alone, while every system copy of a bundled
#     library is hidden (each bind-mounted over by an empty file in a private mount namespace,
#     so loading one would fail). Needs root and unshare; without them step 2 is skipped, said so.
#
#   test_native_bundle.sh SOURCE_DIR BUILD_DIR JAVA JUNIT_CONSOLE CLASSPATH TEST_JAR
set -eu
src=$1 build=$2 java=$3 junit=$4 classpath=$5 tests_jar=$6
bundle=$(mktemp -d)/bundle
trap 'rm -rf "$(dirname "$bundle")"' EXIT
"$src/scripts/bundle-native.sh" "$build" "$bundle"
baseline='^(linux-vdso\.so|ld-linux-x86-64\.so|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libresolv\.so|libutil\.so|libstdc\+\+\.so|libgcc_s\.so)'

bad=0
for f in "$bundle"/*; do
    ldd "$f" > "$bundle.ldd" 2>&1 || true
    if grep -q 'not found' "$bundle.ldd"; then
        echo "FAIL: $(basename "$f"): $(grep 'not found' "$bundle.ldd" | tr -s ' \t' ' ')"
        bad=1
    fi
    outside=$(awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' "$bundle.ldd" | grep -Ev "$baseline" | grep -v " $bundle/" || true)
    if [ -n "$outside" ]; then
        echo "FAIL: $(basename "$f") resolves outside the bundle: $outside"
        bad=1
    fi
done
[ "$bad" -eq 0 ] || exit 1
echo "ok: every library of the $(ls "$bundle" | wc -l) files resolves inside the bundle or to the glibc/GCC baseline"

if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
    echo "SKIPPED step 2: hiding the system libraries needs root and unshare (mount namespaces)"
    exit 0
fi
# The system copies of the bundled libraries, except those the JVM itself loads (a target
# machine that runs Java has them, and the JVM holds them before our library loads) and those of
# the base tools this test runs in the namespace (mount, sh, env: every Linux has them).
jdk_lib=$(dirname "$(dirname "$(readlink -f "$java")")")/lib
ldd "$jdk_lib"/*.so "$jdk_lib"/server/*.so "$(command -v mount)" "$(command -v sh)" "$(command -v env)" 2>/dev/null |
    awk '$2 == "=>" { print $1 }' | sort -u > "$bundle.jvm"
: > "$bundle.hide"
for f in "$bundle"/*.so*; do
    name=$(basename "$f")
    [ "$name" = libmuse_jni.so ] && continue
    grep -qx -F "$name" "$bundle.jvm" && continue
    for dir in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/local/lib; do
        [ -e "$dir/$name" ] && readlink -f "$dir/$name" >> "$bundle.hide"
        [ -e "$dir/$name" ] && echo "$dir/$name" >> "$bundle.hide"
    done
done
sort -u "$bundle.hide" -o "$bundle.hide"
echo "hiding $(wc -l < "$bundle.hide") system library files"
: > "$bundle.empty"
# shellcheck disable=SC2016
unshare -m sh -eu -c '
    while read -r f; do mount --bind "$1" "$f"; done < "$2"
    first=$(head -n 1 "$2")
    if [ -s "$first" ]; then echo "FAIL: hiding did not work ($first still readable)"; exit 1; fi
    shift 2
    exec env -u LD_LIBRARY_PATH "$@"
' hide "$bundle.empty" "$bundle.hide" \
    "$java" -Xcheck:jni -Dmuse.native.library="$bundle/libmuse_jni.so" \
    -Dmuse.test.model="$src/models/muse-default.muse" -Dmuse.test.slide="$src/samples/CMU-1-Small-Region.svs" \
    -Dmuse.test.classpath="$classpath" \
    -jar "$junit" --disable-banner --details=summary --fail-if-no-tests -cp "$classpath" --scan-classpath "$tests_jar"
echo "ok: the Java engine tests pass with the bundle alone and the system copies hidden"
echo "bundle size: $(du -sh "$bundle" | cut -f1)"
