"""The weekly briefing: orientation without tiles, a layout that fits, what changed since a
previous report (``--compare``) and the PDF (``--pdf``).

Two reports are built once for the module through the command line: one as of 2025-06-01,
and one at the default as-of date (2025-09-15, the day after the latest incident) that
compares with the first and prints itself to PDF. Both skip the backtest (not under test
here). The browser tests open the second in headless Chromium at 1400 and 1024 px and save
screenshots to ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from chromium import chromium, severe_console_errors

from routerisk._output import fmt_bytes
from routerisk.report._charts import stagger_labels
from routerisk.report._compare import fmt_pp
from routerisk.report._tables import fmt_percent

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TILE_HOST = "tile.openstreetmap.org"
PREVIOUS_AS_OF = "2025-06-01"


def _run_cli(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "routerisk", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Report A as of 2025-06-01; report B at the default date, compared with A, with PDF."""
    root = tmp_path_factory.mktemp("briefing")
    a, b = root / "a", root / "b"
    proc = _run_cli("report", "--out", str(a), "--no-backtest", "--as-of", PREVIOUS_AS_OF)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = _run_cli("report", "--out", str(b), "--no-backtest", "--compare", str(a), "--pdf")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"a": a, "b": b, "stderr": proc.stderr}


def _open(driver, index: Path) -> None:
    driver.get(index.as_uri())
    deadline = time.time() + 30
    while time.time() < deadline and not driver.execute_script(
            "return document.querySelectorAll('.rr-label').length"):
        time.sleep(0.2)
    time.sleep(0.5)


@pytest.fixture(scope="module")
def page(reports):
    with chromium(1400, 1000) as driver:
        _open(driver, reports["b"] / "index.html")
        yield driver


# ------------------------------------------------------------------ orientation
VISIBLE_LABELS = """
    const map = window[document.querySelector('.folium-map').id];
    const box = map.getContainer().getBoundingClientRect();
    return Array.from(document.querySelectorAll('.rr-label')).map(e => {
        const r = e.querySelector('.rr-label-text').getBoundingClientRect();
        return {text: e.textContent, left: r.left, right: r.right, top: r.top,
                bottom: r.bottom,
                inside: r.left >= box.left && r.right <= box.right && r.top >= box.top
                        && r.bottom <= box.bottom};
    }).filter(l => l.inside);
"""


def test_towns_ports_borders_and_corridors_are_labelled_offline(page, reports):
    driver = page
    labels = driver.execute_script(VISIBLE_LABELS)
    names = {lab["text"] for lab in labels}
    # the main towns and ports a user looks for, with no background tiles
    assert {"Dakar", "Abidjan", "Kayes", "Bamako"} <= names, sorted(names)
    assert len(labels) >= 20
    # thinned: no two visible labels overlap
    for i, p in enumerate(labels):
        for q in labels[i + 1:]:
            overlap = (p["left"] < q["right"] - 1 and q["left"] < p["right"] - 1
                       and p["top"] < q["bottom"] - 1 and q["top"] < p["bottom"] - 1)
            assert not overlap, (p, q)
    # zooming in shows more towns (thinned by zoom, not dropped)
    more = driver.execute_script("""
        const map = window[document.querySelector('.folium-map').id];
        const z = map.getZoom();
        map.setZoom(z + 2, {animate: false});
        const n = document.querySelectorAll('.rr-label').length;
        map.setZoom(z, {animate: false});
        return [n, document.querySelectorAll('.rr-label').length];""")
    assert more[0] > more[1] >= len(labels)
    borders = driver.execute_script(
        "return Array.from(document.querySelectorAll('.rr-border')).map("
        "e => e.parentElement.title || e.closest('.leaflet-marker-icon').title)")
    assert any(t.startswith("SEN | MLI border") and "Diboli" in t for t in borders), borders
    corridor_names = driver.execute_script(
        "return Array.from(document.querySelectorAll('.rr-corridor-name'))"
        ".map(e => e.textContent)")
    cor = pd.read_csv(reports["b"] / "corridors.csv")
    assert set(corridor_names) == set(cor["name"])
    overlays = driver.execute_script(
        "return Array.from(document.querySelectorAll("
        "'.leaflet-control-layers-overlays label')).map(l => l.textContent.trim())")
    for name in ("Towns and ports", "Border crossings", "Corridor names", "Change in P"):
        assert any(o.startswith(name) for o in overlays), overlays
    # with the OpenStreetMap background on, the labels sit above the tiles and the roads
    z = driver.execute_script("""
        const map = window[document.querySelector('.folium-map').id];
        const z = p => +getComputedStyle(map.getPane(p)).zIndex;
        return [z('rr-labels'), z('tilePane'), z('overlayPane'),
                document.querySelector('.leaflet-control-layers-base input').checked];""")
    assert z[0] > z[2] > z[1] and z[3], z
    assert severe_console_errors(driver, allow=(TILE_HOST,)) == []


