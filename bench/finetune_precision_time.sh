#!/bin/sh
# Fine-tuning and training in float32 against bfloat16, one after the other in the same session
# on the same machine (issue 16, item 5): heads mode on the sample slide with and without the
# stain fit (bench/finetune_heads_time.sh), full mode on one simulated-lab fold, and four epochs
# of `muse train` with the default model's recipe. On a CPU without native bfloat16 it says so
# and stops (bf16 would be refused).
#
#   bench/finetune_precision_time.sh [BUILD_DIR] [CV_DIR]
#
# CV_DIR: a finished bench/crossval.sh run (default /work/cv/e400), for fold 1's model and splits.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
cv=$(cd "${2:-/work/cv/e400}" && pwd)
. "$here/bench/common.sh"
data=$(bench_brca_m2c finetune_precision_time) || exit 2
muse=$build/native/apps/cli/muse
out=$build/finetune-precision-time
mkdir -p "$out"
isa=$("$muse" finetune --help | sed -n 's/.*this one: \([^)]*\)).*/\1/p')
echo "# $(date -u +%FT%TZ) $(bench_machine), native bfloat16: $isa"
if [ "$isa" = no ]; then echo "finetune_precision_time: this CPU has no native bfloat16: nothing to compare"; exit 0; fi
for rep in 1 2; do
    for p in bf16 fp32; do "$here/bench/finetune_heads_time.sh" "$build" 30 -- --precision $p 2>&1 | tail -n 1; done
done
for p in bf16 fp32; do
    "$here/bench/finetune_heads_time.sh" "$build" 30 -- --precision $p --stain-fit-epochs 0 2>&1 | tail -n 1
done
# The far lab's first ten squares of fold 1 (bench/finetune_lab.sh's choice).
head -n 10 "$cv/fold1-test.txt" > "$out/fold1-annotated.txt"
for p in bf16 fp32; do
    start=$(date +%s.%N)
    "$muse" finetune -m "$cv/fold1-pc.muse" --dataset "$data" --split "$out/fold1-annotated.txt" --stain far-lab \
        --mode full --epochs 30 --precision $p -o "$out/full-$p.muse" > "$out/full-$p.log" 2>&1
    end=$(date +%s.%N)
    python3 -c "print(f'muse finetune --mode full, far-lab fold 1, 30 epochs, $p: {$end - $start:.1f} s')"
done
for p in bf16 fp32; do
    "$muse" train --dataset "$data" --train-split "$cv/fold1-train.txt" --val-split "$cv/fold1-val.txt" --epochs 4 \
        --val-every 4 --lr 1e-3 --stain-jitter 0.4 --blur 0.2 --jpeg 0.2 --scale-jitter 0.2 --ema 0.995 --precision $p \
        -o "$out/train-$p.muse" > "$out/train-$p.log" 2>&1
    echo "muse train, 4 epochs, $p: $(grep '^epoch' "$out/train-$p.log" | sed 's/.*  \([0-9.]*\) s.*/\1 s/' | tr '\n' ' ')"
done
