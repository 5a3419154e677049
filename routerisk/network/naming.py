"""Risk-aware routing on a risk-annotated road graph.

Every function here takes a graph whose edges already carry ``length`` (m),
``travel_time`` (s) and ``mu`` (expected disrupting incidents over the risk horizon, written
by :func:`routerisk.risk.segment_risk`); how that risk was computed does not matter here.

Routes compared (see ``docs/exposure.md``):

- **fastest**: minimum ``travel_time`` (ties broken by lower ``mu``);
- **safest**: minimum ``Σ mu`` (plain Dijkstra on the additive weight ``mu = −ln(1 − p)``;
  ties broken by shorter time);
- **trade-off**: the distinct routes that minimise ``hours + α · mu`` for some risk aversion
  ``α ≥ 0`` (hours accepted per expected incident avoided). They are the supported points
  of the time–risk Pareto front and are found exactly by recursive bisection on ``α``;
- **alternatives**: up to K genuinely different routes, by the penalty method (the edges of
  every route found are made dearer and the search repeated; a candidate is kept only when
  it shares at most ``max_overlap`` of its length with every route already kept and its
  cost is at most ``max_stretch`` times the best). Yen's k-shortest paths is not used: on a
  road network it returns near-duplicates that differ by one junction.

The building blocks (edge weights that skip closed edges, path metrics, the parent *link*
of a segmented piece, towns along a path) are shared by :mod:`routerisk.fuel`,
:mod:`routerisk.scenarios` and :mod:`routerisk.criticality`."""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Sequence

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import LineString

from routerisk.geo.projection import project_line, project_xy
from routerisk.network.nodes import Edge, edge_line, path_nodes

log = logging.getLogger(__name__)


#: Towns within this distance of a route's (simplified) geometry are listed as passed, km.
TOWN_BUFFER_KM = 10.0


_TOWN_CACHE: dict[int, tuple] = {}


def _latin(text) -> bool:
    return isinstance(text, str) and bool(text.strip()) and all(
        ord(c) < 0x250 or not c.isalpha() for c in text)


def _town_points(gaz) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Latin-script names, LAEA coordinates and city flags of the gazetteer's cities and
    towns (cached per frame)."""
    hit = _TOWN_CACHE.get(id(gaz))
    if hit is not None and hit[0] is gaz:
        return hit[1]
    big = gaz[gaz["place"].isin(["city", "town"])].drop_duplicates("osm_node_id")
    names = [n if _latin(n) else (en if _latin(en) else None)
             for n, en in zip(big["name"], big["name_en"], strict=True)]
    keep = np.array([n is not None for n in names], dtype=bool)
    big = big[keep]
    x, y = project_xy(big["lon"].to_numpy(), big["lat"].to_numpy())
    # rank: cities before towns, then by population (unknown last)
    rank = np.where(big["place"] == "city", 0.0, 1.0) * 1e9 - big["population"].fillna(0)
    arrays = (np.array([n for n in names if n is not None], dtype=object), np.asarray(x),
              np.asarray(y), rank.to_numpy(dtype=float))
    _TOWN_CACHE[id(gaz)] = (gaz, arrays)  # holds the frame, so its id is not reused
    return arrays


def towns_passed(G: nx.MultiDiGraph, edges: Sequence[Edge], *, within_km: float = TOWN_BUFFER_KM,
                 min_gap_km: float = 25.0, gazetteer=None) -> list[str]:
    """Towns near a path, in travel order.

    Two sources, merged: the ``city`` (or ``name``) attribute of the path's nodes, and the
    gazetteer's cities and towns (Latin-script names) within ``within_km`` of the path
    geometry. Named nodes are always listed; gazetteer places, cities first and then by
    population, only when they lie at least ``min_gap_km`` along the path from every place
    already listed (so a capital's suburbs do not crowd the list). The trunk geometry is
    simplified (a few vertices per 100 km): a town listed is one the road passes near, not
    necessarily through.
    """
    if not edges:
        return []
    from routerisk.geo.gazetteer import normalize_name

    lines = [project_line(edge_line(G, *e)) for e in edges]
    coords = np.vstack([np.asarray(ln.coords) for ln in lines])
    path = LineString(coords)
    found: list[tuple[float, float, str]] = []  # (position m, rank, name)
    for n in path_nodes(edges):
        label = G.nodes[n].get("city") or G.nodes[n].get("name")
        if isinstance(label, str) and label.strip():
            x, y = project_xy(G.nodes[n]["x"], G.nodes[n]["y"])
            found.append((path.project(shapely.Point(float(x), float(y))), -math.inf,
                          label.strip()))
    gaz = _gazetteer_or_none(gazetteer)
    if gaz is not None:
        names, tx, ty, rank = _town_points(gaz)
        x0, y0 = coords.min(axis=0) - within_km * 1000
        x1, y1 = coords.max(axis=0) + within_km * 1000
        sel = np.flatnonzero((tx >= x0) & (tx <= x1) & (ty >= y0) & (ty <= y1))
        if len(sel):
            pts = shapely.points(tx[sel], ty[sel])
            dist = shapely.distance(path, pts)
            for i in np.flatnonzero(dist <= within_km * 1000):
                pos = float(shapely.line_locate_point(path, pts[i]))
                found.append((pos, float(rank[sel[i]]), str(names[sel[i]])))
    kept: list[tuple[float, str]] = []
    seen: set[str] = set()
    for pos, prio, name in sorted(found, key=lambda t: (t[1], t[0])):
        key = normalize_name(name)
        if key in seen:
            continue
        if prio > -math.inf and any(abs(pos - p) < min_gap_km * 1000 for p, _ in kept):
            continue
        seen.add(key)
        kept.append((pos, name))
    return [name for _, name in sorted(kept)]


def _gazetteer_or_none(gazetteer):
    if gazetteer is not None:
        return gazetteer if len(gazetteer) else None
    try:
        from routerisk.geo.gazetteer import load_gazetteer

        return load_gazetteer()
    except Exception:  # noqa: BLE001 - towns are a nicety; no gazetteer, no names
        log.info("no gazetteer found: routes list only the towns named on the graph")
        return None


log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- labels
def node_label(G: nx.MultiDiGraph, node: Hashable, *, gazetteer=None,
               within_km: float = 30.0) -> str:
    """A readable name for a road node: its ``city``, else the nearest gazetteer city or
    town within ``within_km``, else its coordinates."""
    d = G.nodes[node]
    label = d.get("city") or d.get("name")
    if isinstance(label, str) and label.strip():
        return label.strip()
    from routerisk.geo.projection import project_xy
    from routerisk.network.naming import _gazetteer_or_none, _town_points

    gaz = _gazetteer_or_none(gazetteer)
    if gaz is not None:
        names, tx, ty, _ = _town_points(gaz)
        x, y = project_xy(d["x"], d["y"])
        dist = ((tx - x) ** 2 + (ty - y) ** 2) ** 0.5
        i = int(dist.argmin()) if len(dist) else -1
        if i >= 0 and dist[i] <= within_km * 1000:
            return f"{names[i]}" if dist[i] <= 5000 else f"near {names[i]}"
    return f"{d['y']:.3f},{d['x']:.3f}"


def link_label(G: nx.MultiDiGraph, link: tuple, *, gazetteer=None) -> str:
    """``"A – B"`` for a road link between nodes A and B."""
    a, b, _ = link
    return f"{node_label(G, a, gazetteer=gazetteer)} – {node_label(G, b, gazetteer=gazetteer)}"