def test_opening_view_shows_corridors_and_hottest_pieces(page, reports):
    seg = pd.read_csv(reports["b"] / "segments.csv")
    hot = seg.nlargest(5, "p_disrupt")
    points = []
    for wkt in hot["geometry_wkt"]:
        lon, lat = (float(v) for v in wkt.split("(")[1].split(",")[0].split())
        points.append([lat, lon])
    inside = page.execute_script("""
        const map = window[document.querySelector('.folium-map').id];
        const b = map.getBounds();
        return arguments[0].map(p => b.contains(L.latLng(p[0], p[1])));""", points)
    assert all(inside), list(zip(hot["road"], inside, strict=True))


# ------------------------------------------------------------------ layout
OVERFLOW = """
    const doc = document.documentElement;
    const out = {page: doc.scrollWidth - doc.clientWidth, tables: []};
    document.querySelectorAll('.rr-tablewrap').forEach(w => {
        const col = w.parentElement.getBoundingClientRect();
        const r = w.getBoundingClientRect();
        const t = w.querySelector('table');
        out.tables.push({id: t.id, beyond: r.right - col.right,
                         scroll: w.scrollWidth - w.clientWidth});
    });
    return out;
"""


@pytest.mark.parametrize("width", [1024, 1400])
def test_no_horizontal_overflow(reports, width):
    with chromium(width, 900) as driver:
        _open(driver, reports["b"] / "index.html")
        res = driver.execute_script(OVERFLOW)
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / f"briefing-map-{width}.png"))
        driver.execute_script("document.getElementById('exposure').scrollIntoView()")
        driver.save_screenshot(str(ARTIFACTS / f"briefing-exposure-{width}.png"))
        driver.execute_script("document.getElementById('changes').scrollIntoView()")
        driver.save_screenshot(str(ARTIFACTS / f"briefing-changes-{width}.png"))
    assert res["page"] <= 0, res
    assert all(t["beyond"] <= 1 for t in res["tables"]), res["tables"]
    tables = {t["id"]: t for t in res["tables"]}
    # the tables of the two-column blocks fit without scrolling (wrapping their text)
    for tid in ("scenarios", "fuel-routes", "corridor-summary", "compare-corridors"):
        assert tables[tid]["scroll"] <= 1, tables[tid]


def test_popup_near_the_legend_is_fully_visible(page):
    res = page.execute_script("""
        const map = window[document.querySelector('.folium-map').id];
        const legend = document.querySelector('.rr-legend').getBoundingClientRect();
        const box = map.getContainer().getBoundingClientRect();
        // the segment drawn closest to the legend's top-right corner
        let best = null, bestD = Infinity;
        map.eachLayer(l => {
            if (l.feature && l.feature.properties && l.feature.properties.n_incidents
                !== undefined && l.getBounds) {
                const c = map.latLngToContainerPoint(l.getBounds().getCenter());
                const d = Math.hypot(c.x + box.left - legend.right,
                                     c.y + box.top - legend.top);
                if (d < bestD && c.x > 0 && c.y > 0) { bestD = d; best = l; }
            }
        });
        best.fire('click', {latlng: best.getBounds().getCenter()}, true);
        return bestD;""")
    assert res < 200       # a segment near the legend (which ones are drawn depends on the model)
    time.sleep(1.0)  # auto-pan
    check = page.execute_script("""
        const map = window[document.querySelector('.folium-map').id];
        const box = map.getContainer().getBoundingClientRect();
        const pop = document.querySelector('.leaflet-popup');
        const r = pop.getBoundingClientRect();
        const rows = Array.from(pop.querySelectorAll('tr')).map(tr => {
            const q = tr.getBoundingClientRect();
            const hit = document.elementFromPoint(q.left + q.width / 2, q.top + q.height / 2);
            return {text: tr.innerText, visible: !!hit && pop.contains(hit)};
        });
        return {inside: r.left >= box.left && r.right <= box.right && r.top >= box.top
                        && r.bottom <= box.bottom, rows: rows};""")
    assert check["inside"], check
    assert len(check["rows"]) >= 8
    hidden = [row["text"] for row in check["rows"] if not row["visible"]]
    assert hidden == [], hidden
    cells = [re.split(r"[\t\n]+", row["text"].strip(), maxsplit=1) for row in check["rows"]]
    corridor = [c for c in cells if c[0].startswith("Corridor, km")]
    assert corridor and len(corridor[0]) == 2 and corridor[0][1].strip(), cells
    page.execute_script("window[document.querySelector('.folium-map').id].closePopup()")


