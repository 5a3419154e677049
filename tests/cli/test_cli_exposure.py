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
    assert [r["route"] for r in data["routes"]][:3] == ["dakar", "dakar-south", "abidjan"]
    assert 0 < data["expected_share_disrupted"] < 1
    assert data["supply"]["arriving_m3_per_day"] == pytest.approx(2700)
    assert all("m3_per_day" in r and "cost_h" in r for r in data["routes"])
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
    assert "[A5-civ-two-roads]" in out  # abidjan still rests on it
    assert "[A1-sen-civ-equal]" not in out  # only dakar did, and it is overridden


def test_scenario_kayes_nioro(capsys):
    code, out, err = run(capsys, "scenario", "kayes-nioro-blockade-2025")
    assert code == 0, err
    assert "Cut off (no route: banned or no open road): 0 % of import volume" in out
    assert "Forced off its corridor (detour):           48.3 %" in out
    assert "dakar detours via:" in out and "Kita" in out
    assert "seeds/000" in out
    assert "rests on          ACLED 1997-01-06 … 2019-12-31" in out
    assert "! systematic history ends 2019-12-31" in out
    assert "Places cut off: Kayes" in out


def test_scenario_ban_json_and_composition(capsys):
    code, out, err = run(capsys, "scenario", "fuel-import-ban-2025", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["share_cut_off"] == pytest.approx(0.95 + 2 / 120)
    assert data["bans"] == ["CIV", "GIN", "MRT", "SEN"]
    code, out, err = run(capsys, "scenario", "--blockade", "Kayes:30", "--ban", "Guinea",
                         "--close-road", "Zégoua..Sikasso", "--json")
    assert code == 0, err
    data = json.loads(out)
    status = {r["route"]: r["status"] for r in data["routes"]}
    assert {k: status[k] for k in ("dakar", "abidjan", "conakry", "nouakchott")} == {
        "dakar": "detour", "abidjan": "detour", "conakry": "banned",
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
    # under the generalised cost the cheapest road is RN1 through the Kidira/Diboli transit
    # crossing, not the shorter southern road (a crossing off the transit corridors)
    assert 1300 < fast["length_km"] < 1450 and "Kayes" in fast["towns"]
    assert safe["mu"] <= fast["mu"] and safe["cost_h"] >= fast["cost_h"]
    assert data["tradeoff"][0]["cost_h"] == fast["cost_h"]
    assert fast["border_h"] > 40  # the Senegal–Mali border dwell of the network
    assert fast["towns"][0] == "Dakar" and fast["towns"][-1] == "Bamako"
    code, out, err = run(capsys, "route", "14.69,-17.44", "Bamako", "--risk-aversion", "0")
    assert code == 0, err
    assert "cheapest" in out and "Cost–risk trade-off" in out
    assert "rests on" in out and "lower bounds" in out
    assert data["history"]["coverage"][0]["source"] == "ACLED"


@pytest.mark.parametrize(("argv", "needle"), [
    (["scenario", "--blockade", "Kayess"], "did you mean: Kayes"),
    (["scenario"], "no closure given"),
    (["scenario", "--close-road", "RN99"], "unknown road 'RN99'"),
    (["scenario", "no-such-preset"], "unknown scenario preset"),
    (["scenario", "--ban", "Atlantis"], "unknown country 'Atlantis'"),
    (["exposure", "--share", "lagos=0.2"], "unknown import route 'lagos'"),
    (["route", "Atlantisville", "Bamako"], "unknown place 'Atlantisville'"),
    (["route", "Bamako", "Bamako"], "same road node"),
    (["route", "Dakar", "Bamako", "--cost", "/nonexistent/cost.toml"], "cost file not found"),
    (["scenario", "fuel-import-ban-2025", "--supply", "/nonexistent/s.toml"],
     "supply file not found"),
])
def test_bad_input_is_one_line_exit_1(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert needle in err and "Traceback" not in err
    assert err.startswith("routerisk: error:")


@pytest.mark.parametrize(("argv", "needle"), [
    (["exposure", "--share", "dakar=2"], "between 0 and 1"),
    (["scenario", "--blockade", "Kayes:-5"], "radius must be in (0, 500] km"),
])
def test_bad_option_values_found_by_the_library_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert needle in err and "Traceback" not in err
    assert err.startswith("routerisk: error:")


@pytest.mark.parametrize("argv", [
    ["exposure", "--horizon-days", "-3"], ["exposure", "--as-of", "2025-13-01"],
    ["route", "Dakar"], ["route", "Dakar", "Bamako", "--alternatives", "x"],
    ["scenario", "fuel-import-ban-2025", "--demand-m3-per-day", "-5"],
    ["exposure", "--stock-days", "x"],
])
def test_bad_arguments_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err
