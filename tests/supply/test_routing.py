"""Risk-aware routing on hand-built graphs where the answer is known."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from routerisk.errors import NodeNotFoundError, NoRouteError, SpecError
from routerisk.network.nodes import path_edges
from routerisk.supply.cost import CostModel
from routerisk.supply.paths import (
    check_risk_graph,
    fastest_weight,
    overlap_fraction,
    path_metrics,
    shortest_path,
    time_risk_weight,
)
from routerisk.supply.places import edges_near
from routerisk.supply.routing import alternative_routes, route_between_nodes, tradeoff_routes

# Four roads from O to D through X (fast, dangerous), Z (middle), W (dominated), Y (safe).
NODES = {"O": (-8.0, 12.0), "X": (-7.5, 12.5), "Z": (-7.5, 12.0), "W": (-7.5, 11.7),
         "Y": (-7.5, 11.5), "D": (-7.0, 12.0), "island": (-6.0, 13.0)}
EDGES = [("O", "X", 100, 1.0, 0.5), ("X", "D", 100, 1.0, 0.5),
         ("O", "Z", 125, 1.25, 0.15), ("Z", "D", 125, 1.25, 0.15),
         ("O", "W", 140, 1.4, 0.25), ("W", "D", 140, 1.4, 0.25),
         ("O", "Y", 150, 1.5, 0.05), ("Y", "D", 150, 1.5, 0.05)]


@pytest.fixture
def four_roads(make_graph):
    return make_graph(NODES, EDGES)


#: No tanker speed cap (the hand-built roads run at 100 km/h): cost hours = travel hours.
FREE_FLOW = CostModel(default_speed_kph=200)


def via(nodes):
    return nodes[1]


def test_fastest_and_safest_differ(four_roads):
    G = four_roads
    fast = shortest_path(G, "O", "D", weight=fastest_weight())
    safe = shortest_path(G, "O", "D", weight=lambda d: d["mu"])
    assert via(fast) == "X" and via(safe) == "Y"
    m = path_metrics(G, fast, towns=False)
    assert m.length_km == pytest.approx(200)
    assert m.travel_time_h == pytest.approx(2.0)
    assert m.mu == pytest.approx(1.0)
    assert m.p_disrupt == pytest.approx(1 - math.exp(-1.0))


def test_tradeoff_finds_exactly_the_supported_routes(four_roads):
    trade = tradeoff_routes(four_roads, "O", "D", cost=FREE_FLOW)
    assert [via(e) for e, _ in trade] == ["X", "Z", "Y"]  # W is dominated by Z
    ranges = [r for _, r in trade]
    # breakpoints: (2.5 - 2) / (1.0 - 0.3) and (3 - 2.5) / (0.3 - 0.1)
    assert ranges[0] == pytest.approx((0.0, 0.5 / 0.7))
    assert ranges[1] == pytest.approx((0.5 / 0.7, 2.5))
    assert ranges[2][0] == pytest.approx(2.5) and math.isinf(ranges[2][1])


@pytest.mark.parametrize(("alpha", "expected"), [(0.0, "X"), (1.0, "Z"), (10.0, "Y")])
def test_risk_aversion_picks_the_route(four_roads, alpha, expected):
    res = route_between_nodes(four_roads, "O", "D", risk_aversion=alpha, alternatives=0,
                              gazetteer=_no_gazetteer(), cost=FREE_FLOW)
    assert via(res.recommended.metrics.nodes) == expected
    assert via(res.fastest.metrics.nodes) == "X"
    assert via(res.safest.metrics.nodes) == "Y"
    assert res.horizon_days == 30


def test_alternatives_are_distinct_and_exclude_the_best(four_roads):
    res = route_between_nodes(four_roads, "O", "D", risk_aversion=1.0, alternatives=3,
                              gazetteer=_no_gazetteer(), cost=FREE_FLOW)
    vias = [via(a.metrics.nodes) for a in res.alternatives]
    assert len(vias) == 3 and "Z" not in vias and len(set(vias)) == 3
    assert res.to_dict()["alternatives"][0]["kind"] == "alternative"


def test_closed_edges_are_avoided(four_roads):
    closed = {("O", "X", 0), ("X", "O", 0)}
    fast = shortest_path(four_roads, "O", "D", weight=fastest_weight(), closed=closed)
    assert via(fast) == "Z"


def test_unreachable_and_unknown_nodes(four_roads):
    with pytest.raises(NoRouteError):
        shortest_path(four_roads, "O", "island", weight=fastest_weight())
    with pytest.raises(NodeNotFoundError):
        shortest_path(four_roads, "O", "nowhere", weight=fastest_weight())
    with pytest.raises(SpecError):
        time_risk_weight(-1.0)


def test_graph_without_risk_is_refused(make_graph):
    G = make_graph({"a": (0, 0), "b": (0.1, 0)}, [("a", "b", 10, 0.1, 0.0)])
    for _, _, d in G.edges(data=True):
        del d["mu"]
    with pytest.raises(SpecError, match="segment_risk"):
        check_risk_graph(G)


def ladder(make_graph, n=8):
    """Two parallel rails joined by rungs at every station: Yen-style near-duplicates
    abound; the penalty method must find the other rail."""
    nodes = {f"A{i}": (-8 + 0.2 * i, 12.0) for i in range(n)}
    nodes |= {f"B{i}": (-8 + 0.2 * i, 11.8) for i in range(n)}
    edges = []
    for i in range(n - 1):
        edges.append((f"A{i}", f"A{i + 1}", 22, 0.30, 0.02))
        edges.append((f"B{i}", f"B{i + 1}", 22, 0.33, 0.02))
    for i in range(n):
        edges.append((f"A{i}", f"B{i}", 22, 0.30, 0.02))
    return make_graph(nodes, edges)


def test_penalty_alternatives_are_not_near_duplicates(make_graph):
    G = ladder(make_graph)
    w = time_risk_weight(1.0)
    best = shortest_path(G, "A0", "A7", weight=w)
    alts = alternative_routes(G, "A0", "A7", weight=w, k=2, first=best)
    assert alts, "the other rail is a genuine alternative"
    best_edges = path_edges(G, best, w)
    for a in alts:
        assert overlap_fraction(G, path_edges(G, a, w), best_edges) <= 0.7
    # Yen's second path differs from the best by a single detour via one rung pair
    yen = nx.shortest_simple_paths(nx.DiGraph(G), "A0", "A7", weight="travel_time")
    next(yen)
    second = next(yen)
    second_edges = [(u, v, 0) for u, v in zip(second[:-1], second[1:], strict=True)]
    assert overlap_fraction(G, second_edges, best_edges) > 0.7


def test_edges_near_a_point(four_roads):
    near = edges_near(four_roads, 12.0, -8.0, 5.0)  # at O: the eight edges touching O
    assert {e for e in near} == {e for e in four_roads.edges(keys=True) if "O" in e[:2]}
    assert edges_near(four_roads, 20.0, 0.0, 5.0) == []


def _no_gazetteer():
    import pandas as pd

    return pd.DataFrame(columns=["country_iso3", "osm_node_id", "lat", "lon", "name",
                                 "name_en", "place", "population"])
