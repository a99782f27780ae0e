#!/bin/sh
# The cohort workflow for real (`snakemake --cores 2`) on three slides made from the sample: the
# sample, a copy at half the resolution whose pixel size the manifest gives, and a corrupt copy.
# Two complete with detections and summaries, one is reported in failures.csv, the cohort table
# and the plot are written; a second run does nothing; deleting one output re-runs only that
# slide; a slide changed on disk re-runs (and a repaired one leaves failures.csv).
#
#   tests/workflows/test_cohort.sh MUSE SAMPLE_SLIDE REPO
set -eu
muse=${1:?usage: test_cohort.sh MUSE SAMPLE_SLIDE REPO}
sample=${2:?sample slide}
repo=${3:?repository root}
for tool in snakemake vips; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"
        exit 77
    fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/muse-cohort.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$work"
mkdir slides manifests run
cp "$sample" "slides/the sample.svs"  # a space: every path is quoted on its way to muse
vips resize "$sample" half.v 0.5 && vips flatten half.v half-flat.v
vips tiffsave half-flat.v slides/half.tif --tile --pyramid --compression jpeg --Q 90 --tile-width 256 --tile-height 256
rm -f half.v half-flat.v
head -c 300000 "$sample" > slides/corrupt.svs
half_mpp=0.998  # the sample is 0.499 um/px (its SVS header)
# Paths relative to the manifest, which lies elsewhere than the folder Snakemake runs in; the
# half copy has no pixel size in its file, so the manifest gives it.
printf 'slide,mpp\n../slides/the sample.svs,\n../slides/half.tif,%s\n../slides/corrupt.svs,\n' "$half_mpp" \
    > manifests/cohort.csv
cd run

run() {
    snakemake -s "$repo/workflows/cohort/Snakefile" --cores 2 \
        "$@" --config "manifest=$work/manifests/cohort.csv" "muse=$muse" "model=$repo/models/muse-default.muse" > "$work/run.log" 2>&1 ||
        { cat "$work/run.log" >&2; fail "snakemake failed"; }
}
# The slides whose detection ran in the last run, sorted, space-separated.
redone() { sed -n 's/^ *wildcards: slide=//p' "$work/run.log" | sort | tr '\n' ' ' | sed 's/ $//'; }

run
[ "$(redone)" = "corrupt half the_sample" ] || fail "first run did: $(redone)"
for s in the_sample half; do
    [ -s "results/detections/$s.geojson" ] || fail "no detections for $s"
    [ -s "results/summaries/$s.json" ] || fail "no summary for $s"
done
[ ! -e results/detections/corrupt.geojson ] || fail "a failed slide has detections"
[ "$(wc -l < results/cohort.csv)" -eq 3 ] || { cat results/cohort.csv >&2; fail "cohort.csv should have a header and 2 rows"; }
grep -q '^the_sample,' results/cohort.csv && grep -q '^half,' results/cohort.csv || fail "cohort.csv lacks a slide"
grep -q '^half,[^,]*,0\.998,' results/cohort.csv || { cat results/cohort.csv >&2; fail "the manifest's pixel size was not used"; }
[ "$(wc -l < results/failures.csv)" -eq 2 ] || { cat results/failures.csv >&2; fail "failures.csv should have 1 row"; }
grep -q "^corrupt,.*cannot be decoded as an image" results/failures.csv || { cat results/failures.csv >&2; fail "the failure lacks its error"; }
[ "$(head -c 8 results/cohort.png | od -An -tx1 | tr -d ' ')" = "89504e470d0a1a0a" ] || fail "cohort.png is not a PNG"
grep -q "1 of 3 slides FAILED" "$work/run.log" || fail "the run does not say that a slide failed"
echo "first run: 2 slides done, 1 in failures.csv, cohort.csv + cohort.png written"

run
grep -q "Nothing to be done" "$work/run.log" || { cat "$work/run.log" >&2; fail "the second run did something"; }
echo "second run: nothing to be done"

before=$(stat -c %Y results/detections/the_sample.geojson)
rm results/detections/half.geojson
sleep 1
# Commands that only look change nothing, yet say what a run would do.
run -n
grep -q "a real run would also redo 'half'" "$work/run.log" || { cat "$work/run.log" >&2; fail "-n does not say half would be redone"; }
run --list
[ -f results/status/half.json ] || fail "a dry run or --list removed a record"
run
[ "$(redone)" = "half" ] || fail "deleting half's detections redid: $(redone)"
[ -s results/detections/half.geojson ] || fail "half's detections were not rewritten"
[ "$(stat -c %Y results/detections/the_sample.geojson)" = "$before" ] || fail "the other slide was rewritten"
echo "deleted output: -n and --list change nothing; the run redoes only that slide"

cp "$sample" ../slides/corrupt.svs  # repaired: a changed file on disk
run
[ "$(redone)" = "corrupt" ] || fail "changing corrupt.svs redid: $(redone)"
[ "$(wc -l < results/failures.csv)" -eq 1 ] || { cat results/failures.csv >&2; fail "the repaired slide is still a failure"; }
[ "$(wc -l < results/cohort.csv)" -eq 4 ] || fail "cohort.csv should have 3 rows now"
echo "changed slide: only that slide redone; repaired, it left failures.csv"
