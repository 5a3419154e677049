"""Nodes and paths of a road graph: the nearest node (k-d tree), path edges, path
length, edge geometry and a path's line."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Collection, Hashable, Sequence
from itertools import chain

import networkx as nx
import numpy as np
from shapely.geometry import LineString

from routerisk.errors import SpecError
from routerisk.geo.sphere import NearestOnSphere, chord_to_km, great_circle_km, unit_vectors

log = logging.getLogger(__name__)




Edge = tuple[Hashable, Hashable, Hashable]


def edge_count(G: nx.MultiGraph | nx.MultiDiGraph) -> int:
    """``G.number_of_edges()``, counted from the key dicts (several times faster; the
    per-graph caches check it on every use)."""
    adj = getattr(G, "_adj", None)
    if adj is None or not G.is_multigraph():
        return G.number_of_edges()
    n = sum(map(len, chain.from_iterable(nbrs.values() for nbrs in adj.values())))
    if not G.is_directed():  # each edge is stored under both of its ends (a loop once)
        loops = sum(len(adj[u][u]) for u in adj if u in adj[u])
        n = (n + loops) // 2
    return n


def node_coords(G: nx.MultiDiGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node ids and their lon, lat as arrays (same order)."""
    ids = np.array(list(G.nodes), dtype=object)
    lon = np.fromiter((d["x"] for _, d in G.nodes(data=True)), float, len(ids))
    lat = np.fromiter((d["y"] for _, d in G.nodes(data=True)), float, len(ids))
    return ids, lon, lat


def _node_tree(G: nx.MultiDiGraph):
    """The nearest-node search over the nodes on the unit sphere, cached per graph (rebuilt
    when the node count changes)."""
    cached = _NODE_TREES.get(G)
    if cached is not None and cached[0] == G.number_of_nodes():
        return cached[1], cached[2]
    ids, xs, ys = node_coords(G)
    tree = NearestOnSphere(unit_vectors(xs, ys))
    _NODE_TREES[G] = (G.number_of_nodes(), tree, ids)
    return tree, ids


_NODE_TREES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def nearest_node(G: nx.MultiDiGraph, x: float, y: float, *, return_dist: bool = False):
    """The node nearest to the point (``x`` = lon, ``y`` = lat) by great-circle distance.

    The argument order is osmnx's (``ox.distance.nearest_nodes(G, X, Y)``). The nodes are
    indexed once per graph (a k-d tree on the unit sphere), so repeated calls are cheap.

    Parameters
    ----------
    G
        Graph with node ``x`` (lon) and ``y`` (lat) in degrees.
    x, y
        Longitude and latitude of the point, degrees.
    return_dist
        Also return the great-circle distance in metres.

    Returns
    -------
    node id, or (node id, distance_m)

    Raises
    ------
    SpecError
        When the graph has no nodes or the coordinates are out of range.
    """
    if not (-90 <= y <= 90 and -180 <= x <= 180):
        raise SpecError(f"lon (x) must be in [-180, 180] and lat (y) in [-90, 90]; "
                        f"got x={x}, y={y}")
    if G.number_of_nodes() == 0:
        raise SpecError("cannot find a nearest node in an empty graph")
    tree, ids = _node_tree(G)
    chord, i = tree.query(unit_vectors([x], [y])[0])
    node = ids[int(i)]
    node = int(node) if isinstance(node, np.integer) else node
    if not return_dist:
        return node
    dist_m = 1000.0 * float(chord_to_km(chord))
    return node, float(dist_m)


def path_length_m(G: nx.MultiDiGraph, path: list, weight: str = "length") -> float:
    """Sum of ``weight`` along a node path, taking the minimum over parallel edges."""
    total = 0.0
    for u, v in zip(path[:-1], path[1:], strict=True):
        total += min(float(d.get(weight, np.inf)) for d in G[u][v].values())
    return total


def path_edges(G: nx.MultiDiGraph, path: Sequence[Hashable],
               weight: str | Callable[[dict], float] = "travel_time", *,
               closed: Collection[Edge] | None = None) -> list[Edge]:
    """The ``(u, v, key)`` edges of a node path: the one function that turns a node path
    into edges.

    Between two consecutive nodes the parallel edge chosen is the cheapest open one under
    ``weight``, which must be the weight the path was routed with, so that the edges are
    those the router priced.

    Parameters
    ----------
    G
        Road graph.
    path
        Node sequence.
    weight
        Edge attribute name, or a function of an edge's attribute dict returning its cost.
    closed
        Edges ``(u, v, key)`` that may not be chosen.

    Raises
    ------
    SpecError
        When two consecutive nodes are not joined by an open edge.
    """
    cost = weight if callable(weight) else (
        lambda d, _a=weight: float(d.get(_a, np.inf)))
    edges: list[Edge] = []
    for u, v in zip(path[:-1], path[1:], strict=True):
        if not G.has_edge(u, v):
            raise SpecError(f"the path is broken: no edge {u!r} -> {v!r} in the graph")
        keys = [k for k in G[u][v] if not (closed and (u, v, k) in closed)]
        if not keys:
            raise SpecError(f"every edge {u!r} -> {v!r} of the path is closed")
        edges.append((u, v, min(keys, key=lambda key: cost(G[u][v][key]))))
    return edges


