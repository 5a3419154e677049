"""Shared test fixtures. The shared data (../shared/data) must be beside the checkout."""

from __future__ import annotations

import os

import pytest

from routerisk.config import shared_file
from routerisk.geo.gazetteer import load_gazetteer


@pytest.fixture(scope="session", autouse=True)
def private_graph_cache(tmp_path_factory):
    """Derived graphs are cached in a folder of the test session, not the user's cache."""
    old = os.environ.get("ROUTERISK_CACHE_DIR")
    os.environ["ROUTERISK_CACHE_DIR"] = str(tmp_path_factory.mktemp("routerisk-cache"))
    yield
    if old is None:
        os.environ.pop("ROUTERISK_CACHE_DIR", None)
    else:
        os.environ["ROUTERISK_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def gazetteer():
    """The shared OSM gazetteers (West Africa, and Ghana, Togo, Benin, Niger) read together,
    as by default."""
    return load_gazetteer()


@pytest.fixture(scope="session")
def trunk_network():
    """The shared OSM-derived trunk network (do not modify: copy first)."""
    from routerisk.network.io import load_network

    return load_network()


@pytest.fixture(scope="session")
def study_network():
    """The default study network, clipped and cut into <= 10 km pieces (do not modify)."""
    from routerisk.network.io import load_study_network

    return load_study_network()


@pytest.fixture(scope="session")
def acled_frame():
    """The shared ACLED file read once per session (do not modify: copy first)."""
    from routerisk.config import ACLED_FILE
    from routerisk.incidents.acled import read_acled

    return read_acled(shared_file(ACLED_FILE))


@pytest.fixture
def write_csv(tmp_path):
    """Write rows (list of dicts, or raw text) to a CSV file in tmp_path; return its path."""
    import csv

    def _write(rows, name="incidents.csv", *, columns=None):
        path = tmp_path / name
        if isinstance(rows, (str, bytes)):
            mode = "wb" if isinstance(rows, bytes) else "w"
            with open(path, mode) as fh:
                fh.write(rows)
            return path
        cols = columns or list(dict.fromkeys(k for r in rows for k in r))
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)
        return path

    return _write


def _build_graph(nodes, edges, *, both_ways=True, horizon_days=30):
    """A small risk-annotated MultiDiGraph for hand-checked tests.

    ``nodes``: name -> (lon, lat); ``edges``: (u, v, length_km, hours, mu). Every edge gets
    ``length`` (m), ``travel_time`` (s), ``mu``, ``p_disrupt`` and a straight ``geometry``;
    with ``both_ways`` the reverse edge is added with the same figures.
    """
    import math

    import networkx as nx
    from shapely.geometry import LineString

    G = nx.MultiDiGraph(crs="epsg:4326", risk_horizon_days=horizon_days)
    for name, (lon, lat) in nodes.items():
        G.add_node(name, x=float(lon), y=float(lat))
    for u, v, km, hours, mu in edges:
        pairs = [(u, v), (v, u)] if both_ways else [(u, v)]
        for a, b in pairs:
            geom = LineString([(G.nodes[a]["x"], G.nodes[a]["y"]),
                               (G.nodes[b]["x"], G.nodes[b]["y"])])
            G.add_edge(a, b, length=km * 1000.0, travel_time=hours * 3600.0, mu=float(mu),
                       p_disrupt=1 - math.exp(-mu), geometry=geom)
    return G


@pytest.fixture
def make_graph():
    """Builder of small hand-built risk-annotated graphs (see ``_build_graph``)."""
    return _build_graph


def _grid_graph(n=6, step_deg=0.1, lon0=-8.0, lat0=12.0):
    """An ``n x n`` grid road graph (two-way, bent 3-vertex LineStrings, EPSG:4326)."""
    import networkx as nx
    import shapely

    G = nx.MultiDiGraph(crs="epsg:4326")
    for i in range(n):
        for j in range(n):
            G.add_node(i * n + j, x=lon0 + i * step_deg, y=lat0 + j * step_deg)

    def add(a, b):
        pa, pb = G.nodes[a], G.nodes[b]
        mid = ((pa["x"] + pb["x"]) / 2 + 0.01, (pa["y"] + pb["y"]) / 2 + 0.01)
        geom = shapely.LineString([(pa["x"], pa["y"]), mid, (pb["x"], pb["y"])])
        length = shapely.length(geom) * 111_000.0
        G.add_edge(a, b, 0, geometry=geom, length=length, travel_time=length / 20.0)
        G.add_edge(b, a, 0, geometry=shapely.reverse(geom), length=length,
                   travel_time=length / 20.0)

    for i in range(n):
        for j in range(n):
            if i + 1 < n:
                add(i * n + j, (i + 1) * n + j)
            if j + 1 < n:
                add(i * n + j, i * n + j + 1)
    return G


