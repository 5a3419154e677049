"""The ``corridors`` and ``network`` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from routerisk.cli import main

ALL = ["dakar-kayes-bamako", "abidjan-sikasso-bamako", "bamako-segou",
       "conakry-kouremale-bamako", "nouakchott-nioro-bamako"]


def run(capsys, *argv):
    code = main(["--quiet", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("routerisk: error: ")
    assert "Traceback" not in err


def test_corridors_table(capsys):
    code, out, _ = run(capsys, "corridors")
    assert code == 0
    for name in ALL:
        assert name in out
    assert "Dakar - Tambacounda - Kidira - Diboli - Kayes" in out


def test_corridors_json(capsys):
    code, out, _ = run(capsys, "corridors", "--json")
    assert code == 0
    data = json.loads(out)
    assert [c["name"] for c in data] == ALL
    segou = data[2]
    assert [w["name"] for w in segou["waypoints"]] == ["Bamako", "Fana", "Ségou"]
    assert segou["waypoints"][1]["gazetteer"] == "Virage de Dioila"


def test_network_info_json(capsys):
    code, out, _ = run(capsys, "network", "info", "--corridor", "bamako-segou", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["corridor"] == "bamako-segou"
    assert info["nodes"] > 2 and info["edges"] >= 2 * info["segments"] - 2
    assert info["max_segment_km"] <= 10
    assert info["route"]["km"] == pytest.approx(235, rel=0.01)
    assert info["route"]["hours"] == pytest.approx(2.9, abs=0.1)
    towns = info["route"]["towns"]
    assert towns[0] == "Bamako" and towns[-1] == "Segou" and "Konobougou" in towns
    assert info["route"]["waypoints"] == ["Bamako", "Fana", "Ségou"]
    assert info["total_km"] >= info["route"]["km"]


def test_network_info_text_with_coarser_segments(capsys):
    code, out, _ = run(capsys, "network", "info", "--corridor", "abidjan-sikasso-bamako",
                       "--max-segment-km", "50")
    assert code == 0
    assert "Abidjan -> Bamako: 1,20" in out
    towns = next(line for line in out.splitlines() if line.startswith("towns"))
    assert towns.index("Bouake") < towns.index("Ferkessedougou") < towns.index("Sikasso")
    assert "of at most 50 km" in out or "of at most 4" in out


def test_unknown_corridor_is_one_line(capsys):
    code, _, err = run(capsys, "network", "info", "--corridor", "timbuktu-road")
    assert code == 1
    assert_one_line_error(err)
    assert "available: dakar-kayes-bamako" in err


def test_missing_network_file_is_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "network", "info", "--corridor", "bamako-segou", "--network",
                       str(tmp_path / "none.graphml"))
    assert code == 1
    assert_one_line_error(err)
    assert "none.graphml" in err


def test_network_build_from_osm_file_then_cached(capsys, tmp_path, osm_fixture):
    cache = tmp_path / "cache"
    argv = ["network", "build", "--corridor", "bamako-segou", "--osm-file", str(osm_fixture),
            "--cache-dir", str(cache), "--json"]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0
    info = json.loads(out)
    assert Path(info["cache"]).is_file() and Path(info["cache"]).parent == cache
    assert "building bamako-segou" in err
    assert info["route"]["waypoints"] == ["Bamako", "Fana", "Ségou"]
    assert info["max_segment_km"] <= 10
    code = main(argv)
    out2, err2 = capsys.readouterr()
    assert code == 0 and "using cached" in err2 and "building" not in err2
    assert json.loads(out2) == info


def test_network_build_errors(capsys, tmp_path, osm_fixture):
    code, _, err = run(capsys, "network", "build", "--corridor", "bamako-segou", "--osm-file",
                       str(tmp_path / "missing.osm"), "--cache-dir", str(tmp_path))
    assert code == 1
    assert_one_line_error(err)
    assert "missing.osm" in err
    code, _, err = run(capsys, "network", "build", "--corridor", "dakar-kayes-bamako",
                       "--osm-file", str(osm_fixture), "--cache-dir", str(tmp_path))
    assert code == 1
    assert_one_line_error(err)
    assert "do not connect Dakar to Bamako" in err or "from the nearest road" in err
    for argv in (["network", "build", "--corridor", "bamako-segou"],
                 ["network", "info", "--corridor", "bamako-segou", "--max-segment-km", "0"],
                 ["network"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert "Traceback" not in capsys.readouterr().err


def test_console_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "routerisk", "corridors"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "bamako-segou" in proc.stdout
