"""Segmentation: pieces of bounded length that add up to their parent edge."""

from __future__ import annotations

import math
from collections import defaultdict

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from routerisk.config import STUDY_BBOX
from routerisk.errors import SpecError
from routerisk.network.io import clip_graph
from routerisk.network.nodes import nearest_node, path_length_m
from routerisk.network.segments import geodesic_length_m, segmentize, split_polyline


def two_way_graph(coords, length_m, travel_time_s, *, twin=True):
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=coords[0][0], y=coords[0][1])
    G.add_node(2, x=coords[-1][0], y=coords[-1][1])
    G.add_edge(1, 2, length=length_m, travel_time=travel_time_s, highway="trunk", ref="N1",
               geometry=LineString(coords))
    if twin:
        G.add_edge(2, 1, length=length_m, travel_time=travel_time_s, highway="trunk",
                   ref="N1", geometry=LineString(coords[::-1]))
    return G


def pieces_by_parent(H):
    groups = defaultdict(list)
    for u, v, k, d in H.edges(keys=True, data=True):
        groups[(d["parent_u"], d["parent_v"], d["parent_key"])].append((u, v, k, d))
    for members in groups.values():
        members.sort(key=lambda m: m[3]["piece"])
    return groups


def assert_chain_consistent(G, H, max_m):
    """Every parent's pieces: contiguous, continuous, within the limit, summing to it."""
    groups = pieces_by_parent(H)
    assert set(groups) == set(G.edges(keys=True))
    for (pu, pv, pk), members in groups.items():
        parent = G.edges[pu, pv, pk]
        assert [m[3]["piece"] for m in members] == list(range(len(members)))
        assert members[0][0] == pu and members[-1][1] == pv
        for a, b in zip(members[:-1], members[1:], strict=True):
            assert a[1] == b[0]  # the chain is joined at a shared node
            assert a[3]["geometry"].coords[-1] == b[3]["geometry"].coords[0]
        for u, v, _, d in members:
            assert d["length"] <= max_m + 1e-6
            c = d["geometry"].coords
            assert c[0] == (H.nodes[u]["x"], H.nodes[u]["y"])
            assert c[-1] == (H.nodes[v]["x"], H.nodes[v]["y"])
        assert math.isclose(sum(m[3]["length"] for m in members), parent["length"],
                            rel_tol=1e-9)
        assert math.isclose(sum(m[3]["travel_time"] for m in members),
                            parent["travel_time"], rel_tol=1e-9)
        offsets = [m[3]["offset_m"] for m in members]
        assert offsets[0] == 0.0
        for prev, cur, m in zip(offsets[:-1], offsets[1:], members[:-1], strict=True):
            assert math.isclose(cur - prev, m[3]["length"], rel_tol=1e-9)


def test_long_two_way_edge_is_cut_into_equal_pieces_sharing_nodes():
    coords = [(-8.0, 12.65), (-7.5, 12.9), (-6.27, 13.44)]  # Bamako .. Ségou, ~210 km
    G = two_way_graph(coords, 235_000.0, 10_300.0)
    H = segmentize(G, 10_000)
    n = math.ceil(235_000 / 10_000)
    assert H.number_of_edges() == 2 * n
    assert H.number_of_nodes() == 2 + (n - 1)  # both directions use the same cut nodes
    assert_chain_consistent(G, H, 10_000)
    # both directions route over the same pieces: path forward = path backward reversed
    fwd = nx.shortest_path(H, 1, 2, weight="length")
    back = nx.shortest_path(H, 2, 1, weight="length")
    assert fwd == back[::-1] and len(fwd) == n + 1
    # the pieces lie on the parent line and cut it into equal geodesic lengths
    parent_line = LineString(coords)
    geo = [geodesic_length_m(d["geometry"]) for _, _, d in H.edges(data=True)
           if d["parent_u"] == 1]
    assert max(geo) / min(geo) == pytest.approx(1.0, abs=1e-4)
    assert sum(geo) == pytest.approx(geodesic_length_m(parent_line), rel=1e-5)
    for _, _, d in H.edges(data=True):
        assert parent_line.distance(d["geometry"]) < 1e-9
        assert d["geometry"].hausdorff_distance(parent_line.intersection(
            d["geometry"].buffer(1e-9))) < 1e-6
    # attributes other than the additive ones are kept
    assert {d["ref"] for _, _, d in H.edges(data=True)} == {"N1"}


