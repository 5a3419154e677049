"""Benchmark: peak memory of reading a large ACLED export.

The shared ACLED file (3.3 MB, 5,885 events, 1997-2019) is repeated with fresh event ids
into a file of ``--mb`` megabytes (default 200). Two parts, each in its own subprocess so
that its peak resident memory (``ru_maxrss``) is its own, each reading the same file with
:func:`routerisk.incidents.acled.read_acled` in full:

- ``ours``: the reader as shipped: the CSV is streamed row by row, only the columns the
  reader uses are kept and repeated values share one string;
- ``baseline``: the same reader with its CSV stage replaced by the previous one, which
  decoded the whole file into one string and kept every cell of every column;
- ``imports``: the imports alone, the floor under both.

Usage: ``ROUTERISK_DATA=/path/to/shared/data python benchmarks/bench_acled_memory.py
[--mb 200]``. Prints the file size, peak memory and time of both parts and their ratio to
the file size; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_file(target_mb: float, path: Path) -> int:
    """Write an ACLED file of about ``target_mb`` MB from the shared one; return its size."""
    from routerisk.config import ACLED_FILE, shared_file

    src = shared_file(ACLED_FILE)
    with src.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    col = header.index("event_id_cnty")
    with path.open("w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        w.writerow(header)
        copy = 0
        while out.tell() < target_mb * 1e6:
            for row in body:
                row = list(row)
                row[col] = f"{row[col]}-{copy}"
                w.writerow(row)
            copy += 1
    return path.stat().st_size


def _read_csv_whole(p: Path, encoding: str, columns=None):
    """The previous CSV stage: the whole file decoded, every cell of every column kept."""
    import pandas as pd

    from routerisk.incidents._files import _decode

    text = _decode(p, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, len(text) + 1))
    try:
        header = next(reader)
        body = [row for row in reader if row]
    finally:
        csv.field_size_limit(old)
    df = pd.DataFrame(body, columns=[c.strip() for c in header], dtype=object)
    return df.apply(lambda s: s.str.strip())


def run_part(part: str, path: str) -> None:
    import routerisk.incidents._files as files
    import routerisk.incidents.acled as acled

    if part == "baseline":
        files._read_csv_text = _read_csv_whole
    t0 = time.perf_counter()
    frame = acled.read_acled(path) if part != "imports" else []
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"part": part, "rows": len(frame), "seconds": seconds,
                      "peak_mb": peak_kb / 1024}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=200.0, help="file size, MB (default 200)")
    ap.add_argument("--part", choices=["ours", "baseline", "imports"], help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.part:
        run_part(args.part, args.file)
        return
    with tempfile.TemporaryDirectory(prefix="routerisk-bench-") as tmp:
        path = Path(tmp) / "acled_big.csv"
        size = make_file(args.mb, path)
        print(f"file: {size / 1e6:,.0f} MB")
        results = {}
        for part in ("imports", "ours", "baseline"):
            proc = subprocess.run([sys.executable, __file__, "--part", part, "--file",
                                   str(path)], capture_output=True, text=True, check=True)
            results[part] = json.loads(proc.stdout.strip().splitlines()[-1])
        for part, r in results.items():
            print(f"{part:<9} {r['rows']:>9,} rows  {r['seconds']:6.1f} s  peak "
                  f"{r['peak_mb']:7,.0f} MB  ({r['peak_mb'] * 2**20 / size:.1f}x the file)")
        ratio = results["baseline"]["peak_mb"] / results["ours"]["peak_mb"]
        print(f"peak memory, baseline / ours: {ratio:.2f}")


if __name__ == "__main__":
    main()
