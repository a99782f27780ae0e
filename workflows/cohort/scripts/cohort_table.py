#!/usr/bin/env python3
"""The cohort table, the failures and the plot, from the per-slide records of a cohort run.

cohort.csv: one row per finished slide (in manifest order) with its summary's numbers: pixel size,
tissue mm^2, tiles, nuclei and density, and per class the count, fraction, density and mean
score. failures.csv: one row per failed slide with its error. cohort.png: the class composition
of each slide (stacked bars, in the model's class colours) above its nuclei density.
Every file is written atomically.
"""

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from atomic_write import write_atomically


def csv_bytes(header, rows) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    # Paths that are not UTF-8 (an old file system) keep their bytes instead of failing the table.
    return out.getvalue().encode("utf-8", "surrogateescape")


def number(v, digits=4):
    return "" if v is None else round(v, digits)


def read_records(paths):
    finished, failed = [], []
    for p in paths:
        name = Path(p).name[: -len(".json")]
        try:
            r = json.loads(Path(p).read_text(encoding="utf-8", errors="surrogateescape"))
        except (OSError, ValueError) as e:
            failed.append({"name": name, "slide": "", "error": f"unreadable record {p}: {e}"})
            continue
        if r.get("status") == "ok":
            try:
                s = json.loads(Path(r["summary"]).read_text())
            except (OSError, ValueError, KeyError) as e:
                failed.append({"name": name, "slide": r.get("slide", ""), "error": f"summary unreadable: {e}"})
                continue
            finished.append((name, r, s))
        else:
            failed.append({"name": name, "slide": r.get("slide", ""), "error": r.get("error", "unknown error"),
                           "log": r.get("log", "")})
    return finished, failed


def class_order(finished):
    """Class names in order of first appearance, with the first colour seen for each."""
    names, colours = [], {}
    for _, _, s in finished:
        for c in s.get("classes", []):
            if c["name"] not in colours:
                names.append(c["name"])
                colours[c["name"]] = tuple(v / 255 for v in c.get("color", (128, 128, 128)))
    return names, colours


def table(finished, classes):
    header = ["slide", "file", "mpp", "tissue_mm2", "processed_mm2", "tiles_done", "tiles_unreadable", "nuclei",
              "density_per_mm2"]
    for c in classes:
        header += [f"{c}_nuclei", f"{c}_fraction", f"{c}_density_per_mm2", f"{c}_mean_score"]
    header += ["seconds", "model", "muse_version", "detections"]
    rows = []
    for name, r, s in finished:
        by_name = {c["name"]: c for c in s.get("classes", [])}
        row = [name, s["slide"]["file"], number(s["mpp"]), number(s.get("tissue_mm2")), number(s["processed_mm2"]),
               s["tiles"]["done"], s["tiles"]["unreadable"], s["nuclei"], number(s.get("density_per_mm2"), 2)]
        for c in classes:
            k = by_name.get(c)
            if k is None:
                row += ["", "", "", ""]
                continue
            fraction = k["nuclei"] / s["nuclei"] if s["nuclei"] else None
            row += [k["nuclei"], number(fraction), number(k.get("density_per_mm2"), 2), number(k.get("mean_score"))]
        row += [number(s["seconds"], 2), s["model"]["file"], s["muse_version"], r["detections"]]
        rows.append(row)
    return header, rows


def plot(finished, failed, classes, colours) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(finished)
    width = min(max(6.0, 0.35 * n + 2.0), 40.0)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(width, 7.5), sharex=True, constrained_layout=True)
    names = [name for name, _, _ in finished]
    x = list(range(n))
    bottoms = [0.0] * n
    for c in classes:
        fractions = []
        for _, _, s in finished:
            k = next((k for k in s.get("classes", []) if k["name"] == c), None)
            fractions.append(k["nuclei"] / s["nuclei"] if k and s["nuclei"] else 0.0)
        top.bar(x, fractions, bottom=bottoms, color=colours[c], label=c, width=0.8)
        bottoms = [b + f for b, f in zip(bottoms, fractions)]
    top.set_ylabel("fraction of nuclei")
    top.set_ylim(0, 1)
    top.set_title(f"Class composition per slide ({n} slides" + (f", {len(failed)} failed, not shown)" if failed else ")"))
    if classes:
        top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    density = [s.get("density_per_mm2") or 0.0 for _, _, s in finished]
    bottom.bar(x, density, color="0.35", width=0.8)
    bottom.set_ylabel("nuclei per mm$^2$ of tissue")
    bottom.set_title("Nuclei density per slide")
    if n <= 200:  # beyond that the names are unreadable; the table has them
        bottom.set_xticks(x)
        bottom.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    else:
        bottom.set_xlabel(f"{n} slides in manifest order (names in cohort.csv)")
    if n == 0:
        top.text(0.5, 0.5, "no slide finished: see failures.csv", ha="center", va="center", transform=top.transAxes)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=110)
    plt.close(fig)
    return out.getvalue()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--table", required=True, type=Path)
    p.add_argument("--failures", required=True, type=Path)
    p.add_argument("--plot", required=True, type=Path)
    p.add_argument("--records-from", type=Path, help="a file listing the records, one per line (for thousands)")
    p.add_argument("records", nargs="*", help="the per-slide records (RESULTS/status/SLIDE.json), in manifest order")
    a = p.parse_args()
    records = list(a.records)
    if a.records_from:
        records += [l for l in a.records_from.read_text(encoding="utf-8", errors="surrogateescape").splitlines() if l]
    finished, failed = read_records(records)
    classes, colours = class_order(finished)
    header, rows = table(finished, classes)
    write_atomically(a.table, csv_bytes(header, rows))
    write_atomically(a.failures, csv_bytes(["slide", "file", "error", "log"],
                                           [[f["name"], f["slide"], f["error"], f.get("log", "")] for f in failed]))
    write_atomically(a.plot, plot(finished, failed, classes, colours))
    print(f"cohort: {len(finished)} slides in {a.table}, {len(failed)} in {a.failures}, plot {a.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
