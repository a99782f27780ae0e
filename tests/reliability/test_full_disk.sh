#!/bin/sh
# A full disk: `muse detect`, `muse pseudolabel` and `muse finetune` writing to a small tmpfs that
# fills up end with a clear error naming the file (exit status non-zero), the previous output
# intact, and no temporary file left; a fine-tuning whose disk fills between two epochs keeps its
# last complete checkpoint, and --resume (with space again) ends with the same model as a run
# that never saw a full disk. Needs root to mount the tmpfs: skipped (exit 77) where that is not
# allowed, as in an unprivileged container.
#
#   tests/reliability/test_full_disk.sh MUSE SLIDE MODEL
set -eu
muse=${1:?usage: test_full_disk.sh MUSE SLIDE MODEL}
slide=${2:?slide}
model=${3:?model}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/muse-full-disk.XXXXXX")
disk=$work/disk
mkdir -p "$disk"
cleanup() {
    umount "$disk" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
if ! mount -t tmpfs -o size=96m muse-full-disk "$disk" 2>"$work/mount.log"; then
    echo "SKIP: cannot mount a tmpfs here ($(cat "$work/mount.log")); run as root to test a full disk"
    exit 77
fi
fail() { echo "FAIL: $*" >&2; exit 1; }
free_kb() { df -k --output=avail "$disk" | tail -n 1 | tr -d ' '; }
# fill_leaving KB: one file takes all the free space but KB.
fill_leaving() {
    rm -f "$disk/filler"
    fallocate -l $(( ($(free_kb) - $1) * 1024 )) "$disk/filler"
}
no_temporary_files() {
    left=$(find "$disk" -name '.*.tmp-*' | wc -l)
    [ "$left" -eq 0 ] || fail "$1: $left temporary files left on the full disk"
}
# expect_disk_full NAME OUTPUT COMMAND...: with a previous OUTPUT on a disk with 8 KB free, the
# command fails naming a file on that disk and saying why, and OUTPUT is byte for byte the old one.
expect_disk_full() {
    name=$1 out=$2
    shift 2
    cp "$out" "$work/$name.previous"
    fill_leaving 8
    status=0
    "$@" > "$work/$name.log" 2>&1 || status=$?
    [ "$status" -ne 0 ] || fail "$name: exit 0 on a full disk"
    grep -q "cannot write '$disk/.*No space left on device" "$work/$name.log" ||
        { cat "$work/$name.log" >&2; fail "$name: the error does not name the file and the cause"; }
    cmp -s "$out" "$work/$name.previous" || fail "$name: the previous output changed"
    no_temporary_files "$name"
    echo "$name: full disk -> exit $status, '$(grep -m1 'No space' "$work/$name.log")'; previous output intact"
    rm -f "$disk/filler"
}


# The previous outputs are complete results of the same commands, written with space to spare.
"$muse" detect "$slide" -m "$model" -o "$disk/detect.geojson" > "$work/detect-first.log" 2>&1 ||
    { cat "$work/detect-first.log" >&2; fail "detect with space failed"; }
expect_disk_full detect "$disk/detect.geojson" "$muse" detect "$slide" -m "$model" -o "$disk/detect.geojson" \
    --summary "$disk/detect.summary.json"
[ ! -e "$disk/detect.summary.json" ] || fail "detect: a summary was written although the detections were not"

"$muse" pseudolabel "$slide" -m "$model" --annotations "$annotations" -o "$disk/pseudo.geojson" \
    --threshold 0.5 > "$work/pseudo-first.log" 2>&1 || { cat "$work/pseudo-first.log" >&2; fail "pseudolabel with space failed"; }
expect_disk_full pseudolabel "$disk/pseudo.geojson" \
    "$muse" pseudolabel "$slide" -m "$model" --annotations "$annotations" -o "$disk/pseudo.geojson" --threshold 0.5
rm -f "$disk/detect.geojson" "$disk/pseudo.geojson"

tune() {
    "$muse" finetune -m "$model" --slide "$slide" --annotations "$annotations" --mode heads --epochs 4 \
        --sample-px 512 --seed 3 "$@"
}
tune -o "$work/tuned-ref.muse" > "$work/tune-ref.log" 2>&1 || { cat "$work/tune-ref.log" >&2; fail "finetune with space failed"; }
cp "$model" "$disk/tuned.muse"
expect_disk_full finetune "$disk/tuned.muse" tune -o "$disk/tuned.muse"

# Room for one checkpoint but not for the next one beside it (a checkpoint is replaced only once
# its successor is complete): the run stops after epoch 1 with the first checkpoint whole.
model_kb=$(( $(stat -c %s "$model") / 1024 ))
fill_leaving $(( model_kb * 3 / 2 ))
status=0
tune -o "$disk/tuned.muse" > "$work/tune-filling.log" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "finetune: exit 0 although the second checkpoint could not be written"
grep -q "cannot write '$disk/tuned.muse.ckpt'.*No space left on device" "$work/tune-filling.log" ||
    { cat "$work/tune-filling.log" >&2; fail "finetune: the error does not name the checkpoint and the cause"; }
[ -f "$disk/tuned.muse.ckpt" ] || fail "finetune: the last complete checkpoint is gone"
cmp -s "$disk/tuned.muse" "$model" || fail "finetune: the previous output changed"
no_temporary_files finetune-filling
rm -f "$disk/filler"
tune -o "$disk/tuned.muse" --resume --report "$work/resume-report.json" > "$work/tune-resume.log" 2>&1 ||
    { cat "$work/tune-resume.log" >&2; fail "finetune --resume failed"; }
grep -Eq '"resumed_after_epoch": 1,?$' "$work/resume-report.json" ||
    { cat "$work/resume-report.json" >&2; fail "finetune --resume did not continue after epoch 1 (the kept checkpoint)"; }
same_weights "$disk/tuned.muse" "$work/tuned-ref.muse" || fail "finetune: the resumed model differs from the uninterrupted run's"
echo "finetune: the disk filled after epoch 1 -> exit $status, checkpoint kept; --resume with space ended with the uninterrupted run's weights"
