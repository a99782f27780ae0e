#!/bin/sh
# kill -9 at many moments of `muse detect`, `muse pseudolabel` and `muse finetune`: the output is
# always either absent or a complete file (the previous one, or the new one), never a part; the
# temporary files a killed run leaves are removed by the next run; an interrupted fine-tuning
# continues with --resume to the same model as an uninterrupted run.
#
#   tests/reliability/test_kill_points.sh MUSE SLIDE MODEL [KILLS]
set -eu
muse=${1:?usage: test_kill_points.sh MUSE SLIDE MODEL [KILLS]}
slide=${2:?slide}
model=${3:?model}
kills=${4:-20}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/muse-kill.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; [ -z "${KEEP_ON_FAILURE:-}" ] || cp -r "$work" "$KEEP_ON_FAILURE"; exit 1; }
# Two GeoJSON outputs hold the same objects: QuPath object ids are random and tiles finish in
# any order, so compare the features without ids, sorted (each feature is one line).
same_objects() {
    [ "$(sed 's/"id":"[^"]*",//; s/,$//' "$1" | sort | md5sum)" = "$(sed 's/"id":"[^"]*",//; s/,$//' "$2" | sort | md5sum)" ] &&
        tail -c 3 "$1" | grep -q ']}'
}
now_ms() { date +%s%3N; }


# check_kills NAME OUTPUT REFERENCE COMMAND...: runs COMMAND to the end once (REFERENCE, and its
# duration), then `kills` times, killed with -9 at moments spread over that duration, with the
# output absent before every other try and the complete previous one before the others.
check_kills() {
    name=$1 out=$2 ref=$3
    shift 3
    rm -f "$out"
    start=$(now_ms)
    "$@" > "$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; fail "$name: the uninterrupted run failed"; }
    duration=$(( $(now_ms) - start ))
    [ -s "$out" ] || fail "$name: no output after a complete run"
    cp "$out" "$ref"
    i=1
    while [ "$i" -le "$kills" ]; do
        if [ $((i % 2)) -eq 1 ]; then rm -f "$out"; else cp "$ref" "$out"; fi
        delay=$(( duration * i / (kills + 1) ))
        "$@" > "$work/$name-$i.log" 2>&1 &
        pid=$!
        sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        if [ -e "$out" ]; then
            same_objects "$out" "$ref" || fail "$name: after kill $i at $delay ms the output is not a complete file"
        fi
        i=$((i + 1))
    done
    "$@" > "$work/$name-last.log" 2>&1 || fail "$name: the run after the kills failed"
    same_objects "$out" "$ref" || fail "$name: the run after the kills wrote something else"
    left=$(find "$(dirname "$out")" -name ".$(basename "$out").tmp-*" | wc -l)
    [ "$left" -eq 0 ] || fail "$name: $left temporary files of killed runs are left"
    echo "$name: $kills kills over ${duration} ms: the output was always absent or complete; no temporary file left"
}

check_kills detect "$work/detect.geojson" "$work/detect-ref.geojson" \
    "$muse" detect "$slide" -m "$model" -o "$work/detect.geojson"
check_kills pseudolabel "$work/pseudo.geojson" "$work/pseudo-ref.geojson" \
    "$muse" pseudolabel "$slide" -m "$model" --annotations "$annotations" -o "$work/pseudo.geojson" --threshold 0.5

# Fine-tuning: killed at several moments, then resumed until done; the model equals an
# uninterrupted run's (same options, same seed). A short colour fit: a resumed run takes it from
# the checkpoint instead of fitting again, and must still end with the same weights.
tune() {
    "$muse" finetune -m "$model" --slide "$slide" --annotations "$annotations" --mode heads --epochs 60 \
        --sample-px 512 --seed 3 --stain-fit-epochs 5 "$@"
}
start=$(now_ms)
tune -o "$work/tuned-ref.muse" > "$work/tune-ref.log" 2>&1 || { cat "$work/tune-ref.log" >&2; fail "finetune: the uninterrupted run failed"; }
duration=$(( $(now_ms) - start ))
resumed=0
i=1
while [ "$i" -le 5 ]; do
    delay=$(( duration * (2 * i - 1) / 10 ))
    if [ -f "$work/tuned.muse.ckpt" ]; then resume=--resume; else resume=""; fi
    tune -o "$work/tuned.muse" $resume > "$work/tune-$i.log" 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    # `tune` is a shell function, so $pid is the subshell running it: kill its muse first (a
    # subshell killed alone leaves muse running on, which then races the next try).
    pkill -9 -P "$pid" 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ -e "$work/tuned.muse" ]; then
        same_weights "$work/tuned.muse" "$work/tuned-ref.muse" || fail "finetune: after kill $i the model is not the complete one"
    fi
    [ -n "$resume" ] && resumed=$((resumed + 1))
    i=$((i + 1))
done
# A try may finish before its kill; the next then starts afresh (no checkpoint left) and its kill
# leaves a new checkpoint beside the complete model: that run too is resumed to its end.
if [ ! -e "$work/tuned.muse" ] || [ -e "$work/tuned.muse.ckpt" ]; then
    if [ -f "$work/tuned.muse.ckpt" ]; then resume=--resume; else resume=""; fi
    tune -o "$work/tuned.muse" $resume > "$work/tune-last.log" 2>&1 || { cat "$work/tune-last.log" >&2; fail "finetune: the resumed run failed"; }
fi
same_weights "$work/tuned.muse" "$work/tuned-ref.muse" || fail "finetune: the resumed model's weights differ from the uninterrupted run's"
[ ! -e "$work/tuned.muse.ckpt" ] || fail "finetune: the checkpoint was not removed after success"
left=$(find "$work" -name '.tuned.muse*.tmp-*' | wc -l)
[ "$left" -eq 0 ] || fail "finetune: $left temporary files of killed runs are left"
echo "finetune: 5 kills over ${duration} ms ($resumed resumed from a checkpoint): the weights equal the uninterrupted run's"