def test_short_edge_is_one_piece_referring_to_itself():
    G = two_way_graph([(-8.0, 12.65), (-7.95, 12.66)], 5_600.0, 300.0)
    H = segmentize(G, 10_000)
    assert sorted(H.edges(keys=True)) == sorted(G.edges(keys=True))
    d = H.edges[1, 2, 0]
    assert (d["parent_u"], d["parent_v"], d["parent_key"], d["piece"], d["offset_m"]) == \
        (1, 2, 0, 0, 0.0)
    assert d["length"] == 5_600.0


def test_one_way_edge_and_different_reverse_geometry_are_cut_separately():
    G = two_way_graph([(-8.0, 12.65), (-7.8, 12.7)], 25_000.0, 1_000.0, twin=False)
    # the way back follows another line (e.g. a one-way pair): no node sharing
    G.add_edge(2, 1, length=26_000.0, travel_time=1_100.0,
               geometry=LineString([(-7.8, 12.7), (-7.9, 12.6), (-8.0, 12.65)]))
    H = segmentize(G, 10_000)
    assert_chain_consistent(G, H, 10_000)
    assert H.number_of_edges() == 3 + 3
    assert H.number_of_nodes() == 2 + 2 + 2


def test_limit_is_checked():
    G = two_way_graph([(-8.0, 12.65), (-7.8, 12.7)], 25_000.0, 1_000.0)
    for bad in (0, -5, float("nan")):
        with pytest.raises(SpecError, match="max_length_m"):
            segmentize(G, bad)
    G.edges[1, 2, 0]["length"] = None
    with pytest.raises(SpecError, match=r"edge \(1, 2, 0\)"):
        segmentize(G, 10_000)


def test_resegmenting_keeps_the_original_parent():
    G = two_way_graph([(-8.0, 12.65), (-7.5, 12.9)], 60_000.0, 3_000.0)
    H = segmentize(segmentize(G, 20_000), 5_000)
    assert_chain_consistent(G, H, 5_000)
    assert H.number_of_edges() == 2 * 12


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.tuples(st.floats(-0.3, 0.3), st.floats(-0.3, 0.3)), min_size=1,
                   max_size=6),
    length_km=st.floats(0.5, 400.0),
    max_km=st.floats(1.0, 50.0),
)
def test_any_polyline_splits_into_bounded_continuous_pieces(steps, length_km, max_km):
    coords = [(-8.0, 12.0)]
    for dx, dy in steps:
        coords.append((coords[-1][0] + dx, coords[-1][1] + dy))
    if coords[0] == coords[-1]:
        coords[-1] = (coords[-1][0] + 0.01, coords[-1][1])
    G = two_way_graph(coords, length_km * 1000, length_km * 40)
    H = segmentize(G, max_km * 1000)
    assert_chain_consistent(G, H, max_km * 1000)
    n = math.ceil(length_km / max_km - 1e-12)
    assert H.number_of_edges() == 2 * n


def test_split_polyline_keeps_every_vertex_once():
    coords = np.array([(0.0, 0.0), (0.1, 0.0), (0.1, 0.1), (0.3, 0.1)])
    pieces = split_polyline(coords, 4)
    joined = np.vstack([pieces[0]] + [p[1:] for p in pieces[1:]])
    for vertex in coords:
        assert any(np.allclose(vertex, row) for row in joined)
    assert LineString(joined).equals(LineString(coords))


def test_trunk_pieces_add_up_to_their_parents(trunk_network, study_network):
    G = clip_graph(trunk_network, STUDY_BBOX)
    assert_chain_consistent(G, study_network, 10_000)
    assert study_network.graph["max_segment_m"] == 10_000


@pytest.mark.parametrize("a, b", [
    ((14.693, -17.448), (12.649, -8.000)),   # Dakar -> Bamako
    ((5.320, -4.016), (12.649, -8.000)),     # Abidjan -> Bamako
    ((12.649, -8.000), (13.442, -6.268)),    # Bamako -> Ségou
])
def test_segmented_fastest_route_equals_the_unsegmented_one(trunk_network, study_network,
                                                            a, b):
    G = clip_graph(trunk_network, STUDY_BBOX)
    p1 = nx.shortest_path(G, nearest_node(G, *a[::-1]), nearest_node(G, *b[::-1]),
                          weight="travel_time")
    p2 = nx.shortest_path(study_network, nearest_node(study_network, *a[::-1]),
                          nearest_node(study_network, *b[::-1]), weight="travel_time")
    assert path_length_m(study_network, p2) == pytest.approx(path_length_m(G, p1), rel=1e-9)
    assert path_length_m(study_network, p2, "travel_time") == pytest.approx(
        path_length_m(G, p1, "travel_time"), rel=1e-9)
    trunk_nodes = [n for n in p2 if n in G]
    assert trunk_nodes == p1
