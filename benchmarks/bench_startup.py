"""Start-up time of the command line: ``--version``, ``--help``, a command's ``--help`` and
an argument error, each a fresh process, against bare Python starting in the same way.

The baseline is ``python -c pass`` (the interpreter alone) and ``python -c "import
osmnx, sklearn, matplotlib"`` (what every command paid before imports were made lazy),
both run in full in this process's loop, so the figures are comparable on a noisy machine.

Run: ``python benchmarks/bench_startup.py [--repeat N]``; target: every routerisk line
under 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES: dict[str, list[str]] = {
    "python (bare interpreter)": [sys.executable, "-c", "pass"],
    "python importing osmnx, sklearn, matplotlib (old eager start)":
        [sys.executable, "-c", "import osmnx, sklearn, matplotlib"],
    "routerisk --version": [sys.executable, "-m", "routerisk", "--version"],
    "routerisk --help": [sys.executable, "-m", "routerisk", "--help"],
    "routerisk score --help": [sys.executable, "-m", "routerisk", "score", "--help"],
    "routerisk report --help": [sys.executable, "-m", "routerisk", "report", "--help"],
    "routerisk score (argument error)": [sys.executable, "-m", "routerisk", "score"],
}


def wall_s(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per case (median shown)")
    args = parser.parse_args(argv)
    rows = []
    for name, cmd in CASES.items():
        wall_s(cmd)  # warm the file cache
        times = [wall_s(cmd) for _ in range(args.repeat)]
        rows.append((name, statistics.median(times), min(times), max(times)))
    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  median s   min s   max s")
    for name, med, lo, hi in rows:
        print(f"{name:<{width}}  {med:8.3f}  {lo:6.3f}  {hi:6.3f}")
    slow = [r[0] for r in rows if r[0].startswith("routerisk") and r[1] >= 1.0]
    print("all routerisk start-up lines under 1 s" if not slow
          else f"over 1 s: {', '.join(slow)}")
    return 0 if not slow else 1


if __name__ == "__main__":
    raise SystemExit(main())
