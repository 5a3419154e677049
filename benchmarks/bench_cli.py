"""Wall time of each ``routerisk`` command, cold and warm, as a user runs them.

Each run is a fresh ``python -m routerisk ...`` subprocess (interpreter start and imports
included) timed from outside; the figure is the median over the runs.

- **cold**: an empty graph cache (``ROUTERISK_CACHE_DIR`` set to a new empty folder for every
  run) and no saved model, so the command reads, clips and segments the network, reads the
  incidents and fits the hazard model, as every command did before models could be saved.
- **warm**: the graph cache filled by an earlier run and ``--model`` pointing at a model
  saved once by ``routerisk model fit --out`` (time of that fit printed too).

Python's own bytecode caches are warm in both (written to a scratch folder by the first
run, even where ``PYTHONDONTWRITEBYTECODE`` is set). Wall and CPU (user + system) seconds are
printed: on a shared machine wall time includes waiting for a core, so the load average is
printed too. Run from the repository root::

    python benchmarks/bench_cli.py [--cold-runs 1] [--warm-runs 3] [--report]

Needs the shared data (``ROUTERISK_DATA`` or ``../shared/data``).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (label, arguments, whether --model applies)
COMMANDS: list[tuple[str, list[str], bool]] = [
    ("--help", ["--help"], False),
    ("network info", ["network", "info", "--corridor", "bamako-segou"], False),
    ("score", ["score", "--corridor", "bamako-segou"], True),
    ("route", ["route", "Bamako", "Ségou"], True),
    ("exposure", ["exposure"], True),
    ("scenario", ["scenario", "kayes-nioro-blockade-2025"], True),
]


def run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, CPU s) of one ``python -m routerisk -q ARGS``; fails loudly on an error.

    CPU = user + system time of the child (``RUSAGE_CHILDREN`` before and after): on a
    shared machine the wall time also holds the time spent waiting for a core.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "routerisk", "-q", *args], env=env,
                          cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"routerisk {' '.join(args)} failed ({proc.returncode}):\n"
                         f"{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cold-runs", type=int, default=1, help="0: warm runs only")
    ap.add_argument("--warm-runs", type=int, default=3)
    ap.add_argument("--report", action="store_true", help="also time 'report --no-backtest'")
    opts = ap.parse_args()
    commands = list(COMMANDS)
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        tmp = Path(tmp)
        if opts.report:
            commands.append(("report", ["report", "--no-backtest", "--no-tiles", "--out",
                                        str(tmp / "report")], True))
        # bytecode is written (to a scratch folder), as a default Python does, even where
        # the environment says not to: the runs then measure warm bytecode caches
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        base.update(PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                    PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
        warm_env = dict(base, ROUTERISK_CACHE_DIR=str(tmp / "warm-cache"))
        model = tmp / "model.json"
        t_fit, c_fit = run(["model", "fit", "--out", str(model)], warm_env)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"model fit --out (once, fills the graph cache): {t_fit:.2f} s wall, "
              f"{c_fit:.2f} s CPU")
        print(f"{'command':<14} {'cold wall':>9} {'cold CPU':>9} {'warm wall':>9} "
              f"{'warm CPU':>9}   seconds, median of {opts.cold_runs} cold / "
              f"{opts.warm_runs} warm runs")
        for label, args, takes_model in commands:
            cold = []
            for i in range(opts.cold_runs):
                env = dict(base, ROUTERISK_CACHE_DIR=str(tmp / f"cold-{label}-{i}"))
                cold.append(run(args, env))
            warm_args = args + (["--model", str(model)] if takes_model else [])
            run(warm_args, warm_env)  # fills the cache for this command's graph
            warm = [run(warm_args, warm_env) for _ in range(opts.warm_runs)]
            cw, cc = ((f"{statistics.median(v):.2f}" for v in zip(*cold, strict=True))
                      if cold else ("-", "-"))
            ww, wc = (statistics.median(v) for v in zip(*warm, strict=True))
            print(f"{label:<14} {cw:>9} {cc:>9} {ww:>9.2f} {wc:>9.2f}", flush=True)
        print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
