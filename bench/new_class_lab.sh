#!/bin/sh
# A lab that adds a class of its own while fine-tuning (issue 13, item 3): do the classes the
# model already had lose accuracy on the lab's images, and how well is the new class found?
#
#   bench/new_class_lab.sh BUILD_DIR CV_DIR OUT_DIR [SQUARES] [EPOCHS_HEADS] [EPOCHS_FULL] [-- finetune options]
#   e.g. bench/new_class_lab.sh build /work/cv/e200 /work/newclass 10
#
# The new class, by a rule on BRCA-M2C's labels: a stromal nucleus with a tumour nucleus within
# 25 px (12.5 um) becomes "Interface" (about 1 in 6 stromal nuclei: the tumour-stroma border,
# where a pathologist may not want to call a nucleus stromal). Two versions of the lab:
#   old  the lab never clicks those nuclei (they are absent from its labels): 3 classes;
#   new  the lab clicks them as "Interface": 4 classes, `muse finetune --new-classes`.
# CV_DIR is a finished bench/crossval.sh run (fold k's model never saw fold k's test images).
# For each fold the first SQUARES (default 10) test images get one annotated square of half
# their side (QuPath GeoJSON written here, every nucleus inside clicked with its class, as a
# user exports it) and the others are the lab's images to score. Arms, scored with greedy
# matching at 6 px on the same held-out images: base (old labels), heads and full fine-tuning
# on the old labels (scored on them), and on the new labels (scored on them: the three old
# classes have the same reference points in both, so their F1 compare directly). Finished arms
# are kept: rerunning resumes. MODES="heads" (environment) runs only the quick mode.
#
# NEW_CLASS=Lymphocyte (environment; default Interface) checks instead that fine-tuning can add a
# class the pixels tell apart: each fold's base model loses its Lymphocyte class
# (model_without_class: its type-head row removed, the features that separated it kept), the old
# lab clicks only Tumor and Stroma, the new lab clicks lymphocytes as a new class. The arm
# "original" is the fold's model with its Lymphocyte class, scored on all three classes: the
# new class's F1 to compare with.
# For a class the base model's features never learned, give a CV_DIR whose models were trained
# with the lymphocytes left unlabelled (docs/finetune.md has the commands); their "original" arm
# then scores a row that was only ever trained as "not a nucleus of this class": compare the new
# class's F1 with the original arm of a run on the usual folds instead (same squares and images).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: new_class_lab.sh BUILD_DIR CV_DIR OUT_DIR [SQUARES] [EPOCHS_HEADS] [EPOCHS_FULL]}" && pwd)
cv=$(cd "${2:?CV_DIR}" && pwd)
out=${3:?OUT_DIR}
shift 3
squares=10 epochs_heads=30 epochs_full=30
for v in squares epochs_heads epochs_full; do
    if [ $# -gt 0 ] && [ "$1" != "--" ]; then eval "$v=\$1"; shift; fi
done
if [ "${1:-}" = "--" ]; then shift; fi
. "$here/bench/common.sh"
data=$(bench_brca_m2c new_class_lab) || exit 2
muse=$build/native/apps/cli/muse
new_class=${NEW_CLASS:-Interface}
case $new_class in
    Interface|Lymphocyte) ;;
    *) echo "new_class_lab: NEW_CLASS must be Interface or Lymphocyte, not '$new_class'" >&2; exit 2 ;;
