"""Property-based tests of the risk algebra (hypothesis) and segment/route risk."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import _grid_graph, _synthetic_incidents
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routerisk.errors import NodeNotFoundError, NoRouteError, RouteRiskError, SpecError
from routerisk.incidents.schema import EventType, Incident, incidents_to_frame
from routerisk.model.hazard import HazardModel
from routerisk.model.risk import route_risk, segment_risk

G4 = _grid_graph(n=4)
ROUTES = [[0, 1, 2, 3, 7, 11, 15], [0, 4, 8, 12], [5, 6, 10, 14, 13], [3, 2]]

incident_st = st.builds(
    dict,
    lon=st.floats(-8.1, -7.6), lat=st.floats(11.9, 12.4),
    day=st.integers(0, 5 * 365),
    event_type=st.sampled_from([e.value for e in EventType]),
    fatalities=st.integers(0, 30),
    precision=st.sampled_from([2.0, 25.0, 75.0]),
)


def frame(rows, prefix="i"):
    base = pd.Timestamp("2012-01-01")
    return incidents_to_frame([
        Incident(incident_id=f"{prefix}{k}", date=(base + pd.Timedelta(days=r["day"])).date(),
                 latitude=r["lat"], longitude=r["lon"], event_type=r["event_type"],
                 fatalities=r["fatalities"], location_precision_km=r["precision"],
                 source="hypothesis")
        for k, r in enumerate(rows)])


FAST = dict(max_examples=25, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@settings(**FAST)
@given(rows=st.lists(incident_st, min_size=1, max_size=40),
       horizon=st.floats(1, 3650), route=st.sampled_from(ROUTES))
def test_probabilities_in_unit_interval_and_route_at_least_worst_segment(rows, horizon, route):
    G = G4.copy()
    m = HazardModel(tune=False, n_origins=2, min_window_incidents=1).fit(
        frame(rows), as_of="2017-01-01", G=G)
    seg = segment_risk(G, m, horizon_days=horizon)
    assert ((seg["p_disrupt"] >= 0) & (seg["p_disrupt"] <= 1)).all()
    assert (seg["mu"] >= 0).all()
    r = route_risk(G, route, model=m, horizon_days=horizon, n_boot=20)
    assert 0 <= r.p_disrupt <= 1
    assert r.p_disrupt >= r.segments["p_disrupt"].max() - 1e-12
    # algebra: 1 - exp(-sum mu) == 1 - prod(1 - p_e)
    assert r.p_disrupt == pytest.approx(1 - np.prod(1 - r.segments["p_disrupt"]), abs=1e-12)
    lo, hi = r.p_interval
    assert 0 <= lo <= hi <= 1


@settings(**FAST)
@given(rows=st.lists(incident_st, min_size=2, max_size=40), seed=st.integers(0, 2**32 - 1))
def test_incident_order_does_not_change_results(rows, seed):
    df = frame(rows)
    perm = df.iloc[np.random.default_rng(seed).permutation(len(df))].reset_index(drop=True)
    kw = dict(bandwidth_grid_km=(5, 20), half_life_grid_days=(180, 730), n_origins=2,
              min_window_incidents=1)
    a = HazardModel(**kw).fit(df, as_of="2017-01-01", G=G4)
    b = HazardModel(**kw).fit(perm, as_of="2017-01-01", G=G4)
    assert (a.bandwidth_km_, a.half_life_days_) == (b.bandwidth_km_, b.half_life_days_)
    np.testing.assert_allclose(a.predict_rate(G4), b.predict_rate(G4), rtol=1e-9, atol=1e-15)


@settings(**FAST)
@given(rows=st.lists(incident_st, min_size=0, max_size=30),
       more=st.lists(incident_st, min_size=1, max_size=20),
       bandwidth=st.sampled_from([2.0, 5.0, 20.0]), half_life=st.sampled_from([30.0, 365.0]))
def test_more_incidents_never_lower_the_raw_hazard(rows, more, bandwidth, half_life):
    kw = dict(tune=False, bandwidth_km=bandwidth, half_life_days=half_life)
    base = frame(rows) if rows else frame(more[:1], prefix="z").iloc[:0]
    bigger = pd.concat([base, frame(more, prefix="m")], ignore_index=True)
    a = HazardModel(**kw).fit(base, as_of="2017-06-01", G=G4).raw_hazard(G4)
    b = HazardModel(**kw).fit(bigger, as_of="2017-06-01", G=G4).raw_hazard(G4)
    assert (b.to_numpy() >= a.to_numpy() * (1 - 1e-5) - 1e-12).all()   # float32 blocks


# --- segment_risk / route_risk behaviour ----------------------------------------------------

@pytest.fixture(scope="module")
def fitted():
    G = _grid_graph(n=6)
    m = HazardModel(bandwidth_grid_km=(5, 10)).fit(_synthetic_incidents(), as_of="2017-06-01",
                                                   G=G)
    return G, m


def test_segment_risk_frame_and_edge_attributes(fitted):
    G0, m = fitted
    G = G0.copy()
    seg = segment_risk(G, m, horizon_days=30)
    assert seg.index.names == ["u", "v", "key"]
    assert list(seg.columns) == ["length_m", "rate_per_km_yr", "mu", "p_disrupt"]
    assert len(seg) == G.number_of_edges()
    assert G.graph["risk_horizon_days"] == 30
    u, v, k = seg.index[7]
    assert G.edges[u, v, k]["p_disrupt"] == seg.iloc[7]["p_disrupt"]
    row = seg.iloc[7]
    assert row["mu"] == pytest.approx(row["rate_per_km_yr"] * row["length_m"] / 1000
                                      * 30 / 365.25)
    assert row["p_disrupt"] == pytest.approx(1 - math.exp(-row["mu"]))
    # mu scales linearly with the horizon
    seg90 = segment_risk(G, m, horizon_days=90, write=False)
    np.testing.assert_allclose(seg90["mu"], 3 * seg["mu"])
    assert G.graph["risk_horizon_days"] == 30


def test_route_risk_from_edges_matches_model_and_orders_segments(fitted):
    G0, m = fitted
    G = G0.copy()
    segment_risk(G, m, horizon_days=30)
    path = [0, 1, 2, 3, 9, 15]
    from_edges = route_risk(G, path)
    with_model = route_risk(G, path, model=m, horizon_days=30, n_boot=50)
    assert from_edges.mu == pytest.approx(with_model.mu)
    assert math.isnan(from_edges.p_interval[0])
    assert with_model.p_interval[0] <= with_model.p_disrupt <= with_model.p_interval[1]
    top = with_model.top_segments
    assert top["mu"].is_monotonic_decreasing
    assert top["share"].sum() == pytest.approx(1.0)        # 5 edges < 10: all listed
    assert with_model.segments["km_from_start"].iloc[0] == 0
    assert with_model.length_km == pytest.approx(with_model.segments["length_km"].sum())
    # deterministic bootstrap
    again = route_risk(G, path, model=m, horizon_days=30, n_boot=50)
    assert again.p_interval == with_model.p_interval


def test_route_risk_errors(fitted):
    G0, m = fitted
    G = G0.copy()
    with pytest.raises(RouteRiskError, match="segment_risk"):
        route_risk(G, [0, 1, 2])
    with pytest.raises(NodeNotFoundError):
        route_risk(G, [0, 999], model=m)
    with pytest.raises(NoRouteError):
        route_risk(G, [0, 2], model=m)
    with pytest.raises(SpecError):
        route_risk(G, [0], model=m)
    with pytest.raises(SpecError, match="horizon_days"):
        segment_risk(G, m, horizon_days=0)
