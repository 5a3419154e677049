"""Properties of segment and route risk from the hazard model (synthetic grid data)."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import _grid_graph, _synthetic_incidents
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routerisk.errors import NodeNotFoundError, NoRouteError, RouteRiskError, SpecError
from routerisk.model.hazard import HazardModel
from routerisk.model.risk import route_risk, segment_risk

KW = dict(horizon_days=90, n_origins=6, origin_step_days=90, n_routes=30)


@pytest.fixture(scope="module")
def fitted():
    G = _grid_graph(n=6)
    m = HazardModel(**KW).fit(_synthetic_incidents(n=600), as_of="2017-06-01", G=G)
    return G, m


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_incident_order_does_not_change_results(seed):
    G = _grid_graph(n=4)
    df = _synthetic_incidents(n=300)
    perm = df.iloc[np.random.default_rng(seed).permutation(len(df))].reset_index(drop=True)
    a = HazardModel(**KW).fit(df, as_of="2017-01-01", G=G)
    b = HazardModel(**KW).fit(perm, as_of="2017-01-01", G=G)
    np.testing.assert_allclose(a.predict_proba(G), b.predict_proba(G), rtol=1e-9)


def test_segment_risk_is_a_new_frame_and_writes_only_when_asked(fitted):
    G0, m = fitted
    G = G0.copy()
    seg = segment_risk(G, m)
    assert seg.index.names == ["u", "v", "key"]
    assert list(seg.columns) == ["length_m", "rate_per_km_yr", "mu", "p_disrupt"]
    assert len(seg) == G.number_of_edges()
    assert "risk_horizon_days" not in G.graph
    assert not any("p_disrupt" in d for _, _, d in G.edges(data=True))
    assert ((seg["p_disrupt"] > 0) & (seg["p_disrupt"] < 1)).all()
    row = seg.iloc[7]
    assert row["p_disrupt"] == pytest.approx(1 - math.exp(-row["mu"]))
    assert row["mu"] == pytest.approx(row["rate_per_km_yr"] * row["length_m"] / 1000
                                      * 90 / 365.25)
    segment_risk(G, m, write=True)
    u, v, k = seg.index[7]
    assert G.edges[u, v, k]["p_disrupt"] == seg.iloc[7]["p_disrupt"]
    assert G.graph["risk_horizon_days"] == 90
    with pytest.raises(SpecError, match="fitted for 90 days"):
        segment_risk(G, m, horizon_days=30)


def test_route_risk_with_model_and_from_edges(fitted):
    G0, m = fitted
    G = G0.copy()
    path = [0, 1, 2, 3, 9, 15]
    with_model = route_risk(G, path, model=m, n_boot=40)
    assert 0 < with_model.p_disrupt < 1
    # independence formula kept for comparison
    assert with_model.p_independent == pytest.approx(
        1 - np.prod(1 - with_model.segments["p_disrupt"]))
    lo, hi = with_model.p_interval
    assert 0 <= lo <= hi <= 1
    top = with_model.top_segments
    assert top["mu"].is_monotonic_decreasing
    assert top["share"].sum() == pytest.approx(1.0)
    assert with_model.length_km == pytest.approx(with_model.segments["length_km"].sum())
    again = route_risk(G, path, model=m, n_boot=40)
    assert again.p_interval == with_model.p_interval           # seeded bootstrap
    segment_risk(G, m, write=True)
    from_edges = route_risk(G, path)
    assert from_edges.mu == pytest.approx(with_model.mu)
    assert math.isnan(from_edges.p_interval[0])


def test_route_risk_uses_the_parallel_edge_as_routed():
    # two parallel edges a -> b: a short slow track and a long fast road
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node("a", x=-7.9, y=12.2)
    G.add_node("b", x=-7.7, y=12.2)
    G.add_node("c", x=-7.5, y=12.2)
    track = shapely.LineString([(-7.9, 12.2), (-7.7, 12.2)])
    road = shapely.LineString([(-7.9, 12.2), (-7.8, 12.4), (-7.7, 12.2)])
    for u, v, k, geom, length, tt in (("a", "b", 0, track, 22_000.0, 3600.0),
                                      ("a", "b", 1, road, 50_000.0, 1800.0),
                                      ("b", "c", 0, shapely.LineString([(-7.7, 12.2),
                                                                         (-7.5, 12.2)]),
                                       22_000.0, 900.0)):
        G.add_edge(u, v, k, geometry=geom, length=length, travel_time=tt)
        G.add_edge(v, u, k, geometry=shapely.reverse(geom), length=length, travel_time=tt)
    m = HazardModel(**KW).fit(_synthetic_incidents(n=600), as_of="2017-06-01",
                              G=_grid_graph(n=6))
    r = route_risk(G, ["a", "b", "c"], model=m, n_boot=0)
    assert r.segments["key"].tolist() == [1, 0]
    assert r.length_km == pytest.approx(72.0)
    by_length = route_risk(G, ["a", "b", "c"], model=m, n_boot=0, weight="length")
    assert by_length.segments["key"].tolist() == [0, 0]


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
    with pytest.raises(SpecError, match="fitted for 90 days"):
        route_risk(G, [0, 1], model=m, horizon_days=30)


def test_more_recent_violence_raises_the_risk(fitted):
    G, m = fitted
    df = _synthetic_incidents(n=600)
    extra = _synthetic_incidents(n=40, seed=5, start="2016-06-01", years=1,
                                 share_hot=1.0, hotspot=(-7.6, 12.4))
    both = pd.concat([df, extra], ignore_index=True)
    a = HazardModel(**KW).fit(df, as_of="2017-06-01", G=G).predict_proba(G)
    b = HazardModel(**KW).fit(both, as_of="2017-06-01", G=G).predict_proba(G)
    assert b.max() > a.max()
