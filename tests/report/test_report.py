"""The analyst report as a user sees it: built once by the command line on the default data,
opened in headless Chromium, and its tables checked for content (not only existence).

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); without them
the browser tests fail with a message saying how to install them.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from chromium import chromium, severe_console_errors

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TILE_HOST = "tile.openstreetmap.org"
SEED_CORRIDORS = {
    "dakar-kayes-bamako": ("Dakar", "Bamako"),
    "abidjan-sikasso-bamako": ("Abidjan", "Bamako"),
    "bamako-segou": ("Bamako", "Ségou"),
}


def _run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "routerisk", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """``routerisk report --out DIR`` on the default data, run once for the module."""
    out = tmp_path_factory.mktemp("report")
    t0 = time.perf_counter()
    proc = _run_cli("report", "--out", str(out))
    seconds = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"dir": out, "stdout": proc.stdout, "stderr": proc.stderr, "seconds": seconds,
            "html": (out / "index.html").read_text(encoding="utf-8")}


@pytest.fixture(scope="module")
def page(report):
    """The report open in headless Chromium (1400 × 1000), map drawn."""
    with chromium(1400, 1000) as driver:
        driver.get((report["dir"] / "index.html").as_uri())
        deadline = time.time() + 30
        while time.time() < deadline and not driver.execute_script(
                "return document.querySelectorAll('.leaflet-overlay-pane path').length"):
            time.sleep(0.2)
        time.sleep(0.5)
        yield driver


@pytest.fixture(scope="module")
def study_network():
    from routerisk.network.io import load_study_network

    return load_study_network()


# ------------------------------------------------------------------------ command line
def test_cli_prints_the_page_and_reports_progress(report):
    assert report["stdout"].strip().splitlines()[-1] == str(report["dir"] / "index.html")
    for step in ("network build", "hazard fit", "corridors", "fuel exposure", "backtest"):
        assert f"{step}: done in" in report["stderr"]
    assert "Traceback" not in report["stderr"]


def test_cli_bad_input_is_one_line_not_a_traceback(tmp_path):
    bad = _run_cli("report", "--out", str(tmp_path), "--horizon-days", "0")
    assert bad.returncode == 2 and "must be positive" in bad.stderr
    missing = _run_cli("report", "--out", str(tmp_path / "r"), "--no-backtest",
                       "--incidents", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1, missing.stderr
    lines = [ln for ln in missing.stderr.splitlines() if "error" in ln]
    assert len(lines) == 1 and "nope.csv" in lines[0]
    assert "Traceback" not in missing.stderr
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    clash = _run_cli("--quiet", "report", "--out", str(a_file), "--no-backtest")
    assert clash.returncode == 2 and clash.stderr.strip().startswith("routerisk: error:")
    assert len(clash.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------ the page in a browser
def test_map_renders_its_layers_without_console_errors(page, report):
    driver = page
    n_paths = driver.execute_script(
        "return document.querySelectorAll('.leaflet-overlay-pane path').length")
    overlays = driver.execute_script(
        "return Array.from(document.querySelectorAll("
        "'.leaflet-control-layers-overlays label')).map(l => l.textContent.trim())")
    segments = pd.read_csv(report["dir"] / "segments.csv")
    # every two-way piece drawn once, plus corridors and recent incidents on top
    assert n_paths > len(segments) / 2
    for name in ("Road segments", "Seed corridors", "Fuel-import routes",
                 "Incidents, last 12 months"):
        assert any(o.startswith(name) for o in overlays), overlays
    assert any(o.startswith("Scenario closures") for o in overlays), overlays
    assert driver.execute_script("return document.querySelectorAll('.rr-legend').length") == 1
    errors = severe_console_errors(driver, allow=(TILE_HOST,))
    assert errors == [], errors
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "report.png"))
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_segment_popup_shows_its_figures(page):
    text = page.execute_script("""
        const id = document.querySelector('.folium-map').id;
        const map = window[id];
        let done = null;
        map.eachLayer(l => {
            if (!done && l.feature && l.feature.properties
                && l.feature.properties.n_incidents !== undefined
                && l.getBounds) {
                l.fire('click', {latlng: l.getBounds().getCenter()}, true);
                done = l;
            }
        });
        const pop = document.querySelector('.leaflet-popup-content');
        return pop ? pop.innerText : null;
    """)
    assert text is not None
    for label in ("P(disruption)", "μ, expected incidents", "km from start",
                  "Contributing incidents"):
        assert label in text, text


def test_page_is_self_contained(report):
    html = report["html"]
    assert "<script src=" not in html
    assert not re.search(r"<link[^>]+href=[\"']https?:", html)
    assert not re.search(r"src=[\"']https?:", html)
    assert not re.search(r"url\([\"']?https?:", html)  # no remote CSS images or fonts
    assert "L.map(" in html and 't.version="1.9.4"' in html  # Leaflet inlined
    assert html.count("data:image/png;base64,") >= 5  # charts embedded


# ------------------------------------------------------------------------ tables
def test_segments_table_has_every_piece_with_a_probability(report, study_network):
    seg = pd.read_csv(report["dir"] / "segments.csv")
    assert len(seg) == study_network.number_of_edges()
    assert seg["p_disrupt"].between(0, 1).all()
    assert (seg["mu"] >= 0).all()
    np.testing.assert_allclose(seg["p_disrupt"], -np.expm1(-seg["mu"]), rtol=1e-9)
    assert seg["road"].str.contains(" – ").all()
    assert seg["n_incidents"].ge(0).all() and seg["n_incidents"].gt(0).any()


def test_corridor_tables_name_the_right_towns(report):
    cor = pd.read_csv(report["dir"] / "corridors.csv").set_index("name")
    for name, (origin, destination) in SEED_CORRIDORS.items():
        row = cor.loc[name]
        assert (row["origin"], row["destination"]) == (origin, destination)
        assert 0 < row["p_low"] <= row["p_disrupt"] <= row["p_high"] < 1
        assert row["towns"].startswith(origin) and row["towns"].endswith(destination)
    top = pd.read_csv(report["dir"] / "corridor_top_segments.csv")
    assert (top.groupby("corridor").size() == 10).all()
    for _, grp in top.groupby("corridor"):
        assert grp["mu"].is_monotonic_decreasing
    html = report["html"]
    for name in SEED_CORRIDORS:
        table = re.search(rf"<table class='rr-table' id='top-{name}'>(.*?)</table>", html, re.S)
        assert table and table.group(1).count("<tr>") == 11  # header + ten rows


def test_fuel_and_scenarios_side_by_side(report):
    routes = pd.read_csv(report["dir"] / "fuel_routes.csv")
    assert math.isclose(routes["share"].sum(), 1.0, abs_tol=0.005)
    assert set(routes["route"]) >= {"dakar", "abidjan"}
    assert routes["p_disrupt"].between(0, 1).all()
    html = report["html"]
    assert "id='fuel-routes'" in html
    from routerisk.report._gather_supply import scenario_preset_names

    scen = pd.read_csv(report["dir"] / "scenarios.csv")
    assert set(scenario_preset_names()) <= set(scen["scenario"])
    assert {"kayes-nioro-blockade-2025", "fuel-import-ban-2025"} <= set(scen["scenario"])
    assert "id='scenarios'" in html


def test_backtest_has_model_and_both_baselines(report):
    bt = pd.read_csv(report["dir"] / "backtest.csv").set_index("forecaster")
    assert list(bt.index) == ["model", "climatology", "persistence"]
    assert bt["roc_auc"].between(0, 1).all() and bt["brier"].between(0, 1).all()
    rel = pd.read_csv(report["dir"] / "reliability.csv")
    assert len(rel) == 10 and rel["observed_frequency"].between(0, 1).all()
    assert "id='backtest'" in report["html"] and "reliability diagram" in report["html"]


def test_geopackage_opens_with_every_layer(report):
    gpkg = report["dir"] / "routerisk.gpkg"
    layers = dict(pyogrio.list_layers(gpkg))
    expected = {"segments", "incidents", "corridors", "fuel_routes", "closures"}
    assert expected <= set(layers)
    info = pyogrio.read_info(gpkg, layer="segments")
    assert info["features"] == len(pd.read_csv(report["dir"] / "segments.csv"))
    assert info["crs"] == "EPSG:4326"


def test_provenance_names_files_dates_parameters_and_assumptions(report):
    prov = json.loads((report["dir"] / "provenance.json").read_text(encoding="utf-8"))
    files = {Path(f["file"]).name: f for f in prov["incident_files"]}
    assert "catalogue.csv" in files and "acled_mli_bfa_ner_1997_2019.csv" in files
    assert files["acled_mli_bfa_ner_1997_2019.csv"]["first_date"].startswith("1997")
    assert prov["model"]["horizon_days"] == 30 and prov["model"]["train_origins"]
    html = report["html"]
    assert "id='incident-files'" in html and "id='model-params'" in html
    assert "independently" in html and "A1-sen-civ-equal" in html
    assert f"as of: <b>{prov['as_of']}</b>" in html