log = logging.getLogger(__name__)


def path_nodes(edges: Sequence[Edge]) -> list[Hashable]:
    """Node sequence of an edge path."""
    if not edges:
        return []
    return [edges[0][0], *[e[1] for e in edges]]


def erase_loops(path: Sequence[Hashable]) -> list[Hashable]:
    """A simple path from a walk: every loop ``a … a`` is cut out (chronological loop
    erasure), so no node repeats. With non-negative edge costs the result costs no more
    than the walk."""
    out: list[Hashable] = []
    where: dict[Hashable, int] = {}
    for n in path:
        if n in where:
            i = where[n]
            for m in out[i + 1:]:
                del where[m]
            del out[i + 1:]
        else:
            where[n] = len(out)
            out.append(n)
    return out


def edge_line(G: nx.MultiDiGraph, u: Hashable, v: Hashable, k: Hashable) -> LineString:
    """The edge geometry (lon/lat), or the straight line between its nodes."""
    geom = G.edges[u, v, k].get("geometry")
    if geom is not None and not geom.is_empty:
        return geom
    return LineString([(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])])


def route_line(G: nx.MultiDiGraph, path: Sequence[Hashable],
               weight: str = "travel_time") -> LineString:
    """The geometry of a node path as one LineString (EPSG:4326)."""
    if len(path) < 2:
        n = G.nodes[path[0]]
        return LineString([(n["x"], n["y"]), (n["x"], n["y"])])
    coords: list[tuple[float, float]] = []
    for u, v, k in path_edges(G, path, weight):
        geom = G[u][v][k].get("geometry")
        pts = list(geom.coords) if geom is not None else [
            (G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
        coords += pts if not coords else pts[1:]
    return LineString(coords)


_EDGE_TREES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _edge_tree(G: nx.MultiDiGraph):
    """A shapely ``STRtree`` of the edge geometries (lon/lat), cached per graph (rebuilt when
    the edge count changes)."""
    import shapely

    cached = _EDGE_TREES.get(G)
    if cached is not None and cached[0] == edge_count(G):
        return cached[1], cached[2], cached[3]
    keys = list(G.edges(keys=True))
    geoms = np.array([edge_line(G, *e) for e in keys], dtype=object)
    tree = shapely.STRtree(geoms)
    _EDGE_TREES[G] = (len(keys), tree, keys, geoms)
    return tree, keys, geoms


def nearest_edges(G: nx.MultiDiGraph, x, y, *, return_dist: bool = False):
    """The edge nearest to each point by great-circle distance, vectorised.

    The argument order is osmnx's (``ox.distance.nearest_edges(G, X, Y)``). One shapely
    ``STRtree`` of the edge geometries is built per graph; for all points at once it finds
    the nearest edge in degrees, then every edge within 1.5 times that distance (plus
    0.05°), and picks among them the edge whose closest point is nearest on the sphere.

    Parameters
    ----------
    G
        Graph whose edges have ``geometry`` (lon/lat) or nodes ``x``/``y``.
    x, y
        Longitudes and latitudes (degrees), scalars or equal-length arrays.
    return_dist
        Also return the great-circle distances in metres.

    Returns
    -------
    list of (u, v, key) (a single edge for scalar input), and the distances if asked.
    """
    import shapely

    scalar = np.ndim(x) == 0
    xs, ys = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    if xs.shape != ys.shape:
        raise SpecError("x and y must have the same length")
    if G.number_of_edges() == 0:
        raise SpecError("cannot find a nearest edge in a graph without edges")
    tree, keys, geoms = _edge_tree(G)
    pts = shapely.points(xs, ys)
    (p0, e0), d0 = tree.query_nearest(pts, all_matches=False, return_distance=True)
    reach = np.empty(len(pts))
    reach[p0] = d0 * 1.5 + 0.05
    pi, ei = tree.query(pts, predicate="dwithin", distance=reach)
    lines = geoms[ei]
    q = shapely.line_interpolate_point(lines, shapely.line_locate_point(lines, pts[pi]))
    d = 1000.0 * great_circle_km(ys[pi], xs[pi], shapely.get_y(q), shapely.get_x(q))
    order = np.lexsort((d, pi))                    # by point, then distance
    first = order[np.r_[True, pi[order][1:] != pi[order][:-1]]]
    best = [keys[int(i)] for i in ei[first]]
    dist = d[first]
    if scalar:
        return (best[0], float(dist[0])) if return_dist else best[0]
    return (best, dist) if return_dist else best


def fill_geometry(G: nx.MultiDiGraph) -> int:
    """Give every edge without a ``geometry`` the straight line u→v; return how many."""
    filled = 0
    for u, v, data in G.edges(data=True):
        if data.get("geometry") is None:
            data["geometry"] = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]),
                                           (G.nodes[v]["x"], G.nodes[v]["y"])])
            filled += 1
    if filled:
        log.info("filled straight-line geometry on %d edge(s) without one", filled)
    return filled
