#!/usr/bin/env python3
"""One slide of a cohort run: `muse detect` with its summary, and a record of the outcome.

The record (JSON, written atomically) is what Snakemake tracks: {"status": "ok", ...} with the
paths of the detections and the summary, or {"status": "failed", "error": ...}. A failed slide
exits 0 so that the other slides and the cohort table go on; its error is in the record and in
the cohort's failures.csv. On failure, detections and a summary left from an earlier run of the
same slide are removed: the outputs of a slide are complete and current, or absent.

An interrupted muse (Ctrl-C, or SIGTERM/SIGHUP/SIGINT from a scheduler's time limit or a lost
node) is not the slide's fault: no record, exit 1, so that Snakemake reports the job and the next
run does it again. SIGKILL is recorded (most often the memory limit), and retry_failed retries it.
"""

import argparse
import json
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from atomic_write import write_atomically


def last_error(log: Path, returncode: int) -> str:
    """The engine's own message (its last `muse: error:` line), else how the process ended."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.is_file() else []
    errors = [l for l in lines if l.startswith("muse: error:")]
    if errors:
        return errors[-1][len("muse: error:"):].strip()
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:  # a real-time signal has no name
            name = f"signal {-returncode}"
        hint = " (out of memory? the scheduler's memory limit?)" if -returncode == signal.SIGKILL else ""
        return f"muse was killed by {name}{hint}"
    tail = " | ".join(lines[-3:]) if lines else "no output"
    return f"muse exited with status {returncode}: {tail}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--muse", required=True)
    p.add_argument("--model", default="")
    p.add_argument("--slide", required=True)
    p.add_argument("--mpp", default="")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--extra-args", default="")
    p.add_argument("--detections", required=True, type=Path)
    p.add_argument("--summary", required=True, type=Path)
    p.add_argument("--record", required=True, type=Path)
    p.add_argument("--log", required=True, type=Path)
    a = p.parse_args()

    record = {"slide": a.slide, "detections": str(a.detections), "summary": str(a.summary), "log": str(a.log)}
    a.log.parent.mkdir(parents=True, exist_ok=True)
    for out in (a.detections, a.summary):
        out.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    if not Path(a.slide).exists():
        a.log.write_text(f"slide file not found: {a.slide}\n")
        returncode, error = 1, f"slide file not found: {a.slide}"
        record["slide_missing"] = True
    else:
        cmd = [a.muse, "--threads", str(a.threads), "detect", a.slide, "-o", str(a.detections), "--summary", str(a.summary)]
        if a.model:
            cmd += ["-m", a.model]
        if a.mpp:
            cmd += ["--mpp", a.mpp]
        cmd += shlex.split(a.extra_args)
        with open(a.log, "w") as log:
            log.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
            log.flush()
            try:
                returncode = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode
            except OSError as e:  # muse itself cannot be started: every slide would fail, so say it loudly
                print(f"detect_slide.py: cannot run '{a.muse}': {e}", file=sys.stderr)
                return 2
        if returncode in (130, -signal.SIGINT, -signal.SIGTERM, -signal.SIGHUP, 128 + signal.SIGTERM):
            print(f"detect_slide.py: muse was interrupted (status {returncode}) on {a.slide}; "
                  "not recorded, the next run does it again", file=sys.stderr)
            return 1
        ok = returncode == 0 and a.detections.is_file() and a.summary.is_file()
        error = "" if ok else last_error(a.log, returncode)
    record["seconds"] = round(time.time() - started, 3)
    if error:
        for stale in (a.detections, a.summary):
            stale.unlink(missing_ok=True)
        record.update(status="failed", error=error, returncode=returncode)
    else:
        record["status"] = "ok"
    write_atomically(a.record, (json.dumps(record, indent=2) + "\n").encode("utf-8", "surrogateescape"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