def test_profile_town_labels_never_overlap():
    # Kidira and Diboli are 1.4 km apart; Kati and Bamako 15 km: on a 1,300 km axis of
    # 700 px their labels would overlap on one row
    km = [0.0, 660.0, 661.4, 780.0, 1268.0, 1283.0]
    names = ["Dakar", "Kidira", "Diboli", "Kayes", "Kati", "Bamako"]
    rows = stagger_labels(km, names, span=1300.0, width_px=700.0)
    assert rows[names.index("Kidira")] != rows[names.index("Diboli")]
    assert rows[names.index("Kati")] != rows[names.index("Bamako")]
    char = 0.6 * 8.0 * 110 / 72.0
    boxes = [(k / 1300 * 700 - len(n) * char / 2, k / 1300 * 700 + len(n) * char / 2, r)
             for k, n, r in zip(km, names, rows, strict=True) if r is not None]
    for i, (a0, a1, ra) in enumerate(boxes):
        for b0, b1, rb in boxes[i + 1:]:
            assert ra != rb or a1 <= b0 or b1 <= a0


def test_file_sizes_have_honest_units(page, reports):
    assert fmt_bytes(232) == "232 B" and fmt_bytes(14_692) == "14.7 kB"
    assert fmt_bytes(4_850_759) == "4.9 MB"
    sizes = dict(page.execute_script(
        "return Array.from(document.querySelectorAll('#files tbody tr')).map("
        "tr => [tr.cells[0].textContent, tr.cells[2].textContent])"))
    for name in ("incident_files.csv", "provenance.json", "summary.json", "segments.csv"):
        assert sizes[name] == fmt_bytes((reports["b"] / name).stat().st_size), sizes
    assert sizes["incident_files.csv"].endswith(" B")


# ------------------------------------------------------------------ what changed
def test_compare_shows_the_deltas_of_the_two_reports(page, reports):
    a = pd.read_csv(reports["a"] / "corridors.csv").set_index("name")
    b = pd.read_csv(reports["b"] / "corridors.csv").set_index("name")
    table = pd.read_csv(reports["b"] / "compare_corridors.csv").set_index("name")
    np.testing.assert_allclose(table["p_before"], a.loc[table.index, "p_disrupt"], rtol=1e-12)
    np.testing.assert_allclose(table["p_now"], b.loc[table.index, "p_disrupt"], rtol=1e-12)
    np.testing.assert_allclose(table["dmu"], b.loc[table.index, "mu"]
                               - a.loc[table.index, "mu"], rtol=1e-9)
    rows = page.execute_script(
        "return Array.from(document.querySelectorAll('#compare-corridors tbody tr')).map("
        "tr => Array.from(tr.cells).map(c => c.textContent))")
    shown = {r[0]: r for r in rows}
    assert set(shown) == set(b.index)
    for name in b.index:
        p0, p1 = float(a.loc[name, "p_disrupt"]), float(b.loc[name, "p_disrupt"])
        assert shown[name][1] == fmt_percent(p0) and shown[name][2] == fmt_percent(p1)
        assert shown[name][3] == fmt_pp(p1 - p0)
        assert shown[name][3][0] == ("▲" if p1 > p0 else "▼")
    # the pieces whose P rose most, checked against both reports' segments.csv
    sa = pd.read_csv(reports["a"] / "segments.csv").set_index(["u", "v", "key"])
    sb = pd.read_csv(reports["b"] / "segments.csv").set_index(["u", "v", "key"])
    seg = pd.read_csv(reports["b"] / "compare_segments.csv")
    rose = seg[seg["direction"] == "rose"]
    assert len(rose) == 10 and rose["dp"].is_monotonic_decreasing
    for row in rose.itertuples():
        key = (row.u, row.v, row.key)
        assert np.isclose(row.dp, sb.loc[key, "p_disrupt"] - sa.loc[key, "p_disrupt"])
    dp_all = (sb["p_disrupt"] - sa["p_disrupt"].reindex(sb.index)).dropna()
    assert np.isclose(rose["dp"].max(), dp_all.max())
    # incidents new since the previous as-of date
    prov = json.loads((reports["b"] / "provenance.json").read_text(encoding="utf-8"))
    inc = pd.read_csv(reports["b"] / "incidents.csv", parse_dates=["date"])
    new = inc[(inc["date"] >= PREVIOUS_AS_OF) & (inc["date"] < prov["as_of"])]
    listed = pd.read_csv(reports["b"] / "compare_incidents.csv")
    assert len(new) > 0 and len(listed) == len(new)
    caption = page.execute_script(
        "return document.querySelector('#compare-incidents caption').textContent")
    assert caption == f"Incidents new since {PREVIOUS_AS_OF}: {len(new):,}"
    # both read the same incident files: no period change; every refitted model parameter
    # that differs between the two provenance.json files is named with both values
    changes = page.execute_script(
        "return Array.from(document.querySelectorAll('ul.rr-changes li'))"
        ".map(li => li.textContent)")
    assert not any(c.startswith("Incident data covers") for c in changes), changes
    prev = json.loads((reports["a"] / "provenance.json").read_text(encoding="utf-8"))
    for k in ("C", "link", "intercept"):
        named = [c for c in changes if c.startswith(f"Model parameter {k}:")]
        assert bool(named) == (prev["model"][k] != prov["model"][k]), (k, changes)
    assert prov["compared_with"]["as_of"] == PREVIOUS_AS_OF


