"""The default trunk network and the study network: found, typed, clipped, memoised."""

from __future__ import annotations

import math

import networkx as nx
import pytest
from shapely.geometry import LineString

from routerisk import config as _paths
from routerisk.config import STUDY_BBOX
from routerisk.errors import DataNotFoundError, SpecError
from routerisk.geo.sphere import great_circle_km
from routerisk.network.io import (
    clip_graph,
    load_graph,
    load_network,
    load_study_network,
    save_graph,
)
from routerisk.network.nodes import nearest_node


def test_trunk_network_loads_with_typed_attributes(trunk_network):
    G = trunk_network
    assert G.number_of_nodes() == 1380 and G.number_of_edges() == 4688
    assert G.graph["crs"] == "epsg:4326"
    assert all(isinstance(n, int) for n in G.nodes)
    for u, v, _, d in list(G.edges(keys=True, data=True))[:500]:
        assert isinstance(d["length"], float) and d["length"] > 0
        assert isinstance(d["travel_time"], float) and d["travel_time"] > 0
        assert isinstance(d["edge_id"], int)
        assert isinstance(d["geometry"], LineString)
        # geometry runs u -> v
        start, end = d["geometry"].coords[0], d["geometry"].coords[-1]
        assert math.dist(start, (G.nodes[u]["x"], G.nodes[u]["y"])) < 1e-4
        assert math.dist(end, (G.nodes[v]["x"], G.nodes[v]["y"])) < 1e-4


def test_load_network_returns_independent_copies(trunk_network):
    a = load_network()
    u, v, k = next(iter(a.edges(keys=True)))
    a.edges[u, v, k]["length"] = -1.0
    a.remove_node(u)
    b = load_network()
    assert b.edges[u, v, k]["length"] == trunk_network.edges[u, v, k]["length"] > 0


def test_missing_network_gives_one_clear_error(tmp_path, monkeypatch):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        load_network(tmp_path / "nope.graphml")
    monkeypatch.setattr(_paths, "_candidates", lambda: [("$ROUTERISK_DATA", tmp_path)])
    with pytest.raises(DataNotFoundError) as err:
        load_network()
    message = str(err.value)
    assert str(tmp_path) in message and "--network" in message and "ROUTERISK_DATA" in message
    assert "\n" not in message


def test_env_var_points_at_the_data(tmp_path, monkeypatch, trunk_network):
    small = clip_graph(trunk_network, (-8.5, 12.0, -7.5, 13.0))
    (tmp_path / "osm").mkdir()
    save_graph(small, tmp_path / _paths.NETWORK_FILE)
    monkeypatch.setenv(_paths.DATA_ENV, str(tmp_path))
    G = load_network()
    assert G.number_of_nodes() == small.number_of_nodes()
    assert G.number_of_edges() == small.number_of_edges()


def test_not_a_graph_is_a_spec_error(tmp_path):
    bad = tmp_path / "bad.graphml"
    bad.write_text("this is not xml")
    with pytest.raises(SpecError, match="bad.graphml"):
        load_graph(bad)


def test_nearest_node_finds_the_city():
    G = load_network()
    for lat, lon, city in [(12.6493, -8.0003, "Bamako"), (14.6934, -17.4479, "Dakar"),
                           (5.3204, -4.0161, "Abidjan"), (13.4415, -6.2681, "Segou")]:
        node, dist = nearest_node(G, lon, lat, return_dist=True)
        assert G.nodes[node]["city"] == city
        assert dist < 3_000
    with pytest.raises(SpecError, match="lat"):
        nearest_node(G, 0.0, 123.0)


def test_great_circle_matches_a_known_distance():
    # Dakar -> Bamako, about 1,050 km as the crow flies
    assert great_circle_km(14.6934, -17.4479, 12.6493, -8.0003) == pytest.approx(
        1050, abs=10)


def test_study_network_is_clipped_and_segmented(study_network, trunk_network):
    west, south, east, north = STUDY_BBOX
    originals = [n for n in study_network if n in trunk_network]
    assert originals
    for n in originals:
        d = study_network.nodes[n]
        assert west <= d["x"] <= east and south <= d["y"] <= north
    assert max(d["length"] for _, _, d in study_network.edges(data=True)) <= 10_000
    assert study_network.graph["crs"] == "epsg:4326"
    # Bamako, Dakar, Abidjan are all connected in the study network
    ids = [nearest_node(study_network, lon, lat) for lat, lon in
           [(12.6493, -8.0003), (14.6934, -17.4479), (5.3204, -4.0161)]]
    assert nx.has_path(study_network, ids[1], ids[0])
    assert nx.has_path(study_network, ids[2], ids[0])


def test_study_network_is_memoised_but_each_call_is_a_copy(study_network):
    a = load_study_network()
    u, v, k = next(iter(a.edges(keys=True)))
    a.edges[u, v, k]["p_disrupt"] = 0.5
    b = load_study_network()
    assert "p_disrupt" not in b.edges[u, v, k]
    assert b.number_of_edges() == study_network.number_of_edges()


def test_study_network_options_are_checked():
    with pytest.raises(SpecError, match="bbox"):
        load_study_network(bbox=(4.3, 5.0, -17.6, 25.0))
    with pytest.raises(SpecError, match="max_segment_m"):
        load_study_network(max_segment_m=0)


def test_graphml_round_trip_keeps_types(tmp_path, study_network):
    sub = study_network.subgraph(list(study_network.nodes)[:400]).copy()
    path = save_graph(sub, tmp_path / "sub.graphml")
    back = load_graph(path)
    assert sorted(back.edges(keys=True)) == sorted(sub.edges(keys=True))
    for u, v, k, d in sub.edges(keys=True, data=True):
        e = back.edges[u, v, k]
        for attr in ("length", "travel_time", "offset_m"):
            assert isinstance(e[attr], float) and e[attr] == pytest.approx(d[attr])
        for attr in ("parent_u", "parent_v", "parent_key", "piece"):
            assert isinstance(e[attr], int) and e[attr] == d[attr]
        assert e["geometry"].equals_exact(d["geometry"], 1e-9)
    assert back.graph["max_segment_m"] == 10_000.0
