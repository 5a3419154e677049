"""``routerisk exposure``, ``scenario`` and ``route`` run in-process (the fitted model is
cached for the session, see ``default_risk_model``)."""

from __future__ import annotations

import json

import pytest

from routerisk.cli import main


@pytest.fixture(autouse=True)
def _fitted_once(default_risk_model):
    """Fit the default model once for the session before any command runs."""


def run(capsys, *argv):
    code = main(["--quiet", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_exposure_json(capsys):
    code, out, err = run(capsys, "exposure", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [r["route"] for r in data["routes"]] == ["dakar", "abidjan", "conakry", "nouakchott"]
    assert 0 < data["expected_share_disrupted"] < 1
    assert data["horizon_days"] == 30 and data["as_of"] == "2025-09-15"
    assert "A1-sen-civ-equal" in data["assumptions"]
    assert data["segments"] and "label" in data["segments"][0]
    assert data["history"]["warning"].startswith("systematic history ends 2019-12-31")
    assert "routerisk: warning: systematic history ends 2019-12-31" in err


def test_exposure_text_with_share_override_and_criticality(capsys):
    code, out, err = run(capsys, "exposure", "--share", "dakar=0.6", "--criticality",
                         "--top", "5", "--horizon-days", "60")
    assert code == 0, err
    assert "risk over 60 days" in out
    assert "60.0 %" in out and "rescaled by" in out
    assert "Single points of failure:" in out and "Criticality" in out
    assert "[A1-sen-civ-equal]" in out  # abidjan still rests on it


def test_scenario_kayes_nioro(capsys):
    code, out, err = run(capsys, "scenario", "kayes-nioro-blockade-2025")
    assert code == 0, err
    assert "Share of fuel volume cut off:     0 %" in out
    assert "Share that must detour:           50.0 %" in out
    assert "dakar detours via:" in out and "Kita" in out
    assert "seeds/000" in out
    assert "rests on          ACLED 1997-01-06 … 2019-12-31" in out
    assert "! systematic history ends 2019-12-31" in out


def test_scenario_ban_json_and_composition(capsys):
    code, out, err = run(capsys, "scenario", "fuel-import-ban-2025", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["share_cut"] == 1.0 and data["bans"] == ["CIV", "GIN", "MRT", "SEN"]
    code, out, err = run(capsys, "scenario", "--blockade", "Kayes:30", "--ban", "Guinea",
                         "--close-road", "Zégoua..Sikasso", "--json")
    assert code == 0, err
    data = json.loads(out)
    status = {r["route"]: r["status"] for r in data["routes"]}
    assert status == {"dakar": "detour", "abidjan": "detour", "conakry": "banned",
                      "nouakchott": "unaffected"}
    assert data["closures"][0]["detail"].startswith("roads within 30 km (given)")


def test_scenario_list_needs_no_model(capsys):
    code, out, _ = run(capsys, "scenario", "--list")
    assert code == 0
    assert "kayes-nioro-blockade-2025" in out and "fuel-import-ban-2025" in out
    assert "RN1: Diboli – Kayes – Sandaré – Diéma" in out


def test_route_json(capsys):
    code, out, err = run(capsys, "route", "Dakar", "Bamako", "--alternatives", "2", "--json")
    assert code == 0, err
    data = json.loads(out)
    fast, safe = data["fastest"], data["safest"]
    assert 1200 < fast["length_km"] < 1350
    assert safe["mu"] <= fast["mu"] and safe["travel_time_h"] >= fast["travel_time_h"]
    assert data["tradeoff"][0]["travel_time_h"] == fast["travel_time_h"]
    assert fast["towns"][0] == "Dakar" and fast["towns"][-1] == "Bamako"
    code, out, err = run(capsys, "route", "14.69,-17.44", "Bamako", "--risk-aversion", "0")
    assert code == 0, err
    assert "fastest" in out and "Time–risk trade-off" in out
    assert "rests on" in out and "lower bounds" in out
    assert data["history"]["coverage"][0]["source"] == "ACLED"


@pytest.mark.parametrize(("argv", "needle"), [
    (["scenario", "--blockade", "Kayess"], "did you mean: Kayes"),
    (["scenario"], "no closure given"),
    (["scenario", "--close-road", "RN99"], "unknown road 'RN99'"),
    (["scenario", "no-such-preset"], "unknown scenario preset"),
    (["scenario", "--ban", "Atlantis"], "unknown country 'Atlantis'"),
    (["exposure", "--share", "dakar=2"], "between 0 and 1"),
    (["exposure", "--share", "lome=0.2"], "unknown import route 'lome'"),
    (["route", "Atlantisville", "Bamako"], "unknown place 'Atlantisville'"),
    (["route", "Bamako", "Bamako"], "same road node"),
])
def test_bad_input_is_one_line_exit_1(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert needle in err and "Traceback" not in err
    assert err.startswith("routerisk: error:")


@pytest.mark.parametrize("argv", [
    ["exposure", "--horizon-days", "-3"], ["exposure", "--as-of", "2025-13-01"],
    ["route", "Dakar"], ["route", "Dakar", "Bamako", "--alternatives", "x"],
])
def test_bad_arguments_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err
