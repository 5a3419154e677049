"""Shared test fixtures. The shared data (../shared/data) must be beside the checkout."""

from __future__ import annotations

import pytest

from routerisk._paths import GAZETTEER_FILE, shared_file
from routerisk.gazetteer import load_gazetteer


@pytest.fixture(scope="session")
def gazetteer():
    """The shared OSM gazetteer."""
    return load_gazetteer(shared_file(GAZETTEER_FILE))


@pytest.fixture(scope="session")
def trunk_network():
    """The shared OSM-derived trunk network (do not modify: copy first)."""
    from routerisk.network import load_network

    return load_network()


@pytest.fixture(scope="session")
def study_network():
    """The default study network, clipped and cut into <= 10 km pieces (do not modify)."""
    from routerisk.network import load_study_network

    return load_study_network()


@pytest.fixture(scope="session")
def acled_frame():
    """The shared ACLED file read once per session (do not modify: copy first)."""
    from routerisk._paths import ACLED_FILE
    from routerisk.readers import read_acled

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
