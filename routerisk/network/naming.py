"""Names on a road graph: node and link labels and the towns a path passes.

All of them rest on the one place namer, :class:`routerisk.geo.naming.PlaceNamer`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString

from routerisk.geo.gazetteer import normalize_name
from routerisk.geo.naming import PlaceNamer, Towns, default_namer, default_towns, towns
from routerisk.geo.projection import lonlat_to_km
from routerisk.network.nodes import route_line

#: Gazetteer towns within this distance of a path are listed as passed, km.
TOWN_BUFFER_KM = 10.0
#: A gazetteer town closer than this (along the path) to a town already listed is skipped, km.
TOWN_GAP_KM = 25.0


def _graph_name(data: dict) -> str | None:
    label = data.get("city") or data.get("name")
    return label.strip() if isinstance(label, str) and label.strip() else None


_NAMERS: dict[int, tuple] = {}


def _namer(gazetteer) -> PlaceNamer:
    if gazetteer is None:
        return default_namer()
    hit = _NAMERS.get(id(gazetteer))
    if hit is None or hit[0] is not gazetteer:
        hit = _NAMERS[id(gazetteer)] = (gazetteer, PlaceNamer(gazetteer))  # holds the frame
    return hit[1]


def node_label(G: nx.MultiDiGraph, node: Hashable, *, gazetteer=None) -> str:
    """A readable name for a road node: its ``city`` (or ``name``) attribute, else what the
    place namer (over ``gazetteer``, default the shared one) calls its position."""
    d = G.nodes[node]
    return _graph_name(d) or _namer(gazetteer)(float(d["x"]), float(d["y"]))


def link_label(G: nx.MultiDiGraph, link: tuple, *, gazetteer=None) -> str:
    """``"A – B"`` for a road link between nodes A and B."""
    a, b, _ = link
    return f"{node_label(G, a, gazetteer=gazetteer)} – {node_label(G, b, gazetteer=gazetteer)}"


def towns_passed(G: nx.MultiDiGraph, path: Sequence[Hashable], *,
                 within_km: float = TOWN_BUFFER_KM, min_gap_km: float = TOWN_GAP_KM,
                 gazetteer=None, weight: str = "travel_time") -> list[str]:
    """Towns a node path passes, in travel order.

    Two sources, merged: the ``city`` (or ``name``) attribute of the path's nodes — always
    listed — and the gazetteer's cities and towns within ``within_km`` of the path's line,
    cities first and then by population, each only when it lies at least ``min_gap_km``
    along the path from every town already listed (so a capital's suburbs do not crowd
    the list). The trunk geometry is simplified (a few vertices per 100 km): a town listed
    is one the road passes near, not necessarily through.

    Parameters
    ----------
    gazetteer
        A gazetteer frame; default the shared gazetteer; an empty frame for graph names only.
    """
    if len(path) < 2:
        return [n for n in (_graph_name(G.nodes[p]) for p in path) if n]
    line_ll = route_line(G, path, weight)
    xy = np.column_stack(lonlat_to_km(*np.asarray(line_ll.coords).T))
    line = LineString(xy)
    found: list[tuple[float, float, str]] = []  # (position km, rank, name)
    for n in path:
        label = _graph_name(G.nodes[n])
        if label:
            x, y = lonlat_to_km(G.nodes[n]["x"], G.nodes[n]["y"])
            found.append((line.project(shapely.Point(float(x), float(y))), -math.inf, label))
    t: Towns | None = (default_towns() if gazetteer is None
                       else towns(gazetteer) if len(gazetteer) else None)
    if t is not None and len(t.name):
        tx, ty = lonlat_to_km(t.lon, t.lat)
        (x0, y0), (x1, y1) = xy.min(axis=0) - within_km, xy.max(axis=0) + within_km
        sel = np.flatnonzero((tx >= x0) & (tx <= x1) & (ty >= y0) & (ty <= y1))
        pts = shapely.points(tx[sel], ty[sel])
        near = shapely.distance(line, pts) <= within_km
        for i in np.flatnonzero(near):
            found.append((float(shapely.line_locate_point(line, pts[i])),
                          float(t.rank[sel[i]]), str(t.name[sel[i]])))
    kept: list[tuple[float, str]] = []
    seen: set[str] = set()
    for pos, prio, name in sorted(found, key=lambda f: (f[1], f[0])):
        key = normalize_name(name)
        if key in seen:
            continue
        if prio > -math.inf and any(abs(pos - p) < min_gap_km for p, _ in kept):
            continue
        seen.add(key)
        kept.append((pos, name))
    return [name for _, name in sorted(kept)]
