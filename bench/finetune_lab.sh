#!/bin/sh
# A new lab, simulated: how much of the accuracy lost to another lab's stain each fine-tuning
# mode and label-free adaptation win back (issue 13's targets), measured on images no choice
# was made on.
#
#   bench/finetune_lab.sh BUILD_DIR CV_DIR OUT_DIR [STAIN] [SQUARES] [EPOCHS_HEADS] [EPOCHS_FULL] [-- finetune options]
#   e.g. bench/finetune_lab.sh build /work/cv/cb05-e100 /work/lab weak-h-strong-e 10
#        bench/finetune_lab.sh build /work/cv/cb05-e100 /work/lab-lr far-lab 10 60 30 -- --lr 1e-3
#
# CV_DIR is a finished bench/crossval.sh run: fold k's model (foldk-pc.muse, per-class
# thresholds) never saw fold k's test images. Those images become the lab: recoloured by STAIN
# (default weak-h-strong-e, haematoxylin x 0.6 and eosin x 1.6), the first SQUARES (default 10)
# each get one annotated square of half their side with every nucleus in it labelled (what a
# user clicks), and the others are the lab's images to score (about 20 per fold, pooled over the
# folds). Arms, each scored on the same held-out images with greedy matching at 6 px:
#   clean      the base models on the images as scanned (the level to win back)
#   shifted    the base models on the recoloured images (the lab's starting point)
#   adapt      label-free: BatchNorm statistics adapted to the held-out images' pixels (muse eval --adapt)
#   heads      muse finetune --mode heads on the recoloured squares (QuPath's quick mode)
#   full       muse finetune --mode full on the recoloured squares (the CLI's default mode)
#   decoder    muse finetune --mode decoder (backbone frozen), only when MODES (environment) names it
# and the share of the gap (clean - shifted) each closes. MODES (default "heads full") picks the
# fine-tuning modes; decoder and full run EPOCHS_FULL epochs. Finished arms are kept: rerunning
# resumes.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: finetune_lab.sh BUILD_DIR CV_DIR OUT_DIR [STAIN] [SQUARES] [EPOCHS_HEADS] [EPOCHS_FULL]}" && pwd)
cv=$(cd "${2:?CV_DIR}" && pwd)
out=${3:?OUT_DIR}
shift 3
stain=weak-h-strong-e squares=10 epochs_heads=30 epochs_full=30
for v in stain squares epochs_heads epochs_full; do
    if [ $# -gt 0 ] && [ "$1" != "--" ]; then eval "$v=\$1"; shift; fi
done
if [ "${1:-}" = "--" ]; then shift; fi
. "$here/bench/common.sh"
data=$(bench_brca_m2c finetune_lab) || exit 2
muse=$build/native/apps/cli/muse
mkdir -p "$out"
out=$(cd "$out" && pwd)
modes=${MODES:-heads full}  # environment: the fine-tuning modes to run (heads, decoder, full)
for mode in $modes; do
    case $mode in
        heads | decoder | full) ;;
        *) echo "finetune_lab: MODES: unknown mode '$mode' (heads, decoder, full; separated by spaces)" >&2; exit 2 ;;
    esac
done
bench_log_header "$out/run.log" \
    "cv $cv, stain $stain, $squares annotated squares per fold, modes $modes, heads $epochs_heads epochs, decoder and full $epochs_full epochs, finetune options: $*"

# shellcheck disable=SC2034 # read through eval
base_pairs="" pairs_heads="" pairs_decoder="" pairs_full=""
k=1
while [ -f "$cv/fold$k-test.txt" ]; do
    base=$cv/fold$k-pc.muse
    [ -f "$base" ] || base=$cv/fold$k.muse
    head -n "$squares" "$cv/fold$k-test.txt" > "$out/fold$k-annotated.txt"
    tail -n +"$((squares + 1))" "$cv/fold$k-test.txt" > "$out/fold$k-lab.txt"
    for mode in $modes; do
        if [ ! -f "$out/fold$k-$mode.muse" ]; then
            if [ "$mode" = heads ]; then e=$epochs_heads; else e=$epochs_full; fi
            start=$(date +%s)
            "$muse" finetune -m "$base" --dataset "$data" --split "$out/fold$k-annotated.txt" --stain "$stain" \
                --mode "$mode" --epochs "$e" "$@" -o "$out/fold$k-$mode.muse" > "$out/fold$k-$mode.log" 2>&1
            echo "fold $k $mode: $(( $(date +%s) - start )) s" >> "$out/run.log"
        fi
    done
    base_pairs="$base_pairs -m $base --split $out/fold$k-lab.txt"
    for mode in $modes; do
        eval "pairs_$mode=\"\$pairs_$mode -m \$out/fold\$k-$mode.muse --split \$out/fold\$k-lab.txt\""
    done
    k=$((k + 1))
done
[ "$k" -gt 1 ] || { echo "finetune_lab: no fold*-test.txt in $cv: run bench/crossval.sh first" >&2; exit 2; }

score() {  # NAME PAIRS EXTRA...
    name=$1 pairs=$2
    shift 2
    # shellcheck disable=SC2086
    [ -f "$out/$name.json" ] || "$muse" eval $pairs --dataset "$data" "$@" -o "$out/$name.json" > "$out/$name.txt" 2>&1
}
score clean "$base_pairs"
score shifted "$base_pairs" --stain "$stain"
score adapt "$base_pairs" --stain "$stain" --adapt
for mode in $modes; do
    eval "score $mode \"\$pairs_$mode\" --stain \"\$stain\""
done

# shellcheck disable=SC2086 # one argument per mode
python3 - "$out" $modes <<'PY' | tee "$out/summary.txt"
import json, os, sys
out = sys.argv[1]
arms = ["clean", "shifted", "adapt"] + [m for m in ["heads", "decoder", "full"] if m in sys.argv[2:]]
r = {n: json.load(open(f"{out}/{n}.json")) for n in arms if os.path.exists(f"{out}/{n}.json")}
clean, shifted = r["clean"]["mean_f1"] * 100, r["shifted"]["mean_f1"] * 100
print(f"{'arm':<8} {'Lymph':>7} {'Tumor':>7} {'Stroma':>7} {'mean':>7} {'95% CI':>13} {'gap closed':>10}")
for n, v in r.items():
    f = [c["f1"] * 100 for c in v["classes"]]
    m = v["mean_f1"] * 100
    ci = f"{v['bootstrap']['low'] * 100:.2f}-{v['bootstrap']['high'] * 100:.2f}" if "bootstrap" in v else ""
    closed = "" if n in ("clean", "shifted") or clean == shifted else f"{100 * (m - shifted) / (clean - shifted):.0f} %"
    print(f"{n:<8} {f[0]:7.2f} {f[1]:7.2f} {f[2]:7.2f} {m:7.2f} {ci:>13} {closed:>10}")
PY