@pytest.fixture
def grid_graph():
    """Builder of small grid road graphs with LineString geometries (see ``_grid_graph``)."""
    return _grid_graph


def _synthetic_incidents(n=400, *, seed=0, start="2012-01-01", years=6,
                         hotspot=(-7.8, 12.2), share_hot=0.7):
    """Synthetic incident frame: a persistent hotspot plus uniform noise over the grid."""
    import datetime as dt

    import numpy as np

    from routerisk.incidents.schema import Incident, incidents_to_frame

    rng = np.random.default_rng(seed)
    types = ["clash", "ied", "convoy_ambush", "violence_against_civilians", "protest"]
    out = []
    t0 = dt.date.fromisoformat(start)
    for k in range(n):
        if rng.random() < share_hot:
            lon, lat = hotspot[0] + rng.normal(0, 0.03), hotspot[1] + rng.normal(0, 0.03)
        else:
            lon, lat = rng.uniform(-8.0, -7.5), rng.uniform(12.0, 12.5)
        out.append(Incident(
            incident_id=f"S{seed}-{k}",
            date=t0 + dt.timedelta(days=int(rng.integers(0, 365 * years))),
            latitude=float(lat), longitude=float(lon),
            location_precision_km=float(rng.choice([2.0, 2.0, 25.0])),
            event_type=str(rng.choice(types)), fatalities=int(rng.integers(0, 4)),
            source="synthetic"))
    return incidents_to_frame(out)


@pytest.fixture
def synthetic_incidents():
    """Builder of synthetic incident frames (see ``_synthetic_incidents``)."""
    return _synthetic_incidents


@pytest.fixture(scope="session")
def default_risk_model():
    """The hazard model fitted with its defaults on the default incidents (once per session;
    shared with the in-process CLI runs of ``routerisk exposure/scenario/route``)."""
    from routerisk.cli._model import fitted_model

    return fitted_model(None, None, 30)[0]


@pytest.fixture(scope="session")
def risk_study_network(default_risk_model):
    """The study network annotated with 30-day risk from the default model (do not modify)."""
    from routerisk.supply.routing import risk_network

    return risk_network(model=default_risk_model, horizon_days=30)


#: A small OSM XML road fixture along Bamako - Fana - Ségou (real town coordinates from the
#: OSM gazetteer): node id -> (lat, lon); ways: (id, node ids, tags).
OSM_FIXTURE_NODES = {
    1: (12.649319, -8.000337),   # Bamako
    2: (12.62, -7.85),
    3: (12.5904176, -7.6703449),  # Kassela
    4: (12.70, -7.30),
    5: (12.7807357, -6.9597573),  # Fana (Virage de Dioila)
    6: (12.91916, -6.759138),     # Konobougou
    7: (13.20, -6.50),
    8: (13.441518, -6.268147),    # Ségou
    9: (12.62, -7.30),            # on a slower secondary road Kassela - Fana
    10: (12.90, -6.95),           # a residential track north of Fana
    11: (12.95, -6.96),
}
OSM_FIXTURE_WAYS = [
    (101, [1, 2, 3], {"highway": "trunk", "ref": "RN6", "maxspeed": "80",
                      "name": "Route de Ségou"}),
    (102, [3, 4, 5], {"highway": "trunk", "ref": "RN6", "maxspeed": "80"}),
    (103, [5, 6, 7, 8], {"highway": "trunk", "ref": "RN6", "maxspeed": "90"}),
    (104, [3, 9, 5], {"highway": "secondary", "ref": "RR12", "maxspeed": "50"}),
    (105, [5, 10, 11], {"highway": "residential"}),
]


def write_osm_fixture(path, nodes=None, ways=None):
    """Write an OSM XML file (the format osmnx and osmium read) and return its path."""
    from xml.sax.saxutils import quoteattr

    nodes = OSM_FIXTURE_NODES if nodes is None else nodes
    ways = OSM_FIXTURE_WAYS if ways is None else ways
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<osm version="0.6" generator="routerisk-tests">']
    for nid, (lat, lon) in nodes.items():
        lines.append(f'  <node id="{nid}" version="1" timestamp="2024-01-01T00:00:00Z" '
                     f'lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1" timestamp="2024-01-01T00:00:00Z">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k={quoteattr(k)} v={quoteattr(v)}/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def osm_fixture(tmp_path_factory):
    """Path of the Bamako - Ségou OSM XML fixture."""
    return write_osm_fixture(tmp_path_factory.mktemp("osm") / "bamako_segou.osm")


@pytest.fixture(autouse=True)
def _no_user_incident_store(monkeypatch, tmp_path_factory):
    """Tests never read the user's incident store: point it at a file that does not exist
    (tests that want a store set ROUTERISK_STORE or pass a path)."""
    monkeypatch.setenv("ROUTERISK_STORE", str(tmp_path_factory.getbasetemp() / "no-store.sqlite"))
