#!/bin/sh
# How long `muse finetune --mode heads` takes for the size of job issue 4 names: about 10
# annotated regions holding about 500 nuclei, LFoV samples of 1024 px, on the CC0 sample slide.
# The labels are the default model's own detections inside ten 256 px squares (their values
# do not matter for the timing; their number and the image sizes do).
#
#   bench/finetune_heads_time.sh [BUILD_DIR] [EPOCHS] [-- finetune options]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
epochs=${2:-30}
shift $(( $# < 2 ? $# : 2 ))
if [ "${1:-}" = "--" ]; then shift; fi
muse=$build/native/apps/cli/muse
slide=$here/samples/CMU-1-Small-Region.svs
out=$build/finetune-heads-time
mkdir -p "$out"
# Ten 288 x 288 px squares spread over the tissue of the 2220 x 2967 px sample.
python3 - "$out/squares.geojson" <<'PY'
import json, sys
features = []
for i, (x, y) in enumerate([(300, 300), (900, 300), (1500, 300), (300, 1100), (900, 1100),
                            (1500, 1100), (300, 1900), (900, 1900), (1500, 1900), (900, 2500)]):
    ring = [[x, y], [x + 288, y], [x + 288, y + 288], [x, y + 288], [x, y]]
    features.append({"type": "Feature", "id": f"square-{i}", "geometry": {"type": "Polygon", "coordinates": [ring]},
                     "properties": {"objectType": "annotation"}})
json.dump({"type": "FeatureCollection", "features": features}, open(sys.argv[1], "w"))
PY
"$muse" detect "$slide" --roi "$out/squares.geojson" -o "$out/detections.geojson" > /dev/null 2>&1
# The detections become the user's clicked points: QuPath point annotations with their class.
python3 - "$out/squares.geojson" "$out/detections.geojson" "$out/annotations.geojson" <<'PY'
import json, sys
squares = json.load(open(sys.argv[1]))["features"]
points = json.load(open(sys.argv[2]))["features"]
for p in points:
    p["properties"] = {"objectType": "annotation", "classification": p["properties"]["classification"]}
json.dump({"type": "FeatureCollection", "features": squares + points}, open(sys.argv[3], "w"))
print(f"{len(squares)} regions, {len(points)} nuclei")
PY
start=$(date +%s.%N)
"$muse" finetune --slide "$slide" --annotations "$out/annotations.geojson" --mode heads --epochs "$epochs" \
    --sample-px 1024 "$@" -o "$out/heads.muse" --report "$out/report.json" 2>&1 | grep -v '^\[' | tail -n 8
end=$(date +%s.%N)
python3 -c "print(f'muse finetune --mode heads, $epochs epochs $*: {$end - $start:.1f} s in all')"
