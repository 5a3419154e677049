"""Real OpenStreetMap input: OSM XML, .osm.bz2 and .osm.pbf files through osmnx, and the cache."""

from __future__ import annotations

import bz2
import logging
import os

import networkx as nx
import osmium
import pytest
from conftest import OSM_FIXTURE_NODES, OSM_FIXTURE_WAYS, write_osm_fixture
from shapely.geometry import LineString

from routerisk.errors import DataNotFoundError, NoRouteError, SpecError
from routerisk.geo.sphere import great_circle_km
from routerisk.network._osm import MAJOR_HIGHWAYS
from routerisk.network.corridor_graph import corridor_route
from routerisk.network.naming import towns_passed
from routerisk.network.nodes import nearest_node, path_edges, path_length_m
from routerisk.network.osm import build_corridor_network, graph_from_osm_file, graph_from_pbf
from routerisk.network.segments import segmentize


def way_length_m(way_id):
    refs = next(refs for wid, refs, _ in OSM_FIXTURE_WAYS if wid == way_id)
    pts = [OSM_FIXTURE_NODES[r] for r in refs]
    return sum(1000.0 * float(great_circle_km(a[0], a[1], b[0], b[1]))
               for a, b in zip(pts[:-1], pts[1:], strict=True))


def to_pbf(xml_path, pbf_path):
    if pbf_path.exists():
        pbf_path.unlink()
    with osmium.SimpleWriter(str(pbf_path)) as writer:
        for obj in osmium.FileProcessor(str(xml_path)):
            writer.add(obj)
    return pbf_path


@pytest.fixture(scope="module")
def fixture_graph(osm_fixture):
    return graph_from_osm_file(osm_fixture)


def test_osm_xml_gives_the_common_graph_shape(fixture_graph):
    G = fixture_graph
    assert G.graph["crs"] == "epsg:4326"
    # residential track dropped; junctions Bamako, Kassela, Fana, Ségou remain
    assert sorted(G.nodes) == [1, 3, 5, 8]
    assert G.number_of_edges() == 8  # four roads, both directions
    for u, v, _, d in G.edges(keys=True, data=True):
        assert d["highway"] in MAJOR_HIGHWAYS
        assert isinstance(d["ref"], str) and d["ref"]
        assert isinstance(d["length"], float) and isinstance(d["travel_time"], float)
        geom = d["geometry"]
        assert isinstance(geom, LineString)
        assert geom.coords[0] == pytest.approx((G.nodes[u]["x"], G.nodes[u]["y"]))
        assert geom.coords[-1] == pytest.approx((G.nodes[v]["x"], G.nodes[v]["y"]))


def test_lengths_and_speeds_come_from_the_ways(fixture_graph):
    G = fixture_graph
    trunk = G.edges[5, 8, 0]  # way 103, maxspeed 90
    assert trunk["ref"] == "RN6" and trunk["highway"] == "trunk"
    assert trunk["length"] == pytest.approx(way_length_m(103), rel=1e-3)
    assert trunk["speed_kph"] == 90
    assert trunk["travel_time"] == pytest.approx(trunk["length"] / 1000 / 90 * 3600, rel=1e-3)
    secondary = [d for d in G[3][5].values() if d["highway"] == "secondary"]
    assert len(secondary) == 1 and secondary[0]["ref"] == "RR12"
    assert secondary[0]["speed_kph"] == 50


def test_fastest_route_takes_the_trunk_road(fixture_graph):
    G = fixture_graph
    path = nx.shortest_path(G, 1, 8, weight="travel_time")
    km = path_length_m(G, path) / 1000
    assert km == pytest.approx((way_length_m(101) + way_length_m(102) + way_length_m(103))
                               / 1000, rel=1e-3)
    H = segmentize(G, 10_000)
    seg_path = nx.shortest_path(H, 1, 8, weight="travel_time")
    assert path_length_m(H, seg_path) / 1000 == pytest.approx(km, rel=1e-9)
    assert {H.edges[e]["ref"] for e in path_edges(H, seg_path)} == {"RN6"}


def test_bz2_file_reads_the_same(tmp_path, osm_fixture, fixture_graph):
    packed = tmp_path / "bamako_segou.osm.bz2"
    packed.write_bytes(bz2.compress(osm_fixture.read_bytes()))
    G = graph_from_osm_file(packed)
    assert sorted(G.edges(keys=True)) == sorted(fixture_graph.edges(keys=True))


