#!/bin/sh
# The main job, end to end from a fresh clone: install the dependencies, build `muse`, and detect
# and classify the nuclei of the bundled CC0 slide (samples/CMU-1-Small-Region.svs) with the
# default model (models/muse-default.muse). Writes QuPath GeoJSON:
#
#   build/example/CMU-1-Small-Region.geojson
#
# Open the slide in QuPath, then drag that file onto the viewer (or File > Import objects):
# every nucleus appears as a detection coloured by its class, with its class probabilities
# as measurements. Extra arguments go to `muse detect` (e.g. --geometry ellipse).
set -eu
cd "$(dirname "$0")/.."
build_dir=${MUSE_BUILD_DIR:-build}
scripts/build.sh --target muse
out="$build_dir/example"
mkdir -p "$out"
"$build_dir/native/apps/cli/muse" detect samples/CMU-1-Small-Region.svs -o "$out/CMU-1-Small-Region.geojson" "$@"
echo "open samples/CMU-1-Small-Region.svs in QuPath and drag $out/CMU-1-Small-Region.geojson onto it"