def test_compare_names_a_changed_data_period():
    from routerisk.report._compare import _period_changes

    before = {"covered": {"first_date": "1997-01-06", "last_date": "2025-05-30"},
              "incident_files": [{"file": "/x/catalogue.csv", "rows": 20,
                                  "first_date": "2013-01-01", "last_date": "2025-05-30"}]}
    after = {"covered": {"first_date": "1997-01-06", "last_date": "2025-09-14"},
             "incident_files": [{"file": "/y/catalogue.csv", "rows": 29,
                                 "first_date": "2013-01-01", "last_date": "2025-09-14"},
                                {"file": "/y/ucdp.csv", "rows": 5, "first_date": "2020-01-01",
                                 "last_date": "2022-12-31"}]}
    lines = _period_changes(before, after)
    assert lines[0] == ("Incident data covers 1997-01-06 to 2025-09-14 (previously "
                        "1997-01-06 to 2025-05-30)")
    assert ("catalogue.csv: 29 rows, 2013-01-01 to 2025-09-14 (previously 20 rows, "
            "2013-01-01 to 2025-05-30)") in lines
    assert "New incident file ucdp.csv (5 rows)" in lines
    assert _period_changes(after, after) == []


def test_compare_with_a_folder_lacking_its_summary_is_one_clear_line(tmp_path, reports):
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(reports["a"] / "segments.csv", old / "segments.csv")
    proc = _run_cli("report", "--out", str(tmp_path / "new"), "--compare", str(old))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "summary.json" in lines[0] and str(old) in lines[0], lines
    assert not (tmp_path / "new").exists()  # failed before any work


# ------------------------------------------------------------------ PDF
def test_pdf_is_a_readable_multipage_briefing(reports):
    pdf = reports["b"] / "report.pdf"
    assert pdf.stat().st_size > 100_000
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(next(ln for ln in info.stdout.splitlines() if ln.startswith("Pages:"))
                .split()[1])
    assert pages >= 5
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    b = pd.read_csv(reports["b"] / "corridors.csv")
    for row in b.itertuples():
        assert row.name in text
        assert fmt_percent(row.p_disrupt).replace("\u00a0", " ") in text.replace("\u00a0", " ")
    for heading in (f"What changed since {PREVIOUS_AS_OF}", "Corridors",
                    "Fuel exposure and scenarios", "Data provenance and assumptions"):
        assert heading in text
    # sections start on a new page: each heading is the first line of some page
    firsts = [pg.strip().splitlines()[0] for pg in text.split("\f") if pg.strip()]
    assert "Corridors" in firsts and "Data provenance and assumptions" in firsts, firsts


def test_pdf_without_chromium_says_how_to_install_it(tmp_path):
    import os

    env = dict(os.environ, CHROMIUM_BINARY=str(tmp_path / "no-chromium"))
    proc = subprocess.run([sys.executable, "-m", "routerisk", "report", "--out",
                           str(tmp_path / "r"), "--pdf"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "apt-get install chromium" in lines[0], lines