def test_pbf_file_reads_the_same(tmp_path, osm_fixture, fixture_graph):
    pbf = to_pbf(osm_fixture, tmp_path / "bamako_segou.osm.pbf")
    G = graph_from_pbf(pbf)
    assert sorted(G.edges(keys=True)) == sorted(fixture_graph.edges(keys=True))
    for e in G.edges(keys=True):
        assert G.edges[e]["length"] == pytest.approx(fixture_graph.edges[e]["length"])
        assert G.edges[e]["ref"] == fixture_graph.edges[e]["ref"]
    assert graph_from_osm_file(pbf).number_of_edges() == G.number_of_edges()
    # only the ways with a node in the box around Fana - Ségou
    east = graph_from_pbf(pbf, bbox=(-7.0, 12.7, -6.2, 13.5))
    assert sorted(east.nodes) == [3, 5, 8]
    with pytest.raises(SpecError, match="no drivable major roads inside"):
        graph_from_pbf(pbf, bbox=(0.0, 0.0, 1.0, 1.0))


def test_bad_files_are_reported(tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        graph_from_osm_file(tmp_path / "missing.osm")
    garbage = tmp_path / "garbage.osm"
    garbage.write_text("<osm><node id=", encoding="utf-8")
    with pytest.raises(SpecError, match="could not read OSM XML"):
        graph_from_osm_file(garbage)
    minor = write_osm_fixture(tmp_path / "minor.osm", ways=[
        (1, [1, 2, 3], {"highway": "residential"}), (2, [3, 4], {"highway": "track"})])
    with pytest.raises(SpecError, match="no drivable major roads"):
        graph_from_osm_file(minor)
    with pytest.raises(SpecError, match="ending in"):
        graph_from_pbf(minor)


def test_corridor_graph_is_built_once_and_cached(tmp_path, osm_fixture, caplog):
    cache = tmp_path / "cache"
    source = write_osm_fixture(tmp_path / "roads.osm")
    with caplog.at_level(logging.INFO, logger="routerisk.network"):
        built = build_corridor_network("bamako-segou", osm_file=source, cache_dir=cache)
        assert "building bamako-segou" in caplog.text
        caplog.clear()
        again = build_corridor_network("bamako-segou", osm_file=source, cache_dir=cache)
        assert "using cached" in caplog.text and "building" not in caplog.text
    assert again.graph["cache_path"] == built.graph["cache_path"]
    assert sorted(again.edges(keys=True)) == sorted(built.edges(keys=True))
    for e in built.edges(keys=True):
        a, b = built.edges[e], again.edges[e]
        for attr in ("length", "travel_time", "speed_kph"):
            assert isinstance(b[attr], float) and b[attr] == pytest.approx(a[attr])
        assert b["highway"] == a["highway"] and b["ref"] == a["ref"]
        assert b["geometry"].equals_exact(a["geometry"], 1e-9)
    for n in built.nodes:
        assert again.nodes[n]["x"] == built.nodes[n]["x"]
    route = corridor_route(again, "bamako-segou")
    assert route == [1, 3, 5, 8]
    # OSM nodes carry no trunk-network city: the gazetteer's towns along the road instead
    towns = towns_passed(again, route)
    assert towns[0] == "Bamako" and towns[-1] == "Ségou"
    assert towns.index("Kobalakoro") < towns.index("Konobougou")
    # every town within 3 km, none thinned out
    close = towns_passed(again, route, within_km=3, min_gap_km=0)
    assert close.index("Kassela") < close.index("Konobougou") < close.index("Sebougou")
    # the same content touched again: still cached; a changed road: rebuilt, old entry gone
    os.utime(source)
    with caplog.at_level(logging.INFO, logger="routerisk.network"):
        caplog.clear()
        build_corridor_network("bamako-segou", osm_file=source, cache_dir=cache)
        assert "using cached" in caplog.text
        ways = [(w, r, dict(t, maxspeed="60") if w == 103 else t) for w, r, t in OSM_FIXTURE_WAYS]
        write_osm_fixture(source, ways=ways)
        caplog.clear()
        rebuilt = build_corridor_network("bamako-segou", osm_file=source, cache_dir=cache)
        assert "building" in caplog.text
    assert rebuilt.edges[5, 8, 0]["speed_kph"] == 60
    assert [p.name for p in cache.iterdir()] == [os.path.basename(rebuilt.graph["cache_path"])]


def test_a_file_that_misses_the_corridor_is_reported(tmp_path, osm_fixture):
    with pytest.raises(NoRouteError, match="dakar-kayes-bamako"):
        build_corridor_network("dakar-kayes-bamako", osm_file=osm_fixture,
                               cache_dir=tmp_path)
    with pytest.raises(SpecError, match="exactly one source"):
        build_corridor_network("bamako-segou", cache_dir=tmp_path)
    with pytest.raises(DataNotFoundError):
        build_corridor_network("bamako-segou", osm_file=tmp_path / "nope.osm",
                               cache_dir=tmp_path)


def test_pbf_corridor_build_reads_only_the_corridor(tmp_path, osm_fixture):
    pbf = to_pbf(osm_fixture, tmp_path / "roads.osm.pbf")
    G = build_corridor_network("bamako-segou", pbf_file=pbf, cache_dir=tmp_path / "c")
    assert nearest_node(G, -8.000337, 12.649319) == 1
    assert corridor_route(G, "bamako-segou") == [1, 3, 5, 8]
