"""Corridor specs, corridor subgraphs and routes through the waypoints."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest
from shapely.geometry import LineString

from routerisk.config import STUDY_BBOX
from routerisk.errors import NoRouteError, SpecError, UnknownNameError
from routerisk.geo.gazetteer import geocode
from routerisk.geo.sphere import great_circle_km
from routerisk.network.corridor_graph import (
    corridor_graph,
    corridor_route,
    waypoints_passed,
)
from routerisk.network.corridors import Corridor, corridor_polygon, get_corridor, load_corridors
from routerisk.network.io import clip_graph
from routerisk.network.naming import towns_passed
from routerisk.network.nodes import path_length_m, route_line

SEED = ["dakar-kayes-bamako", "abidjan-sikasso-bamako", "bamako-segou"]
ALL = SEED + ["conakry-kouremale-bamako", "nouakchott-nioro-bamako"]


@pytest.fixture(scope="module")
def raw_study(trunk_network):
    """The study area of the trunk network, not segmented."""
    return clip_graph(trunk_network, STUDY_BBOX)


def test_the_corridors_are_declared():
    corridors = load_corridors()
    assert list(corridors) == ALL
    dakar = corridors["dakar-kayes-bamako"]
    names = [w.name for w in dakar.waypoints]
    for town in ["Dakar", "Tambacounda", "Kidira", "Diboli", "Kayes", "Lambatara", "Sandaré",
                 "Diéma", "Kati", "Bamako"]:
        assert town in names
    assert names.index("Kayes") < names.index("Lambatara") < names.index("Sandaré") \
        < names.index("Diéma")
    assert [w.name for w in corridors["bamako-segou"].waypoints] == ["Bamako", "Fana", "Ségou"]
    assert dakar.origin.role == "port" and dakar.destination.name == "Bamako"
    assert {w.role for c in corridors.values() for w in c.waypoints} == {
        "port", "border_post", "town"}


@pytest.mark.parametrize("name", ALL)
def test_every_waypoint_comes_from_the_gazetteer(name, gazetteer):
    for w in get_corridor(name).waypoints:
        assert w.gazetteer and w.osm_node_id, w.name
        place = geocode(w.gazetteer, country=w.gazetteer_country, gazetteer=gazetteer)
        assert place.osm_node_id == w.osm_node_id, w.name
        assert (place.lat, place.lon) == (w.lat, w.lon), w.name
        if w.gazetteer != w.name:
            # a stand-in for a place the gazetteer lacks must say so
            same = geocode(w.name, country=w.gazetteer_country, gazetteer=gazetteer) \
                if _known(w.name, w.gazetteer_country, gazetteer) else None
            assert (same is not None and same.osm_node_id == w.osm_node_id) or w.note, w.name


def _known(name, country, gazetteer):
    try:
        geocode(name, country=country, gazetteer=gazetteer)
    except Exception:
        return False
    return True


def test_unknown_corridor_lists_the_available_ones():
    with pytest.raises(UnknownNameError) as err:
        get_corridor("dakar-bamako")
    message = str(err.value)
    assert "dakar-bamako" in message
    for name in ALL:
        assert name in message
    assert isinstance(err.value, KeyError)


def test_get_corridor_is_case_insensitive_and_passes_corridors_through():
    c = get_corridor("Bamako-Segou")
    assert c.name == "bamako-segou"
    assert get_corridor(c) is c


BAD = """
[[corridor]]
name = "test-road"
buffer_km = 20

[[corridor.waypoints]]
name = "Bamako"
country = "MLI"
lat = 12.65
lon = -8.0

[[corridor.waypoints]]
name = "Nowhere"
country = "MLI"
lat = 123.4
lon = -7.0

[[corridor.waypoints]]
name = "Ségou"
country = "Mali"
role = "city"
lat = 13.44
lon = -6.27

