"""Tests of ``routerisk score`` and ``routerisk backtest`` (in-process, no network access)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from routerisk.cli import main
from routerisk.incidents.schema import INCIDENT_COLUMNS
from routerisk.network.io import save_graph


@pytest.fixture
def synthetic_files(tmp_path, grid_graph, synthetic_incidents):
    """A grid network GraphML and a routerisk CSV of synthetic incidents."""
    net = save_graph(grid_graph(n=6), tmp_path / "grid.graphml")
    df = synthetic_incidents(n=700, years=7)
    csv = tmp_path / "incidents.csv"
    df[list(INCIDENT_COLUMNS)].assign(date=df["date"].dt.date).to_csv(csv, index=False)
    return net, csv


def run(capsys, *argv):
    code = main(["-q", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_backtest_json_on_synthetic_files(capsys, synthetic_files):
    net, csv = synthetic_files
    code, out, err = run(capsys, "backtest", "--incidents", str(csv), "--test-incidents",
                         str(csv), "--as-of", "2017-01-01", "--horizon-days", "365",
                         "--network", str(net), "--radius-km", "8", "--routes", "20", "--json")
    assert code == 0, err
    d = json.loads(out)
    for key in ("model", "baselines", "reliability", "n_segments", "n_positive"):
        assert key in d
    assert d["radius_km"] == 8 and d["horizon_days"] == 365 and d["as_of"] == "2017-01-01"
    assert set(d["baselines"]) == {"climatology", "persistence"}
    assert {"roc_auc", "average_precision", "brier", "brier_skill"} <= set(d["model"])
    # --network is cut like every graph: 60 grid roads of ~11 km, two pieces each
    assert d["n_segments"] == 120 and 0 < d["n_positive"] < 120
    # a routerisk CSV is curated: no systematic history, said in JSON and on stderr
    h = d["history"]["training"]
    assert h["coverage"] == [] and h["warning"].startswith("no systematic history")
    assert h["warning"].endswith("probabilities are lower bounds")
    assert d["history"]["test"]["warning"].endswith("observed frequencies are lower bounds")
    assert "routerisk: warning: no systematic history" in err


def test_backtest_text_tables(capsys, synthetic_files):
    net, csv = synthetic_files
    code, out, _ = run(capsys, "backtest", "--incidents", str(csv), "--test-incidents",
                       str(csv), "--as-of", "2017-01-01", "--horizon-days", "180",
                       "--network", str(net), "--routes", "0")
    assert code == 0
    for word in ("ROC AUC", "avg prec", "Brier", "model", "climatology", "persistence",
                 "reliability", "decile"):
        assert word in out
    assert "routes (independence check)" not in out


def test_backtest_rolling_json_and_text(capsys, synthetic_files):
    net, csv = synthetic_files
    args = ["backtest", "--incidents", str(csv), "--test-incidents", str(csv), "--as-of",
            "2017-01-01", "--horizon-days", "90", "--network", str(net), "--rolling", "2",
            "--n-boot", "20"]
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    d = json.loads(out)
    assert {"model", "baselines", "differences", "near_violence"} <= set(d["pooled"])
    assert set(d["pooled"]["baselines"]) == {"climatology", "persistence"}
    assert [o["as_of"] for o in d["origins"]] == ["2017-01-01", "2017-04-01"]
    assert d["n_segment_windows"] == 2 * d["n_segments"] and "routes" in d
    code, out, err = run(capsys, *args)
    assert code == 0, err
    for word in ("pooled", "model - baseline", "vs persistence", "reliability",
                 "random-route-windows"):
        assert word in out


@pytest.mark.parametrize("argv, code, message", [
    (["--as-of", "2017-13-45"], 2, "not a date"),
    (["--horizon-days", "-3"], 2, "positive whole number"),
    (["--radius-km", "zero"], 2, "not a number of km"),
    (["--incidents", "/no/such/file.csv"], 1, "/no/such/file.csv"),
])
def test_backtest_bad_input_is_one_line_no_traceback(capsys, synthetic_files, argv, code,
                                                     message):
    net, csv = synthetic_files
    base = {"--incidents": str(csv), "--test-incidents": str(csv), "--as-of": "2017-01-01",
            "--horizon-days": "30", "--network": str(net)}
    base[argv[0]] = argv[1]
    args = [x for kv in base.items() for x in kv]
    if code == 2:
        with pytest.raises(SystemExit) as exc:
            main(["-q", "backtest", *args])
        assert exc.value.code == 2
        err = capsys.readouterr().err
    else:
        assert main(["-q", "backtest", *args]) == 1
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1
    assert message in err and "Traceback" not in err


def test_score_unknown_corridor_is_an_error(capsys):
    code, out, err = run(capsys, "score", "--corridor", "atlantis-express")
    assert code == 1 and out == ""
    assert err.startswith("routerisk: error:") and "atlantis-express" in err
    assert "Traceback" not in err


def test_score_default_data_json(capsys):
    code, out, err = run(capsys, "score", "--corridor", "dakar-kayes-bamako",
                         "--horizon-days", "30", "--n-boot", "50", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["corridor"] == "dakar-kayes-bamako" and d["horizon_days"] == 30
    assert 0 < d["p_disrupt"] < 1
    lo, hi = d["p_interval"]
    assert 0 <= lo <= d["p_disrupt"] <= hi <= 1
    assert len(d["top_segments"]) == 10
    mus = [s["mu"] for s in d["top_segments"]]
    assert mus == sorted(mus, reverse=True)
    assert all(s["from_place"] and s["to_place"] for s in d["top_segments"])
    assert 0 <= d["top_segments"][0]["km_from_start"] <= d["length_km"]
    # default as-of: the day after the latest incident (the catalogue runs to 2025)
    assert d["as_of"] > d["incidents"]["latest"] >= "2025-01-01"
    for key in ("horizon_days", "coef", "intercept", "train_origins", "route_calibration"):
        assert key in d["model"]
    # the history the probability rests on, and the warning past the ACLED file's end
    h = d["history"]
    assert h["coverage"][0]["source"] == "ACLED" and h["coverage"][0]["basis"] == "file"
    assert (h["coverage"][0]["start"], h["coverage"][0]["end"]) == ("1997-01-06", "2019-12-31")
    assert h["rests_on"].startswith("history: ACLED 1997-01-06 … 2019-12-31 + ")
    assert h["warning"].startswith("systematic history ends 2019-12-31; 2020-01-01 … ")
    assert h["warning"].endswith("curated reports: probabilities are lower bounds")
    assert h["gaps"][0]["curated_reports"] > 0
    assert f"routerisk: warning: {h['warning']}" in err
    assert d["model"]["horizon_days"] == 30
    # per-segment contributions add up to the segment's log-odds
    top = d["top_segments"][0]
    logit = sum(top["contributions"].values())
    assert 1 / (1 + math.exp(-logit)) == pytest.approx(top["p_disrupt"], rel=1e-6)


def test_score_warns_past_the_coverage_as_of_2025(capsys):
    code, out, err = run(capsys, "score", "--corridor", "dakar-kayes-bamako", "--as-of",
                         "2025-09-15", "--n-boot", "0")
    assert code == 0, err
    warning = [line for line in err.splitlines() if line.startswith("routerisk: warning:")]
    assert len(warning) == 1
    assert "systematic history ends 2019-12-31; 2020-01-01 … 2025-09-14 has only" in warning[0]
    rests = out.split("rests on", 1)[1].splitlines()
    assert "ACLED 1997-01-06 … 2019-12-31 + " in rests[0]
    assert "curated reports 2018–2025" in rests[0]  # 2013's reports merged with ACLED rows
    assert "! systematic history ends 2019-12-31" in rests[1]


def test_score_text_with_given_incidents_and_date(capsys):
    from routerisk.config import ACLED_FILE, shared_file

    code, out, err = run(capsys, "score", "--corridor", "bamako-segou", "--incidents",
                         str(shared_file(ACLED_FILE)), "--as-of", "2019-01-01",
                         "--horizon-days", "90", "--n-boot", "0")
    assert code == 0, err
    assert "as of             2019-01-01" in out
    assert "horizon           90 days" in out
    assert "riskiest segments" in out and "P(disrupted)" in out
    assert "interval" not in out.split("P(disrupted)")[1].splitlines()[0]
    # as of 2019-01-01 the ACLED file covers the whole fitting window: no warning
    assert "rests on          ACLED 1997-01-06 … 2018-12-31" in out
    assert "warning" not in err and "lower bounds" not in out
    # the route probability's calibration: 60 windows a month apart, the latest ending at
    # the as-of date, over random routes and the five corridors
    latest = pd.Timestamp("2019-01-01") - pd.Timedelta(days=90)
    oldest = latest - pd.Timedelta(days=59 * 30)
    line = next(x for x in out.splitlines() if x.startswith("route P learnt on"))
    assert line.endswith(f"route-windows (random routes and 5 corridors) starting "
                         f"{oldest.date()} .. {latest.date()}")
