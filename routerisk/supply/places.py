"""Places on the road graph: resolve a name or coordinates to its road node, and the
edges near a point (a spatial index of edge geometries per graph)."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Hashable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import shapely

from routerisk.errors import NodeNotFoundError
from routerisk.geo.projection import lonlat_to_km, to_km_geometry
from routerisk.geo.sphere import great_circle_km
from routerisk.network.nodes import edge_count, edge_line
from routerisk.supply.paths import Edge

log = logging.getLogger(__name__)


#: A place farther than this from the nearest road node is refused, km.
MAX_SNAP_KM = 50.0


# --------------------------------------------------------------------------- places
@dataclass(frozen=True)
class ResolvedPlace:
    """A place given by name or ``lat,lon``, snapped to the road graph."""

    query: str
    name: str
    lat: float
    lon: float
    node: Hashable
    snap_km: float


def resolve_place(G: nx.MultiDiGraph, place: str | tuple[float, float], *,
                  country: str | None = None, max_snap_km: float = MAX_SNAP_KM,
                  gazetteer=None) -> ResolvedPlace:
    """Geocode a place (name or ``"lat,lon"``) and snap it to the nearest road node.

    Raises
    ------
    GeocodeError
        Unknown or ambiguous place name (the message lists near matches).
    NodeNotFoundError
        When the nearest road node is farther than ``max_snap_km``.
    """
    from routerisk.geo.gazetteer import geocode
    from routerisk.network.nodes import nearest_node

    if isinstance(place, tuple):
        query = f"{place[0]},{place[1]}"
    else:
        query = str(place)
    p = geocode(query, country=country, gazetteer=gazetteer)
    node = nearest_node(G, p.lon, p.lat)
    snap = great_circle_km(p.lat, p.lon, G.nodes[node]["y"], G.nodes[node]["x"])
    if snap > max_snap_km:
        raise NodeNotFoundError(
            f"'{query}' ({p.lat:.4f},{p.lon:.4f}) is {snap:.0f} km from the nearest road of "
            f"the network (limit {max_snap_km:.0f} km): is it inside the study area?")
    return ResolvedPlace(query, p.name, p.lat, p.lon, node, snap)


class _EdgeTable:
    """Edges of a graph with their projected geometries (cached per graph object)."""

    def __init__(self, G: nx.MultiDiGraph) -> None:
        self.edges: list[Edge] = list(G.edges(keys=True))
        self.n_edges = len(self.edges)
        lonlat = np.empty(len(self.edges), dtype=object)
        lonlat[:] = [edge_line(G, *e) for e in self.edges]
        self.lines = to_km_geometry(lonlat)  # all projected in one call
        self.tree = shapely.STRtree(self.lines)


_EDGE_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _edge_table(G: nx.MultiDiGraph) -> _EdgeTable:
    table = _EDGE_TABLES.get(G)
    if table is None or table.n_edges != edge_count(G):
        table = _EdgeTable(G)
        _EDGE_TABLES[G] = table
    return table


def edges_near(G: nx.MultiDiGraph, lat: float, lon: float, radius_km: float) -> list[Edge]:
    """Edges whose geometry comes within ``radius_km`` of a point.

    Distances are measured in the study projection (:mod:`routerisk.geo.projection`).
    """
    table = _edge_table(G)
    x, y = lonlat_to_km(lon, lat)
    pt = shapely.Point(float(x), float(y))
    idx = table.tree.query(pt, predicate="dwithin", distance=radius_km)
    return [table.edges[i] for i in sorted(idx)]


def distance_to_network_km(G: nx.MultiDiGraph, lat: float, lon: float) -> float:
    """Distance from a point to the nearest edge geometry, km."""
    table = _edge_table(G)
    x, y = lonlat_to_km(lon, lat)
    pt = shapely.Point(float(x), float(y))
    i = table.tree.nearest(pt)
    return float(shapely.distance(table.lines[i], pt))

