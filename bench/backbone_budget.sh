#!/bin/sh
# Which backbone gives the best BRCA-M2C val F1 for a fixed CPU budget when trained from
# scratch with `muse train`? Times one epoch of each architecture, gives each the number of
# epochs that fits BUDGET_S seconds, trains, and prints val mean F1 (threshold tuned on val, as
# for the default model).
#
#   bench/backbone_budget.sh [BUILD_DIR] [BUDGET_S] [ARCHS...]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
budget=${2:-300}
shift 2 2>/dev/null || shift $#
archs=${*:-r50_w16 vit_small r50}
. "$here/bench/common.sh"
data=$(bench_brca_m2c backbone_budget) || exit 2
muse=$build/native/apps/cli/muse
out=$build/backbone-budget
mkdir -p "$out"
printf '%-10s %10s %7s %10s %8s\n' arch s/epoch epochs wall_s val_F1
for arch in $archs; do
    start=$(date +%s.%N)
    "$muse" train --dataset "$data" --arch "$arch" --epochs 1 --val-split '' -o "$out/$arch-probe.muse" > /dev/null 2>&1
    per_epoch=$(python3 -c "print($(date +%s.%N) - $start)")
    epochs=$(python3 -c "print(int($budget / $per_epoch))")
    [ "$epochs" -ge 1 ] || epochs=1
    start=$(date +%s.%N)
    "$muse" train --dataset "$data" --arch "$arch" --epochs "$epochs" --val-every "$(( epochs < 10 ? epochs : epochs / 5 ))" \
        --lr 1e-3 --report "$out/$arch.json" -o "$out/$arch.muse" > "$out/$arch.log" 2>&1
    wall=$(python3 -c "print($(date +%s.%N) - $start)")
    f1=$(python3 -c "import json; print(round(json.load(open('$out/$arch.json'))['validation']['mean_f1'] * 100, 2))")
    printf '%-10s %10.1f %7d %10.0f %8s\n' "$arch" "$per_epoch" "$epochs" "$wall" "$f1"
done
