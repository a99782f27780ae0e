#!/bin/sh
# Cross-validated accuracy of a training recipe on BRCA-M2C's 90 labelled images: the number to
# report, because no choice is made on the images it is measured on.
#
#   bench/crossval.sh BUILD_DIR OUT_DIR [K] [EPOCHS] -- [muse train options of the recipe]
#
# Folds: the 90 images (train + val lists) grouped by TCGA patient (the first 12 characters of
# the name: a patient's images never sit on both sides), groups ordered by a fixed hash and dealt
# round-robin into K folds. For fold k the test images are fold k; the model is trained on the
# others except the first INNER_VAL (default 6) images of fold k+1, the inner validation set:
# it picks only the score threshold (validation runs once, after the last epoch, so the epoch
# count is fixed, not chosen). Then every test fold is scored with its own model and all 90 images pooled
# (`muse eval` with K model/split pairs): per-class F1, the spread across folds and a
# bootstrap interval over images, on the clean images, four simulated labs and a rescan at
# 0.25 um/px; then once more with a score threshold per class chosen on each fold's inner
# validation images (`muse thresholds --per-class`). Finished folds are kept (their model
# files), and a fold stopped while training keeps its state (foldK-ck/state.ckpt, saved every 10
# epochs): rerunning resumes, in the middle of a fold too (`muse train --resume`).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: crossval.sh BUILD_DIR OUT_DIR [K] [EPOCHS] -- [train options]}" && pwd)
out=${2:?OUT_DIR}
shift 2
k=5
epochs=200
if [ $# -gt 0 ] && [ "$1" != "--" ]; then k=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" != "--" ]; then epochs=$1; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
. "$here/bench/common.sh"
data=$(bench_brca_m2c crossval) || exit 2
muse=$build/native/apps/cli/muse
mkdir -p "$out"
out=$(cd "$out" && pwd)
bench_log_header "$out/run.log" "recipe: --epochs $epochs $*"

# Fold lists (absolute paths, so that the dataset folder stays read-only).
cat "$data/split_train.txt" "$data/split_val.txt" | sed '/^$/d' | sort > "$out/all.txt"
cut -c1-12 "$out/all.txt" | sort -u | while read -r p; do
    printf '%s %s\n' "$(printf '%s' "$p" | md5sum | cut -c1-8)" "$p"
done | sort | awk -v k="$k" '{ print $2, (NR - 1) % k + 1 }' > "$out/patient-folds.txt"
i=1
while [ "$i" -le "$k" ]; do
    awk -v f="$i" '$2 == f { print $1 }' "$out/patient-folds.txt" > "$out/.patients"
    grep -F -f "$out/.patients" "$out/all.txt" | sed "s|^|$data/images/|" > "$out/fold$i-test.txt"
    i=$((i + 1))
done
i=1
while [ "$i" -le "$k" ]; do
    next=$((i % k + 1))
    head -n "${INNER_VAL:-6}" "$out/fold$next-test.txt" > "$out/fold$i-val.txt"
    cat "$out"/fold*-test.txt | grep -v -x -F -f "$out/fold$i-test.txt" | grep -v -x -F -f "$out/fold$i-val.txt" \
        > "$out/fold$i-train.txt"
    i=$((i + 1))
done

pairs=""
i=1
while [ "$i" -le "$k" ]; do
    if [ ! -f "$out/fold$i.muse" ]; then
        start=$(date +%s)
        if [ -f "$out/fold$i-ck/state.ckpt" ]; then
            set -- --resume "$@"
            echo "fold $i resumed from its saved state" >> "$out/run.log"
        else
            : > "$out/fold$i.log"
        fi
        "$muse" train --dataset "$data" --train-split "$out/fold$i-train.txt" --val-split "$out/fold$i-val.txt" \
            --epochs "$epochs" --val-every "$epochs" --checkpoint-dir "$out/fold$i-ck" "$@" \
            -o "$out/fold$i.muse.part" >> "$out/fold$i.log" 2>&1
        [ "${1:-}" != --resume ] || shift
        mv "$out/fold$i.muse.part" "$out/fold$i.muse"
        rm -rf "$out/fold$i-ck"
        echo "fold $i trained in $(( $(date +%s) - start )) s" >> "$out/run.log"
    fi
    pairs="$pairs -m $out/fold$i.muse --split $out/fold$i-test.txt"
    i=$((i + 1))
done
# shellcheck disable=SC2086
"$muse" eval $pairs --dataset "$data" --per-image -o "$out/clean.json" > "$out/clean.txt" 2>&1
for s in weak-h strong-e weak-h-strong-e yellow-tint; do
    # shellcheck disable=SC2086
    "$muse" eval $pairs --dataset "$data" --stain "$s" --bootstrap 0 -o "$out/$s.json" > "$out/$s.txt" 2>&1
done
# shellcheck disable=SC2086
"$muse" eval $pairs --dataset "$data" --rescale 2 --bootstrap 0 -o "$out/rescan-0.25.json" > "$out/rescan-0.25.txt" 2>&1
# The same models with a score threshold per class, chosen on each fold's inner validation images.
pc_pairs=""
i=1
while [ "$i" -le "$k" ]; do
    if [ ! -f "$out/fold$i-pc.muse" ]; then
        "$muse" thresholds -m "$out/fold$i.muse" --dataset "$data" --split "$out/fold$i-val.txt" --per-class \
            -o "$out/fold$i-pc.muse" >> "$out/fold$i.log" 2>&1
    fi
    pc_pairs="$pc_pairs -m $out/fold$i-pc.muse --split $out/fold$i-test.txt"
    i=$((i + 1))
done
# shellcheck disable=SC2086
"$muse" eval $pc_pairs --dataset "$data" -o "$out/clean-per-class.json" > "$out/clean-per-class.txt" 2>&1
tail -n 12 "$out/clean.txt"
python3 - "$out" <<'PY' | tee "$out/summary.txt"
import json, sys
out = sys.argv[1]
clean = None
print(f"{'images':<18} {'Lymph':>8} {'Tumor':>8} {'Stroma':>8} {'mean':>8} {'drop':>6}")
for s in ["clean", "weak-h", "strong-e", "weak-h-strong-e", "yellow-tint", "rescan-0.25", "clean-per-class"]:
    r = json.load(open(f"{out}/{s}.json"))
    f = [c["f1"] * 100 for c in r["classes"]]
    m = r["mean_f1"] * 100
    clean = m if clean is None else clean
    extra = ""
    if s.startswith("clean"):
        extra = f"  folds {r['fold_mean_f1'] * 100:.2f} +- {r['fold_sd_f1'] * 100:.2f}"
        if "bootstrap" in r:
            extra += f", 95% CI {r['bootstrap']['low'] * 100:.2f}-{r['bootstrap']['high'] * 100:.2f}"
    print(f"{s:<18} {f[0]:8.2f} {f[1]:8.2f} {f[2]:8.2f} {m:8.2f} {clean - m:6.2f}{extra}")
PY
