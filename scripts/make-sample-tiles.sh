#!/bin/sh
# Regenerates the sample tiles in samples/ from the CC0 slide samples/CMU-1-Small-Region.svs
# (level 0, 0.499 um/px). Needs openslide-tools and libvips-tools (scripts/install-deps.sh).
set -eu
cd "$(dirname "$0")/../samples"
slide=CMU-1-Small-Region.svs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A 512 px region across the epidermis (dense nuclei), and the 224 px tile at its centre.
openslide-write-png "$slide" 1000 1850 0 512 512 "$tmp/t512.png"
openslide-write-png "$slide" 1144 1994 0 224 224 "$tmp/t224.png"
# Drop the alpha channel: the tiles are plain RGB PNGs.
vips extract_band "$tmp/t512.png" tile-512.png 0 --n 3
vips extract_band "$tmp/t224.png" tile-224.png 0 --n 3
echo "wrote samples/tile-512.png and samples/tile-224.png"
