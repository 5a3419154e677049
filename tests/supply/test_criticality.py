"""Criticality: bridges are single points of failure; detours of known length; pieces of
one parent edge count as one link; same answers as a full recomputation."""

from __future__ import annotations

import pytest

from routerisk.network.segments import segmentize
from routerisk.supply.criticality import criticality, criticality_full_recompute
from routerisk.supply.fuel_routes import load_routes, routes_from_dict


def spec(share_a=0.7):
    return routes_from_dict({
        "destination": {"name": "D", "country": "MLI", "lat": 12.0, "lon": -7.0},
        "routes": [
            {"name": "a", "origin": {"name": "A", "country": "SEN", "lat": 12.0, "lon": -9.0},
             "share": share_a},
            {"name": "c", "origin": {"name": "C", "country": "CIV", "lat": 11.0, "lon": -8.5},
             "share": round(1 - share_a, 10)}]})


def bridge_graph(make_graph):
    """A–B–M is a loop (two ways to M); M–D is a bridge; C joins at B."""
    nodes = {"A": (-9.0, 12.0), "B": (-8.5, 12.0), "X": (-8.5, 12.4), "M": (-8.0, 12.0),
             "D": (-7.0, 12.0), "C": (-8.5, 11.0)}
    edges = [("A", "B", 50, 1.0, 0.1), ("B", "M", 50, 1.0, 0.1),
             ("B", "X", 50, 1.5, 0.0), ("X", "M", 50, 1.5, 0.0),
             ("M", "D", 100, 2.0, 0.2), ("C", "B", 100, 2.0, 0.1)]
    return make_graph(nodes, edges)


def by_label(crit):
    return {tuple(sorted(lk[:2])): row for lk, row in zip(crit.links["link"],
                                                          crit.links.to_dict("records"),
                                                          strict=True)}


def test_bridge_is_a_single_point_of_failure(make_graph, gazetteer):
    G = bridge_graph(make_graph)
    crit = criticality(G, spec(), gazetteer=gazetteer.iloc[:0])
    rows = by_label(crit)
    bridge = rows[("D", "M")]
    assert bridge["spof"] and bridge["share_lost"] == pytest.approx(1.0)
    assert bridge["lost_routes"] == "a, c" and bridge["at_route_end"]
    loop = rows[("B", "M")]  # detour B–X–M: 3 h instead of 1 h for both routes
    assert not loop["spof"] and loop["share_detour"] == pytest.approx(1.0)
    assert loop["extra_hours_weighted"] == pytest.approx(2.0)
    assert loop["max_extra_h"] == pytest.approx(2.0)
    assert loop["extra_km_weighted"] == pytest.approx(50.0)
    spur = rows[("A", "B")]  # only route a uses it, and it is its only way out
    assert spur["share_lost"] == pytest.approx(0.7) and spur["routes"] == "a"
    assert crit.links.iloc[0]["share_lost"] == pytest.approx(1.0)  # most critical first
    # only the routes using a link were rerouted
    assert crit.n_reroutes == sum(len(r.split(", ")) for r in crit.links["routes"])
    assert set(crit.single_points_of_failure["link"]) == {
        lk for lk, s in zip(crit.links["link"], crit.links["spof"], strict=True) if s}


def test_pieces_of_one_edge_are_one_link(make_graph, gazetteer):
    G = segmentize(bridge_graph(make_graph), max_length_m=20_000)
    assert G.number_of_edges() > 12
    crit = criticality(G, spec(), gazetteer=gazetteer.iloc[:0])
    assert len(crit.links) == 4  # A–B, B–M, M–D, C–B: links, not pieces
    rows = by_label(crit)
    assert rows[("D", "M")]["spof"]
    assert rows[("D", "M")]["length_km"] == pytest.approx(100)
    assert rows[("B", "M")]["extra_hours_weighted"] == pytest.approx(2.0)


def test_same_answer_as_full_recomputation(risk_study_network, gazetteer):
    spec_real = load_routes()
    crit = criticality(risk_study_network, spec_real, gazetteer=gazetteer)
    links = list(crit.links["link"])
    full = criticality_full_recompute(risk_study_network, spec_real, links=links,
                                      gazetteer=gazetteer)
    merged = crit.links.merge(full, on="link", suffixes=("", "_full"))
    assert len(merged) == len(links)
    assert (merged["share_lost"] - merged["share_lost_full"]).abs().max() < 1e-12
    assert (merged["extra_hours_weighted"]
            - merged["extra_hours_weighted_full"]).abs().max() < 1e-9
    # what an analyst checks: the Abidjan corridor has detours everywhere (no bridge
    # between Abidjan and Bamako), and the only single points of failure are port access
    # roads
    spof = crit.single_points_of_failure
    assert spof["at_route_end"].all()
    abj = crit.links[crit.links["routes"] == "abidjan"]
    assert (abj["share_lost"] == 0).all() and (abj["share_detour"] > 0).any()
