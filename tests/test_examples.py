"""Every script in ``examples/`` runs on the default data and prints what an analyst expects.

The scripts run as subprocesses, all started at once (they are independent), so the suite
waits for the slowest rather than for their sum.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))

#: Lines each known script must print (other scripts: exit 0 and some output).
EXPECTED: dict[str, list[str]] = {
    "fuel_exposure.py": ["Fuel-import exposure over 30 days", "dakar", "abidjan",
                         "Expected share of fuel volume whose route is disrupted",
                         "Most critical links", "[A1-sen-civ-equal]", "tankers",
                         "[S1-demand]", "[C2-border-dwell]"],
    "blockade_scenarios.py": ["== kayes-nioro-blockade-2025", "== fuel-import-ban-2025",
                              "== august-2025-declaration",
                              "cut off: 0.0% of fuel volume; must detour: 48.3%",
                              "cut off: 96.7% of fuel volume", "Kita", "m3/day",
                              "runs out in", "[S3-stock]"],
    "safer_route.py": ["Dakar → Bamako", "cheapest", "safest", "Cost–risk trade-off"],
    "score_corridors.py": [],
}


@pytest.fixture(scope="module")
def runs():
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES.parent) + os.pathsep
           + os.environ.get("PYTHONPATH", "")}
    procs = {name: subprocess.Popen([sys.executable, str(EXAMPLES / name)], cwd=EXAMPLES.parent,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=env)
             for name in SCRIPTS}
    out = {}
    for name, p in procs.items():
        stdout, stderr = p.communicate(timeout=600)
        out[name] = (p.returncode, stdout, stderr)
    return out


def test_the_required_examples_exist():
    for name in ("fuel_exposure.py", "blockade_scenarios.py", "safer_route.py"):
        assert name in SCRIPTS


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs(runs, name):
    code, stdout, stderr = runs[name]
    assert code == 0, stderr[-2000:]
    assert stdout.strip(), "prints a table"
    assert "Traceback" not in stderr
    for needle in EXPECTED.get(name, []):
        assert needle in stdout, needle
