"""The package layout: one subpackage per pipeline stage, each importing only the stages
before it, no import cycles, small modules, and a fast start."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "routerisk"

#: Pipeline order: a stage may import only stages at or before its own position.
STAGES = ("geo", "network", "incidents", "model", "supply", "report", "cli")
#: Modules every stage may use (no stage of their own).
BASE = {"errors", "config", "_output", "__init__"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every routerisk module imported by ``path``, at module level or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "routerisk":
                found.update(f"routerisk.{a.name}" for a in node.names)
            elif node.module.startswith("routerisk."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("routerisk."))
    return found


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "static" not in p.parts)


def test_every_stage_imports_only_earlier_stages():
    wrong = []
    for path in _modules():
        mine = _stage(_module_name(path))
        if mine not in STAGES:
            continue
        for imported in _imports(path):
            theirs = _stage(imported)
            if theirs in BASE or theirs not in STAGES:
                continue
            if STAGES.index(theirs) > STAGES.index(mine):
                wrong.append(f"{_module_name(path)} imports {imported}")
    assert not wrong, "later stage imported:\n" + "\n".join(wrong)


def test_base_modules_import_no_stage():
    for name in BASE - {"__init__"}:
        stages = {_stage(m) for m in _imports(PKG / f"{name}.py")} & set(STAGES)
        assert not stages, f"routerisk.{name} imports stage(s) {stages}"


def test_no_import_cycle_between_modules():
    graph = {}
    for path in _modules():
        graph[_module_name(path)] = {m for m in _imports(path)}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if nxt not in graph or nxt == node:
                continue
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [module])


def test_modules_stay_small():
    big = {_module_name(p): n for p in _modules()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > 430}
    assert not big, f"modules over 430 lines: {big}"


def _python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (nothing imported yet); fail if it fails."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)


def test_help_imports_no_heavy_library():
    code = ("import sys, routerisk.cli as c\n"
            "try:\n    c.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = {'osmnx', 'sklearn', 'matplotlib', 'pandas', 'geopandas', 'folium', "
            "'scipy', 'shapely', 'pyproj'} & set(sys.modules)\n"
            "print(sorted(heavy))")
    out = _python(code)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_import_routerisk_is_lazy():
    code = ("import sys, routerisk\n"
            "assert 'routerisk.model.hazard' not in sys.modules\n"
            "routerisk.HazardModel\n"
            "assert 'routerisk.model.hazard' in sys.modules\n"
            "print(sorted(n for n in routerisk.__all__ if not hasattr(routerisk, n)))")
    out = _python(code)
    assert out.stdout.strip() == "[]"


def test_scoring_with_a_saved_model_imports_no_scikit_learn(tmp_path, study_network,
                                                             grid_graph, synthetic_incidents):
    """A saved model is rebuilt and applied without scikit-learn (whose import alone took
    about a second of every warm command); only fitting needs it."""
    from routerisk.incidents.schema import INCIDENT_COLUMNS
    from routerisk.model.hazard import HazardModel
    from routerisk.model.persist import incident_digests, save_model

    df = synthetic_incidents(n=300, years=6)
    csv = tmp_path / "incidents.csv"
    df[list(INCIDENT_COLUMNS)].assign(date=df["date"].dt.date).to_csv(csv, index=False)
    model = HazardModel(horizon_days=365, n_origins=3, origin_step_days=90, n_routes=0)
    model.fit(df, as_of="2018-01-01", G=grid_graph(n=4))
    path = save_model(model, tmp_path / "m.json", incidents_digest=incident_digests([csv]))
    # the study network is in this session's graph cache (study_network), so the
    # subprocess reads it as a warm command does
    code = ("import json, sys\nfrom routerisk.cli import main\n"
            f"args = ['--model', {str(path)!r}, '--incidents', {str(csv)!r}, "
            "'--horizon-days', '365', '--json']\n"
            "codes = [main(['-q', 'score', '--corridor', 'bamako-segou', '--n-boot', '5',"
            " *args]), main(['-q', 'route', 'Bamako', 'Ségou', *args])]\n"
            "print(json.dumps({'codes': codes, 'sklearn': sorted(m for m in sys.modules"
            " if m == 'sklearn' or m.startswith('sklearn.'))}), file=sys.stderr)")
    out = _python(code)
    import json

    result = json.loads(out.stderr.strip().splitlines()[-1])
    assert result["codes"] == [0, 0], out.stderr
    assert result["sklearn"] == []
    assert "p_disrupt" in out.stdout
