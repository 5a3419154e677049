"""``routerisk incidents validate|summary``: exit codes and messages, never a traceback."""

from __future__ import annotations

import json

import pytest

import routerisk.cli as cli
from routerisk.config import ACLED_FILE, shared_file

GOOD = [
    {"incident_id": "T-1", "date": "2019-03-02", "latitude": "14.4469",
     "longitude": "-11.4445", "event_type": "convoy_ambush", "source": "test",
     "location_precision_km": "5", "place": "Kayes"},
    {"incident_id": "T-2", "date": "2018-06-01", "date_precision": "month",
     "latitude": "16.2717", "longitude": "-0.0447", "event_type": "protest",
     "source": "test", "place": "Gao"},
]


@pytest.fixture
def run(monkeypatch, capsys):
    """Run the command line with only the incidents commands; return (code, out, err)."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("routerisk.cli.incidents",))

    def _run(*argv):
        try:
            code = cli.main(["-q", *map(str, argv)])
        except SystemExit as exc:  # argparse
            code = exc.code
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return _run


def test_incidents_registered():
    assert "routerisk.cli.incidents" in cli.COMMAND_MODULES


def test_validate_good_file(run, write_csv):
    code, out, err = run("incidents", "validate", write_csv(GOOD))
    assert code == 0, err
    assert "valid (routerisk)" in out
    assert "rows read: 2" in out
    assert "date range: 2018-06-01 .. 2019-03-02" in out
    assert "convoy_ambush 1" in out and "filtered: nothing" in out


def test_validate_json_and_violent_only(run, write_csv):
    code, out, _ = run("incidents", "validate", write_csv(GOOD), "--violent-only", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["rows"] == 1 and summary["rows_read"] == 2
    assert summary["filtered"] == {"non-violent type: protest": 1}
    assert summary["by_type"] == {"convoy_ambush": 1}


def test_validate_real_acled(run):
    code, out, _ = run("incidents", "validate", shared_file(ACLED_FILE), "--format", "acled")
    assert code == 0
    assert "valid (acled, one row per event)" in out
    assert "rows read: 5885" in out
    assert "date range: 1997-01-06 .. 2019-12-31" in out


def test_validate_lists_every_problem(run, write_csv):
    rows = [dict(r) for r in GOOD] + [dict(GOOD[0], incident_id=f"T-{i}") for i in range(3, 63)]
    rows[0]["latitude"] = "123.4"
    rows[1]["date"] = "2099-01-01"
    for r in rows[2:]:
        r["fatalities"] = "x"
    code, out, err = run("incidents", "validate", write_csv(rows))
    assert code == 1 and out == ""
    assert "62 problem(s)" in err
    assert "row 1, 'latitude': must be between -90 and 90; got '123.4'" in err
    assert "row 2, 'date': date 2099-01-01 is in the future" in err
    assert "row 62, 'fatalities': must be a whole number; got 'x'" in err  # not cut at 50


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"incident_id,date\n", "missing column 'latitude'"),
    (b"incident_id,date,latitude,longitude,event_type,source\nA,2019-01-01,\xe9,1,clash,s\n",
     "line 2: bytes that are not valid utf-8"),
])
def test_validate_bad_files(run, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    code, _, err = run("incidents", "validate", path)
    assert code == 1
    assert message in err


def test_validate_missing_file_and_bad_format(run, tmp_path):
    code, _, err = run("incidents", "validate", tmp_path / "nope.csv")
    assert code == 1 and "not found" in err
    code, _, err = run("incidents", "validate", tmp_path / "nope.csv", "--format", "xls")
    assert code == 2 and "invalid choice" in err


def test_validate_wrong_format_forced(run, write_csv):
    code, _, err = run("incidents", "validate", write_csv(GOOD), "--format", "acled")
    assert code == 1
    assert "missing column 'event_id_cnty'" in err


def test_summary_files_and_corridor(run, write_csv):
    code, out, err = run("incidents", "summary", write_csv(GOOD), "--json",
                         "--corridor", "dakar-kayes-bamako")
    assert code == 0, err
    result = json.loads(out)
    assert result["rows"] == 2
    assert result["by_year"] == {"2018": 1, "2019": 1}
    assert result["by_type"] == {"convoy_ambush": 1, "protest": 1}
    (corridor,) = result["corridors"]
    assert corridor["corridor"] == "dakar-kayes-bamako"
    assert corridor["rows"] == 1 and corridor["by_type"] == {"convoy_ambush": 1}  # Kayes only
    assert corridor["buffer_km"] > 0


def test_summary_buffer_and_text(run, write_csv):
    code, out, _ = run("incidents", "summary", write_csv(GOOD), "--corridor",
                       "dakar-kayes-bamako", "--buffer-km", "2000")
    assert code == 0
    assert "corridor dakar-kayes-bamako (within 2000 km of Dakar" in out
    assert out.count("rows: 2") == 2


def test_summary_errors(run, write_csv):
    code, _, err = run("incidents", "summary", write_csv(GOOD), "--corridor", "nowhere")
    assert code == 1 and "unknown corridor 'nowhere'" in err
    code, _, err = run("incidents", "summary", write_csv(GOOD), "--corridor",
                       "dakar-kayes-bamako", "--buffer-km", "-1")
    assert code == 2 and "--buffer-km" in err and ">= 0" in err
    for bad in ("x", "nan", "inf"):
        code, _, err = run("incidents", "summary", write_csv(GOOD), "--buffer-km", bad)
        assert code == 2 and "--buffer-km" in err


def test_summary_defaults(run):
    code, out, err = run("incidents", "summary", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["rows"] > 5000
    assert result["by_source"]["ACLED"] > 5000
    assert any(f.endswith("acled_mli_bfa_ner_1997_2019.csv") for f in result["files"])