[[corridor]]
name = "Second Road"
buffer_km = -1
"""


def test_bad_spec_names_every_problem(tmp_path):
    path = tmp_path / "corridors.toml"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_corridors(path)
    message = str(err.value)
    assert "waypoint 2 'Nowhere', 'lat'" in message and "123.4" in message
    assert "waypoint 3 'Ségou', 'country'" in message
    assert "waypoint 3 'Ségou', 'role'" in message
    assert "corridor 'Second Road', 'name'" in message
    assert "corridor 'Second Road', 'buffer_km'" in message
    assert "corridor 'Second Road', 'waypoints'" in message
    assert "6 problem(s)" in message


def test_spec_file_errors(tmp_path):
    with pytest.raises(SpecError, match="not valid TOML"):
        (tmp_path / "a.toml").write_text("[[corridor]\n", encoding="utf-8")
        load_corridors(tmp_path / "a.toml")
    with pytest.raises(SpecError, match="no \\[\\[corridor\\]\\] tables"):
        (tmp_path / "b.toml").write_text("x = 1\n", encoding="utf-8")
        load_corridors(tmp_path / "b.toml")
    with pytest.raises(FileNotFoundError, match="corridor file not found"):
        load_corridors(tmp_path / "missing.toml")


def test_buffer_polygon_has_true_width():
    from shapely.geometry import Point

    c = Corridor(name="north-south", buffer_km=30, waypoints=[
        waypoint("A", 12.0, -8.0), waypoint("B", 13.0, -8.0)])
    poly = corridor_polygon(c)
    per_deg_lon_km = great_circle_km(12.5, -8.0, 12.5, -7.0)
    for km, inside in [(29.5, True), (30.5, False)]:
        assert poly.contains(Point(-8.0 + km / per_deg_lon_km, 12.5)) is inside
        assert poly.contains(Point(-8.0 - km / per_deg_lon_km, 12.5)) is inside
    assert poly.contains(Point(-8.0, 13.0 + 29.5 / 110.6))
    assert not poly.contains(Point(-8.0, 13.0 + 30.5 / 110.6))


# reference figures: ../shared/data/osm/README.md (fastest paths on the GraphML)
README_KM = {"abidjan-sikasso-bamako": 1207, "bamako-segou": 235}


@pytest.mark.parametrize("name", ALL)
def test_corridor_routes_on_the_study_network(name, study_network, raw_study):
    c = get_corridor(name)
    H = corridor_graph(study_network, c)
    s, t = H.graph["origin_node"], H.graph["destination_node"]
    # the corridor connects its end points, which are at the first and last waypoints
    assert nx.has_path(H, s, t) and nx.has_path(H, t, s)
    for w, node in ((c.origin, s), (c.destination, t)):
        assert great_circle_km(w.lat, w.lon, H.nodes[node]["y"], H.nodes[node]["x"]) < 3.0
    # every node of the corridor lies on a route from origin to destination
    assert set(H) == (nx.descendants(H, s) | {s}) & (nx.ancestors(H, t) | {t})
    # no piece above the limit
    assert max(d["length"] for _, _, d in H.edges(data=True)) <= 10_000
    # same route length as on the unsegmented network
    route = corridor_route(study_network, c)
    raw_route = corridor_route(raw_study, c)
    km = path_length_m(study_network, route) / 1000
    assert km == pytest.approx(path_length_m(raw_study, raw_route) / 1000, rel=0.01)
    if name in README_KM:
        assert km == pytest.approx(README_KM[name], rel=0.02)
    # the route passes every waypoint in order
    assert waypoints_passed(study_network, route, c) == [w.name for w in c.waypoints]
    assert route[0] == s and route[-1] == t
    # its geometry is continuous and every piece ends at its nodes
    for u, v in zip(route[:-1], route[1:], strict=True):
        geom = min(study_network[u][v].values(), key=lambda d: d["travel_time"])["geometry"]
        assert geom.coords[0] == (study_network.nodes[u]["x"], study_network.nodes[u]["y"])
        assert geom.coords[-1] == (study_network.nodes[v]["x"], study_network.nodes[v]["y"])
    line = route_line(study_network, route)
    assert line.is_valid and len(line.coords) >= len(route)


def test_dakar_corridor_takes_the_rn1_not_the_southern_route(study_network, raw_study):
    route = corridor_route(study_network, "dakar-kayes-bamako")
    towns = towns_passed(study_network, route)
    assert towns[0] == "Dakar" and towns[-1] == "Bamako" and "Kayes" in towns
    assert "Kita" not in towns
    km = path_length_m(study_network, route) / 1000
    # longer than the unconstrained fastest Dakar -> Bamako (1,281 km via Kita) ...
    assert km > 1281
    # ... and equal to Dakar -> Kidira + Kidira -> Kayes + Kayes -> Bamako on the raw graph
    legs = 0.0
    waypoints = get_corridor("dakar-kayes-bamako").waypoints
    names = [w.name for w in waypoints]
    for a, b in [("Dakar", "Kidira"), ("Kidira", "Kayes"), ("Kayes", "Bamako")]:
        corridor = Corridor(name="leg", buffer_km=40,
                            waypoints=waypoints[names.index(a):names.index(b) + 1])
        legs += path_length_m(raw_study, corridor_route(raw_study, corridor)) / 1000
    assert km == pytest.approx(legs, rel=0.02)


def test_alternatives_inside_the_buffer_are_kept(raw_study):
    H = corridor_graph(raw_study, "dakar-kayes-bamako")
    route = corridor_route(raw_study, "dakar-kayes-bamako")
    used = set(zip(route[:-1], route[1:], strict=True))
    spare = [(u, v) for u, v in H.edges() if (u, v) not in used and (v, u) not in used]
    assert spare  # other roads between the end points remain


def test_too_narrow_a_corridor_does_not_connect(study_network):
    with pytest.raises(NoRouteError, match="within 5 km of its waypoints do not connect Dakar"):
        corridor_graph(study_network, "dakar-kayes-bamako", buffer_km=5)
    with pytest.raises(NoRouteError, match="Dakar is 3[0-9]{2}.[0-9] km from the nearest road"):
        corridor_graph(study_network, "dakar-kayes-bamako", buffer_km=0.5)


def waypoint(name, lat, lon, role="town"):
    return {"name": name, "lat": lat, "lon": lon, "role": role, "country": "MLI"}


def diamond():
    """s -> a -> t is fast; s -> b -> t is slow; all two-way, 0.5 degree sides."""
    G = nx.MultiDiGraph(crs="epsg:4326")
    pos = {"s": (-8.0, 12.0), "a": (-7.5, 12.5), "b": (-7.5, 11.5), "t": (-7.0, 12.0)}
    for n, (x, y) in pos.items():
        G.add_node(n, x=x, y=y, city=n.upper() if n in "st" else "")
    for u, v, hours in [("s", "a", 1), ("a", "t", 1), ("s", "b", 2), ("b", "t", 2)]:
        line = LineString([pos[u], pos[v]])
        for x, y, geom in ((u, v, line), (v, u, line.reverse())):
            G.add_edge(x, y, length=78_000.0, travel_time=hours * 3600.0, geometry=geom)
    return G


def test_route_passes_a_waypoint_between_nodes():
    G = diamond()
    direct = Corridor(name="d", buffer_km=80, waypoints=[waypoint("S", 12.0, -8.0),
                                                          waypoint("T", 12.0, -7.0)])
    assert corridor_route(G, direct) == ["s", "a", "t"]
    # a waypoint half way along s-b forces the slow southern road
    south = Corridor(name="d", buffer_km=80, waypoints=[
        waypoint("S", 12.0, -8.0), waypoint("Mid", 11.75, -7.75), waypoint("T", 12.0, -7.0)])
    assert corridor_route(G, south) == ["s", "b", "t"]
    assert corridor_route(G, south, weight="length") == ["s", "b", "t"]
    assert towns_passed(G, ["s", "b", "t"], gazetteer=pd.DataFrame()) == ["S", "T"]
    # a waypoint far from every road is reported by name
    lost = Corridor(name="d", buffer_km=80, waypoints=[
        waypoint("S", 12.0, -8.0), waypoint("Lost", 12.0, -7.5), waypoint("T", 12.0, -7.0)])
    with pytest.raises(SpecError, match="waypoint 2 'Lost' is 3[0-9].[0-9] km"):
        corridor_route(G, lost, max_snap_km=10)


def test_route_through_waypoints_may_turn_back_only_when_asked():
    G = diamond()
    # origin s, then a waypoint near a, then back to s's neighbour b, then t
    c = Corridor(name="d", buffer_km=100, waypoints=[
        waypoint("S", 12.0, -8.0), waypoint("A", 12.5, -7.5), waypoint("B", 11.5, -7.5),
        waypoint("T", 12.0, -7.0)])
    route = corridor_route(G, c)
    assert route[0] == "s" and route[-1] == "t"
    assert route.index("a") < route.index("b")
    hours = path_length_m(G, route, "travel_time") / 3600
    assert math.isclose(hours, 1 + 1 + 2 + 2)  # s-a, a-t, t-b, b-t