esac
[ -f "$cv/fold1-test.txt" ] || { echo "new_class_lab: no fold1-test.txt in $cv: run bench/crossval.sh first" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
bench_log_header "$out/run.log" \
    "cv $cv, new class $new_class, $squares annotated squares per fold, heads $epochs_heads epochs, full $epochs_full epochs, finetune options: $*"

# The two label sets, the fold lists and the lab's GeoJSON exports.
python3 - "$data" "$cv" "$out" "$squares" "$new_class" <<'PY'
import json, os, random, struct, sys
data, cv, out, squares, new_class = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
RADIUS = 25.0  # px at 0.5 um/px
colour = {"Lymphocyte": [160, 90, 160], "Tumor": [200, 0, 0], "Stroma": [150, 200, 150], "Interface": [230, 160, 0]}
# Class ids 1..K of the labels written here: the base model's classes in its order, then the new one.
if new_class == "Interface":
    names = ["Lymphocyte", "Tumor", "Stroma", "Interface"]
else:
    names = ["Tumor", "Stroma", "Lymphocyte"]
colours = [colour[n] for n in names]
NEW = len(names)

def labels(stem):
    rows = []
    for line in open(f"{data}/labels/{stem}_gt_class_coords.txt"):
        if line.strip():
            y, x, c = line.split()
            rows.append((float(y), float(x), int(c)))
    if new_class == "Lymphocyte":  # BRCA-M2C: 1 lymphocyte, 2 tumour, 3 stroma
        return [(y, x, {1: 3, 2: 1, 3: 2}[c]) for y, x, c in rows]
    tumour = [(y, x) for y, x, c in rows if c == 2]
    new = []
    for y, x, c in rows:
        if c == 3 and any((y - a) ** 2 + (x - b) ** 2 <= RADIUS ** 2 for a, b in tumour):
            c = 4
        new.append((y, x, c))
    return new

def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24])  # IHDR width, height

counts = [0] * (NEW + 1)
for version in ("old", "new"):
    os.makedirs(f"{out}/data-{version}/labels", exist_ok=True)
    link = f"{out}/data-{version}/images"
    if not os.path.islink(link):
        os.symlink(f"{data}/images", link)
for f in sorted(os.listdir(f"{data}/labels")):
    stem = f[: -len("_gt_class_coords.txt")]
    rows = labels(stem)
    for *_, c in rows:
        counts[c] += 1
    with open(f"{out}/data-new/labels/{f}", "w") as w:
        w.writelines(f"{y:g} {x:g} {c}\n" for y, x, c in rows)
    with open(f"{out}/data-old/labels/{f}", "w") as w:
        w.writelines(f"{y:g} {x:g} {c}\n" for y, x, c in rows if c != NEW)
print("labels: " + ", ".join(f"{n} {counts[i + 1]}" for i, n in enumerate(names)))

k = 1
while os.path.exists(f"{cv}/fold{k}-test.txt"):
    test = [l.strip() for l in open(f"{cv}/fold{k}-test.txt") if l.strip()]
    with open(f"{out}/fold{k}-lab.txt", "w") as w:
        w.writelines(t + "\n" for t in test[squares:])
    for version in ("old", "new"):
        os.makedirs(f"{out}/ann-{version}", exist_ok=True)
    pairs = {"old": [], "new": []}
    for image in test[:squares]:
        stem = os.path.splitext(os.path.basename(image))[0]
        w, h = png_size(image)
        side = int(0.5 * min(w, h))
        rng = random.Random(stem)  # the same square for both versions of the lab
        x0, y0 = rng.randint(0, w - side), rng.randint(0, h - side)
        square = [[x0, y0], [x0 + side, y0], [x0 + side, y0 + side], [x0, y0 + side], [x0, y0]]
        rows = [(y, x, c) for y, x, c in labels(stem) if x0 <= x <= x0 + side and y0 <= y <= y0 + side]
        for version in ("old", "new"):
            feats = [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [square]},
                      "properties": {"objectType": "annotation", "name": "square"}}]
            for c in range(1, NEW + 1):
                pts = [[x, y] for y, x, cc in rows if cc == c]
                if not pts or (version == "old" and c == NEW):
                    continue
                feats.append({"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": pts},
                              "properties": {"objectType": "annotation",
                                             "classification": {"name": names[c - 1], "color": colours[c - 1]}}})
            path = f"{out}/ann-{version}/{stem}.geojson"
            with open(path, "w") as f:
                json.dump({"type": "FeatureCollection", "features": feats}, f)
            pairs[version].append(f"--slide {image} --annotations {path}")
    for version in ("old", "new"):
        with open(f"{out}/fold{k}-{version}-args.txt", "w") as f:
            f.write(" ".join(pairs[version]) + "\n")
    k += 1
