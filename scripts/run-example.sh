#!/bin/sh
# The main job, end to end from a fresh clone: install the dependencies, build `muse`, import a
# MUSE checkpoint into a muse model file, describe it, and sample per-nucleus MUSE features at
# 12 nuclei of the sample tile (samples/tile-224.png, a crop of the CC0 sample slide).
#
#   scripts/run-example.sh                       # a checkpoint laid out like the released ones
#   scripts/run-example.sh vit_s_16-224.pth 224  # a released MUSE checkpoint, its image size
#
# The released weights cannot be downloaded on this project's machines, so without an argument
# the script writes a checkpoint with the released layout (teacher/student dicts, projection
# head, optimizer state, argparse.Namespace) and untrained weights; everything else is the same.
# Outputs go to build/example/ (or $MUSE_BUILD_DIR/example/).
set -eu
cd "$(dirname "$0")/.."
build_dir=${MUSE_BUILD_DIR:-build}
scripts/build.sh --target muse muse_make_test_checkpoint
out="$build_dir/example"
mkdir -p "$out"
muse="$build_dir/native/apps/cli/muse"

if [ $# -ge 1 ]; then
    checkpoint=$1
    img_size=${2:-224}
else
    checkpoint="$out/vit_s_16-224-untrained.pth"
    img_size=224
    echo "== writing $checkpoint (released ViT-S/16 layout, untrained weights)"
    "$build_dir/tests/muse_make_test_checkpoint" vit_small 224 2025 "$checkpoint"
fi
model="$out/example-model.muse"

echo "== muse info $checkpoint"
"$muse" info "$checkpoint"
echo "== muse import $checkpoint --img-size $img_size -o $model"
"$muse" import "$checkpoint" --img-size "$img_size" -o "$model"
echo "== muse info $model"
"$muse" info "$model"
echo "== muse features (12 nuclei of samples/tile-224.png)"
"$muse" features -m "$model" --image samples/tile-224.png --points samples/points-224.csv -o "$out/features.npy"
echo "features: $out/features.npy (float32 [12, C], one row per point of samples/points-224.csv;"
echo "          read it with numpy.load)"
