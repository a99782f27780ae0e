#!/bin/sh
# bfloat16 detection against float32 on one slide (issue 16's check): both runs of `muse detect`
# timed in the same process environment one after the other, then the share of the float32
# nuclei that have a bfloat16 nucleus of the same class within 1 px (one-to-one, nearest first),
# and the other way round. The CPU and its native bfloat16 come first.
#
#   bench/precision_agreement.sh BUILD_DIR SLIDE OUT_DIR [muse detect options]
#   e.g. bench/precision_agreement.sh build samples/CMU-1-Small-Region.svs /tmp/agree
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bench/common.sh"
build=$(cd "${1:?usage: precision_agreement.sh BUILD_DIR SLIDE OUT_DIR [detect options]}" && pwd)
slide=${2:?SLIDE}
out=${3:?OUT_DIR}
shift 3
muse=$build/native/apps/cli/muse
mkdir -p "$out"
echo "CPU: $(bench_machine)"
for p in fp32 bf16; do
    start=$(date +%s%N)
    "$muse" detect "$slide" --precision "$p" "$@" -o "$out/$p.csv" 2> "$out/$p.log"
    end=$(date +%s%N)
    echo "$p: $(grep -o '[0-9]* nuclei from [0-9]* tiles' "$out/$p.log"), $(( (end - start) / 1000000 )) ms; $(grep -o 'bf16 ([A-Z0-9-]*)\|fp32' "$out/$p.log" | head -1)"
done
python3 - "$out/fp32.csv" "$out/bf16.csv" <<'PY'
import csv, sys
from collections import defaultdict

def read(path):
    with open(path) as f:
        return [(float(r["x"]), float(r["y"]), r["class"]) for r in csv.DictReader(f)]

def matched(a, b, radius=1.0):
    """How many of a have a distinct nucleus of b, same class, within radius (nearest pairs first)."""
    cells = defaultdict(list)
    for j, (x, y, c) in enumerate(b):
        cells[(int(x // 2), int(y // 2))].append(j)
    pairs = []
    for i, (x, y, c) in enumerate(a):
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in cells.get((int(x // 2) + dx, int(y // 2) + dy), []):
                    bx, by, bc = b[j]
                    d = ((x - bx) ** 2 + (y - by) ** 2) ** 0.5
                    if d <= radius and bc == c:
                        pairs.append((d, i, j))
    pairs.sort()
    used_a, used_b = set(), set()
    for d, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
    return len(used_a)

f32, b16 = read(sys.argv[1]), read(sys.argv[2])
m = matched(f32, b16)
print(f"fp32 {len(f32)} nuclei, bf16 {len(b16)}; {m} pairs within 1 px, same class: "
      f"{100 * m / max(1, len(f32)):.2f} % of fp32's, {100 * m / max(1, len(b16)):.2f} % of bf16's")
PY