PY

# shellcheck disable=SC2034 # read through eval
base_pairs="" original_pairs="" pairs_old_heads="" pairs_old_full="" pairs_new_heads="" pairs_new_full=""
k=1
while [ -f "$cv/fold$k-test.txt" ]; do
    base=$cv/fold$k-pc.muse
    [ -f "$base" ] || base=$cv/fold$k.muse
    if [ "$new_class" = Lymphocyte ]; then
        original_pairs="$original_pairs -m $base --split $out/fold$k-lab.txt"
        [ -f "$out/fold$k-base.muse" ] || "$build/bench/model_without_class" "$base" Lymphocyte "$out/fold$k-base.muse"
        base=$out/fold$k-base.muse
    fi
    for version in old new; do
        for mode in ${MODES:-heads full}; do
            model=$out/fold$k-$version-$mode.muse
            if [ ! -f "$model" ]; then
                if [ "$mode" = heads ]; then e=$epochs_heads; else e=$epochs_full; fi
                extra=""
                [ "$version" = new ] && extra="--new-classes"
                start=$(date +%s)
                # shellcheck disable=SC2046,SC2086
                "$muse" finetune -m "$base" $(cat "$out/fold$k-$version-args.txt") --mpp 0.5 --mode "$mode" --epochs "$e" \
                    $extra "$@" -o "$model" > "$out/fold$k-$version-$mode.log" 2>&1
                echo "fold $k $version $mode: $(( $(date +%s) - start )) s" >> "$out/run.log"
            fi
            eval "pairs_${version}_$mode=\"\$pairs_${version}_$mode -m \$model --split \$out/fold\$k-lab.txt\""
        done
    done
    base_pairs="$base_pairs -m $base --split $out/fold$k-lab.txt"
    k=$((k + 1))
done

score() {  # NAME DATA PAIRS
    # shellcheck disable=SC2086
    [ -f "$out/$1.json" ] || "$muse" eval $3 --dataset "$out/data-$2" -o "$out/$1.json" > "$out/$1.txt" 2>&1
}
score base old "$base_pairs"
if [ -n "$original_pairs" ]; then
    [ -e "$out/data-original" ] || ln -s "$data" "$out/data-original"
    score original original "$original_pairs"
fi
for mode in ${MODES:-heads full}; do
    eval "score old-$mode old \"\$pairs_old_$mode\""
    eval "score new-$mode new \"\$pairs_new_$mode\""
done

python3 - "$out" <<'PY' | tee "$out/summary.txt"
import json, os, sys
out = sys.argv[1]
arms = ["original", "base", "old-heads", "new-heads", "old-full", "new-full"]
results = {n: json.load(open(f"{out}/{n}.json")) for n in arms if os.path.exists(f"{out}/{n}.json")}
old = [c["name"] for c in results["base"]["classes"]]
new = [c["name"] for r in results.values() for c in r["classes"] if c["name"] not in old][:1]
print(f"{'arm':<10}" + "".join(f"{n[:10]:>11}" for n in old) + f"{'old mean':>11}" +
      "".join(f"{n[:10]:>11}" for n in new) + "  (F1 %, greedy 6 px)")
for n, r in results.items():
    f1 = {c["name"]: c["f1"] * 100 for c in r["classes"]}
    row = "".join(f"{f1[c]:11.2f}" for c in old) + f"{sum(f1[c] for c in old) / len(old):11.2f}"
    row += "".join(f"{f1[c]:11.2f}" if c in f1 else f"{'':>11}" for c in new)
    print(f"{n:<10}{row}")
PY
