#!/bin/sh
# The MUSE paper's Table 7 ablation on BRCA-M2C, simulating a user: each training image is a
# slide with one annotated square of half its side and the rest unlabelled. A base model
# trained (fully labelled) on 20 training images is fine-tuned on the other 60 three ways with
# the same budget: no LFoV (the squares alone), LFoV (squares in their surroundings), and
# LFoV + L_cons (pseudo-labels on the surroundings). Prints val F1 per arm.
#
#   bench/finetune_ablation.sh [BUILD_DIR] [EPOCHS] [BASE_EPOCHS] [SEED]
#
# SEED (default 1) varies the fine-tuning only (sample order, offsets, augmentation); the base
# model is trained once and shared.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
epochs=${2:-20}
base_epochs=${3:-60}
seed=${4:-1}
. "$here/bench/common.sh"
data=$(bench_brca_m2c finetune_ablation) || exit 2
muse=$build/native/apps/cli/muse
out=$build/finetune-ablation
mkdir -p "$out"
# Splits as absolute lists, so that the dataset folder stays read-only.
head -n 20 "$data/split_train.txt" | sed "s|^|$data/images/|" > "$out/base.txt"
tail -n +21 "$data/split_train.txt" | sed "s|^|$data/images/|" > "$out/finetune.txt"
if [ ! -f "$out/base.muse" ]; then
    "$muse" train --dataset "$data" --train-split "$out/base.txt" --epochs "$base_epochs" --val-every 10 --lr 1e-3 \
        -o "$out/base.muse" > "$out/base.log" 2>&1
fi
"$muse" eval -m "$out/base.muse" --dataset "$data" --split split_val.txt -o "$out/base.json" > /dev/null
common="--dataset $data --split $out/finetune.txt -m $out/base.muse --epochs $epochs --mode full --lr 1e-4 --seed $seed"
s=$( [ "$seed" = 1 ] && echo "" || echo "s$seed-" )
"$muse" finetune $common --no-lfov --cons-weight 0 -o "$out/${s}no-lfov.muse" > "$out/${s}no-lfov.log" 2>&1
"$muse" finetune $common --cons-weight 0 -o "$out/${s}lfov.muse" > "$out/${s}lfov.log" 2>&1
"$muse" finetune $common -o "$out/${s}lfov-cons.muse" > "$out/${s}lfov-cons.log" 2>&1
printf '%-16s %8s %8s %8s %8s\n' arm Lymph Tumor Stroma mean
for arm in base ${s}no-lfov ${s}lfov ${s}lfov-cons; do
    [ "$arm" = base ] || "$muse" eval -m "$out/$arm.muse" --dataset "$data" --split split_val.txt -o "$out/$arm.json" > /dev/null
    python3 - "$out/$arm.json" "$arm" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f = [c["f1"] * 100 for c in r["classes"]]
print(f"{sys.argv[2]:<16} {f[0]:8.2f} {f[1]:8.2f} {f[2]:8.2f} {r['mean_f1'] * 100:8.2f}")
PY
done
