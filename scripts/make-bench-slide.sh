#!/bin/sh
# Makes a large pyramidal test slide for bench/bench_detect: the CC0 sample's tissue repeated
# to about SIZE x SIZE pixels (default 40000), JPEG tiles, with an Aperio description so that
# OpenSlide reports its MPP (0.499, as the sample). Needs libvips-tools and libtiff-tools.
#   scripts/make-bench-slide.sh OUT.svs [SIZE]
set -eu
out=${1:?usage: make-bench-slide.sh OUT.tif [SIZE]}
size=${2:-40000}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The sample is 2220 x 2967; repeat it enough times, then crop to SIZE x SIZE.
across=$(( (size + 2219) / 2220 ))
down=$(( (size + 2966) / 2967 ))
vips extract_band "$here/samples/CMU-1-Small-Region.svs" "$tmp/rgb.v" 0 --n 3   # OpenSlide gives RGBA
vips replicate "$tmp/rgb.v" "$tmp/big.v" "$across" "$down"
vips crop "$tmp/big.v" "$tmp/crop.v" 0 0 "$size" "$size"
vips tiffsave "$tmp/crop.v" "$out" --tile --pyramid --compression jpeg --Q 80 --tile-width 256 --tile-height 256 --bigtiff
tiffset -s 270 "Aperio Image Library v10.0.0
$size x $size (256x256) JPEG/RGB Q=80|AppMag = 20|MPP = 0.499" "$out"
echo "wrote $out ($size x $size px)"
