"""Tests of the backtest: labels, baselines, metrics, and the real ACLED time splits."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from routerisk.errors import SpecError
from routerisk.incidents.schema import Incident, incidents_to_frame
from routerisk.model.backtest import backtest, reliability_table, scores, violent_counts
from routerisk.model.hazard import HazardModel
from routerisk.model.lines import edge_lines

KM_LAT = 1 / 110.6      # degrees of latitude per km near 12 N


def road():
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(0, x=-8.0, y=12.0)
    G.add_node(1, x=-7.5, y=12.0)
    G.add_edge(0, 1, 0, geometry=shapely.LineString([(-8.0, 12.0), (-7.5, 12.0)]),
               length=55_000.0)
    return G


def inc(i, date, km_north, event_type="clash", lon=-7.7):
    return Incident(incident_id=str(i), date=date, latitude=12.0 + km_north * KM_LAT,
                    longitude=lon, event_type=event_type, source="t")


def test_labels_count_violent_incidents_within_radius_in_window():
    lines = edge_lines(road()).lines
    df = incidents_to_frame([
        inc(1, "2018-03-01", 9.0),                       # in
        inc(2, "2018-03-01", 11.0),                      # too far
        inc(3, "2018-03-01", 1.0, event_type="protest"),  # not violent
        inc(4, "2017-12-31", 1.0),                       # before the window
        inc(5, "2019-01-01", 1.0),                       # after the window
        inc(6, "2018-12-31", -3.0, event_type="ied"),    # in
        inc(7, "2018-06-01", 5.0, lon=-7.45),            # 5.5 km beyond the end, 7.4 km: in
    ])
    n = violent_counts(lines, df, pd.Timestamp("2018-01-01"), pd.Timestamp("2019-01-01"), 10.0)
    assert n.tolist() == [3.0]
    n5 = violent_counts(lines, df, pd.Timestamp("2018-01-01"), pd.Timestamp("2019-01-01"), 5.0)
    assert n5.tolist() == [1.0]


def test_scores_and_reliability_table():
    y = np.array([0, 0, 1, 1, 0, 1, 0, 0, 0, 1])
    p = np.array([.1, .2, .8, .7, .3, .9, .1, .2, .4, .6])
    s = scores(y, p, brier_ref=0.24)
    assert s["roc_auc"] == 1.0 and s["average_precision"] == 1.0
    assert s["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert s["brier_skill"] == pytest.approx(1 - s["brier"] / 0.24)
    table = reliability_table(y, p, n_bins=5)
    assert table["n"].tolist() == [2] * 5
    assert table["observed_frequency"].tolist() == [0, 0, 0, 1.0, 1.0]
    assert table["mean_predicted"].is_monotonic_increasing


def test_synthetic_backtest_beats_climatology_and_reports_everything(grid_graph,
                                                                     synthetic_incidents):
    G = grid_graph(n=6)
    df = synthetic_incidents(n=900, years=7, share_hot=0.6)
    as_of = pd.Timestamp("2017-01-01")
    r = backtest(df, df, as_of=as_of, horizon_days=365, G=G, n_routes=40,
                 model=HazardModel(horizon_days=365, n_origins=6, n_routes=20))
    d = json.loads(json.dumps(r.to_dict()))
    for key in ("model", "baselines", "reliability", "n_segments", "n_positive"):
        assert key in d
    assert set(d["baselines"]) == {"climatology", "persistence"}
    assert d["n_segments"] == G.number_of_edges() // 2             # two-way pieces once
    lines = edge_lines(G).lines
    und = edge_lines(G).undirected()
    direct = violent_counts(lines, df, as_of, as_of + pd.Timedelta(days=365), 10.0)[und] > 0
    assert d["n_positive"] == int(direct.sum())
    assert 0 < d["n_positive"] < d["n_segments"]
    assert len(d["reliability"]) == 10
    assert sum(row["n"] for row in d["reliability"]) == d["n_segments"]
    assert d["model"]["average_precision"] > d["baselines"]["climatology"]["average_precision"]
    assert d["model"]["roc_auc"] > 0.6
    assert d["baselines"]["climatology"]["brier_skill"] == 0.0
    assert d["routes"]["n_routes"] > 0


def test_test_incidents_before_as_of_and_train_after_as_of_are_ignored(grid_graph,
                                                                       synthetic_incidents):
    G = grid_graph(n=5)
    df = synthetic_incidents(n=500, years=6)
    as_of = pd.Timestamp("2016-06-01")
    kw = dict(as_of=as_of, horizon_days=180, G=G, n_routes=0)
    model = dict(horizon_days=180, n_origins=4, n_routes=0)
    base = backtest(df, df, model=HazardModel(**model), **kw).to_dict()
    train_plus = pd.concat([df, synthetic_incidents(n=200, seed=9, start="2016-06-01",
                                                    years=1)], ignore_index=True)
    test_past = pd.concat([df, synthetic_incidents(n=200, seed=8, start="2014-01-01",
                                                   years=2)], ignore_index=True)
    a = backtest(train_plus, df, model=HazardModel(**model), **kw).to_dict()
    b = backtest(df, test_past, model=HazardModel(**model), **kw).to_dict()
    assert a["model"] == base["model"] and a["baselines"] == base["baselines"]
    assert b["n_positive"] == base["n_positive"] and b["model"] == base["model"]


def test_bad_backtest_arguments(grid_graph, synthetic_incidents):
    df = synthetic_incidents(n=30)
    with pytest.raises(SpecError, match="horizon_days"):
        backtest(df, df, as_of="2016-01-01", horizon_days=0, G=grid_graph())
    with pytest.raises(SpecError, match="as_of"):
        backtest(df, df, as_of="soon", horizon_days=30, G=grid_graph())
    with pytest.raises(SpecError, match="radius_km"):
        backtest(df, df, as_of="2016-01-01", horizon_days=30, radius_km=-1, G=grid_graph())


# --- the real time splits on ACLED (the product's proof) -----------------------------------

@pytest.fixture(scope="session", params=["2018-01-01", "2019-01-01"])
def acled_backtest(request, acled_frame, study_network):
    return backtest(acled_frame, acled_frame, as_of=request.param, horizon_days=365,
                    G=study_network, n_routes=100).to_dict()


def test_model_beats_both_baselines_on_acled(acled_backtest):
    d = acled_backtest
    assert d["n_segments"] > 4000 and 100 < d["n_positive"] < d["n_segments"] / 4
    for name in ("climatology", "persistence"):
        base = d["baselines"][name]
        assert d["model"]["average_precision"] > base["average_precision"], name
        assert d["model"]["brier"] < base["brier"], name
    assert d["model"]["brier_skill"] > 0.2
    # calibration: the riskiest decile is observed far more often than the safest
    rel = d["reliability"]
    assert rel[-1]["observed_frequency"] > 0.3 > rel[0]["observed_frequency"]
