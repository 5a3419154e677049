"""The report under hostile input and faults: crafted incident text never runs in the
analyst's browser, ``--no-notes`` keeps the raw source text out of every file, and a run
killed by Ctrl-C/SIGTERM or stopped by a full disk leaves the previous report intact.

Each test builds or interrupts a real report on the shared network (tens of seconds).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time

import pytest
from chromium import chromium, severe_console_errors

pytestmark = pytest.mark.slow

PAYLOAD_PLACE = '<img src=x onerror="window.__xss=1">'
PAYLOAD_NOTES = "</script><script>window.__xss=2</script><!--"
SECRET = "raw source text that must not be redistributed"
INCIDENTS = f"""incident_id,date,latitude,longitude,event_type,source,place,actor,notes
X-1,2019-03-02,13.4317,-6.2157,convoy_ambush,test,"{PAYLOAD_PLACE.replace('"', '""')}",\
"=HYPERLINK(""http://evil"")","{PAYLOAD_NOTES}"
X-2,2019-05-10,12.65,-8.0,ied,test,Bamako,+cmd,{SECRET}
X-3,2019-06-10,14.35,-3.9,clash,test,@SUM(1),army,{SECRET} again
X-4,2017-02-14,14.49,-4.19,clash,test,Mopti,army,earlier history the model trains on
X-5,2018-01-20,13.43,-6.26,ied,test,Segou,unknown,earlier history the model trains on
"""


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "routerisk", *args]


def _snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _leftovers(parent) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    """A report (with notes) built from incidents carrying script and formula payloads."""
    base = tmp_path_factory.mktemp("hostile")
    incidents = base / "incidents.csv"
    incidents.write_text(INCIDENTS, encoding="utf-8")
    out = base / "report"
    proc = subprocess.run(_cli("report", "--no-backtest", "--no-tiles", "--incidents",
                               str(incidents), "--out", str(out)),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"incidents": incidents, "out": out, "base": base}


def test_incident_text_in_popups_does_not_execute(crafted):
    html = (crafted["out"] / "index.html").read_text(encoding="utf-8")
    assert PAYLOAD_PLACE not in html and "</script><script>window.__xss" not in html
    with chromium(1200, 900) as driver:
        driver.get((crafted["out"] / "index.html").as_uri())
        time.sleep(1.0)
        texts = driver.execute_script("""
            const map = window[document.querySelector('.folium-map').id];
            const texts = [];
            map.eachLayer(l => {
                if (l.feature && l.feature.properties && l.feature.properties.event_type
                    && l.getLatLng) {
                    l.fire('click', {latlng: l.getLatLng()}, true);
                    const pop = document.querySelector('.leaflet-popup-content');
                    if (pop) texts.push(pop.innerText);
                    l.openTooltip && l.openTooltip();
                }
            });
            return texts;
        """)
        executed = driver.execute_script("return window.__xss === undefined ? null : "
                                         "window.__xss")
        injected = driver.execute_script("return document.querySelectorAll('img[src=\"x\"]')"
                                         ".length")
        errors = severe_console_errors(driver)
    assert len(texts) == 5, texts
    joined = "\n".join(texts)
    assert PAYLOAD_PLACE in joined  # shown as the text it is
    assert PAYLOAD_NOTES in joined
    assert executed is None and injected == 0
    assert errors == [], errors


def test_csv_exports_neutralise_formulas(crafted):
    text = (crafted["out"] / "incidents.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'@SUM(1)" in text and "'+cmd" in text
    assert ",=HYPERLINK" not in text and ",@SUM" not in text


def test_no_notes_keeps_source_text_out_of_every_file(crafted):
    assert any(SECRET.encode() in data for data in _snapshot(crafted["out"]).values())
    out = crafted["base"] / "public"
    proc = subprocess.run(_cli("report", "--no-backtest", "--no-tiles", "--no-notes",
                               "--incidents", str(crafted["incidents"]), "--out", str(out)),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name, data in _snapshot(out).items():
        assert SECRET.encode() not in data, name
        assert b"window.__xss=2" not in data, name


@pytest.mark.parametrize("sig, step, code, word", [
    (signal.SIGINT, "tables", 130, "interrupted"),
    (signal.SIGTERM, "geopackage", 143, "terminated"),
])
def test_signal_mid_report_leaves_the_previous_report(crafted, sig, step, code, word):
    out = crafted["out"]
    before = _snapshot(out)
    proc = subprocess.Popen(_cli("report", "--no-backtest", "--no-tiles", "--incidents",
                                 str(crafted["incidents"]), "--out", str(out)),
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines = []
    try:
        for line in proc.stderr:
            lines.append(line)
            if line.startswith(f"routerisk: {step} ..."):
                os.kill(proc.pid, sig)
                break
        rest = proc.stderr.read()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert any(ln.startswith(f"routerisk: {step} ...") for ln in lines), "".join(lines)
    assert proc.returncode == code, rest
    assert rest.strip().startswith(f"routerisk: {word}") and "Traceback" not in rest, rest
    assert _snapshot(out) == before
    assert _leftovers(out.parent) == []


def test_full_disk_during_report_leaves_the_previous_report(crafted, monkeypatch, capsys):
    import routerisk.report as report
    from routerisk.cli import main

    def full(path, layers):
        path.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(report, "write_geopackage", full)
    out = crafted["out"]
    before = _snapshot(out)
    code = main(["--quiet", "report", "--no-backtest", "--no-tiles", "--incidents",
                 str(crafted["incidents"]), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    lines = [ln for ln in err.strip().splitlines() if "error" in ln]
    assert len(lines) == 1 and "no space left on the device" in lines[0], err
    assert f"{out}/routerisk.gpkg: " in lines[0] and ".tmp-" not in lines[0]
    assert "Traceback" not in err
    assert _snapshot(out) == before
    assert _leftovers(out.parent) == []
