"""Corridor subgraphs and routes through a corridor's waypoints.

:func:`corridor_graph` cuts a road graph down to one corridor: the edges lying (at least
half of their length) inside the buffer of ``buffer_km`` around the waypoint polyline,
reduced to the part that lies on some route between the corridor's two end points, so the
alternatives inside the buffer stay and dead ends and detached roads go.

:func:`corridor_route` is the fastest route (or shortest, with ``weight="length"``) from the
first to the last waypoint passing every intermediate waypoint in order. A waypoint is
passed at its nearest node when that node is within :data:`NODE_SNAP_M` of the nearest road
point, otherwise along its nearest road edge (so waypoints between the nodes of a coarse
graph are honoured too)."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import shapely
from shapely.geometry import Point

from routerisk.errors import NoRouteError, SpecError
from routerisk.geo.sphere import great_circle_km
from routerisk.network.corridors import Corridor, Waypoint, corridor_polygon, get_corridor
from routerisk.network.naming import towns_passed
from routerisk.network.nodes import nearest_edges, nearest_node, path_edges, route_line

log = logging.getLogger(__name__)


__all__ = ["corridor_graph", "corridor_polygon", "corridor_route", "corridor_summary",
           "waypoints_passed"]


#: A waypoint is passed at a node when the node is at most this much farther (m) than the
#: nearest point of any road edge.
NODE_SNAP_M = 5_000.0


#: An edge belongs to the corridor when at least this share of its geometry is in the buffer.
MIN_INSIDE_SHARE = 0.5


def _edge_arrays(G: nx.MultiDiGraph):
    keys = list(G.edges(keys=True))
    geoms = np.array([G.edges[e]["geometry"] for e in keys], dtype=object)
    return keys, geoms


def _on_some_route(U: nx.Graph, s: Hashable, t: Hashable) -> set:
    """Nodes lying on some simple s–t path of the undirected graph ``U``.

    With an extra edge s–t, those are exactly the nodes of the biconnected block holding
    that edge.
    """
    if s == t:
        return {s}
    H = nx.Graph(U)
    H.add_edge(s, t)
    for block in nx.biconnected_component_edges(H):
        if (s, t) in block or (t, s) in block:
            return {n for edge in block for n in edge}
    return {s, t}  # pragma: no cover (the edge s-t is always in some block)


def corridor_graph(G: nx.MultiDiGraph, corridor: Corridor | str, *,
                   buffer_km: float | None = None) -> nx.MultiDiGraph:
    """The part of ``G`` inside the corridor that connects its end points.

    Parameters
    ----------
    G
        Road graph in EPSG:4326 with edge ``geometry``.
    corridor
        A :class:`~routerisk.network.corridors.Corridor` or its name.
    buffer_km
        Override the corridor's buffer width (km).

    Returns
    -------
    networkx.MultiDiGraph
        A copy holding the edges with at least half their geometry in the buffer that lie on
        some route between the nodes nearest to the first and last waypoints. Graph
        attributes ``corridor``, ``buffer_km``, ``origin_node``, ``destination_node``.

    Raises
    ------
    NoRouteError
        When the roads inside the buffer do not connect the two end points.
    """
    c = get_corridor(corridor)
    width_km = c.buffer_km if buffer_km is None else float(buffer_km)
    poly = corridor_polygon(c, width_km)
    keys, geoms = _edge_arrays(G)
    if not keys:
        raise NoRouteError(f"corridor '{c.name}': the road graph has no edges")
    tree = shapely.STRtree(geoms)
    hits = tree.query(poly, predicate="intersects")
    shapely.prepare(poly)
    inside_len = shapely.length(shapely.intersection(geoms[hits], poly))
    total_len = shapely.length(geoms[hits])
    share = np.where(total_len > 0, inside_len / np.where(total_len > 0, total_len, 1), 1.0)
    kept = [keys[i] for i, ok in zip(hits, share >= MIN_INSIDE_SHARE, strict=True) if ok]
    if not kept:
        raise NoRouteError(f"corridor '{c.name}': no road lies inside its {width_km:g} km "
                           f"buffer")
    inside = G.edge_subgraph(kept)
    ends = []
    for w in (c.origin, c.destination):
        node, dist_m = nearest_node(inside, w.lon, w.lat, return_dist=True)
        if dist_m > width_km * 1000:
            raise NoRouteError(f"corridor '{c.name}': {w.name} is {dist_m / 1000:.1f} km from "
                               f"the nearest road node inside the {width_km:g} km buffer")
        ends.append(node)
    s, t = ends
    U = nx.Graph(inside.to_undirected(as_view=True))
    if not nx.has_path(U, s, t):
        raise NoRouteError(
            f"corridor '{c.name}': the roads within {width_km:g} km of its waypoints do not "
            f"connect {c.origin.name} to {c.destination.name}; widen buffer_km or use a "
            f"network that covers the corridor")
    on_route = _on_some_route(U, s, t)
    sub = inside.subgraph(on_route)
    forward = nx.descendants(sub, s) | {s}
    backward = nx.ancestors(sub, t) | {t}
    if t not in forward:
        raise NoRouteError(f"corridor '{c.name}': no drivable route from {c.origin.name} to "
                           f"{c.destination.name} inside the buffer (one-way roads)")
    H = nx.MultiDiGraph(sub.subgraph(forward & backward))
    H.graph.update(G.graph)
    H.graph.update(corridor=c.name, buffer_km=width_km, origin_node=s, destination_node=t)
    log.info("corridor %s: %d nodes, %d edges within %g km (%d edges in the buffer)",
             c.name, H.number_of_nodes(), H.number_of_edges(), width_km, len(kept))
    return H


@dataclass(frozen=True)
class _Via:
    """How a waypoint is passed: options (entry node, exit node, cost of the passage)."""

    waypoint: Waypoint
    options: tuple[tuple[Hashable, Hashable, float], ...]
    snap_m: float


def _edge_weight(G: nx.MultiDiGraph, u: Hashable, v: Hashable, weight: str) -> float:
    return min(float(d.get(weight, np.inf)) for d in G[u][v].values())


def _vias(G: nx.MultiDiGraph, corridor: Corridor, weight: str, max_snap_m: float
          ) -> list[_Via]:
    edges, edges_m = nearest_edges(G, [w.lon for w in corridor.waypoints],
                                   [w.lat for w in corridor.waypoints], return_dist=True)
    vias: list[_Via] = []
    problems = []
    last = len(corridor.waypoints) - 1
    for i, w in enumerate(corridor.waypoints):
        node, node_m = nearest_node(G, w.lon, w.lat, return_dist=True)
        edge, edge_m = edges[i], float(edges_m[i])
        snap_m = min(node_m, edge_m)
        if snap_m > max_snap_m:
            problems.append(f"waypoint {i + 1} '{w.name}' is {snap_m / 1000:.1f} km from the "
                            f"nearest road of the corridor (limit {max_snap_m / 1000:g} km)")
            continue
        if i in (0, last) or node_m <= edge_m + NODE_SNAP_M:
            vias.append(_Via(w, ((node, node, 0.0),), node_m))
            continue
        a, b, _ = edge
        options = [(x, y, _edge_weight(G, x, y, weight)) for x, y in ((a, b), (b, a))
                   if G.has_edge(x, y)]
        vias.append(_Via(w, tuple(options), edge_m))
    if problems:
        raise SpecError(f"corridor '{corridor.name}': " + "; ".join(problems))
    # consecutive waypoints passed the same way count once
    merged = [vias[0]]
    for via in vias[1:]:
        if {o[:2] for o in via.options} != {o[:2] for o in merged[-1].options}:
            merged.append(via)
    return merged


def corridor_route(G: nx.MultiDiGraph, corridor: Corridor | str,
                   weight: str = "travel_time", *, within_corridor: bool = True,
                   max_snap_km: float | None = None) -> list[Hashable]:
    """The fastest route from the first to the last waypoint through every waypoint in order.

    Parameters
    ----------
    G
        Road graph (EPSG:4326).
    corridor
        A corridor or its name.
    weight
        Edge attribute to minimise: ``"travel_time"`` (s, default) or ``"length"`` (m).
    within_corridor
        Route inside :func:`corridor_graph` (default) or on the whole of ``G``.
    max_snap_km
        How far (km) a waypoint may be from the nearest road; default the buffer width.

    Returns
    -------
    list
        Node ids from the node nearest the origin to the node nearest the destination.

    Raises
    ------
    SpecError
        When a waypoint is farther than ``max_snap_km`` from every road.
    NoRouteError
        When no route passes the waypoints in order.
    """
    c = get_corridor(corridor)
    H = corridor_graph(G, c) if within_corridor else G
    max_snap_m = (c.buffer_km if max_snap_km is None else float(max_snap_km)) * 1000
    vias = _vias(H, c, weight, max_snap_m)
    # dynamic programme over the ways of passing each waypoint
    cost = {opt: opt[2] for opt in vias[0].options}
    back: list[dict] = []
    for prev, via in zip(vias[:-1], vias[1:], strict=True):
        dist_from = {}
        path_from = {}
        for opt in cost:
            exit_node = opt[1]
            if exit_node not in dist_from:
                dist_from[exit_node], path_from[exit_node] = nx.single_source_dijkstra(
                    H, exit_node, weight=weight)
        new_cost, choice = {}, {}
        for opt in via.options:
            best, arg = np.inf, None
            for p_opt, p_cost in cost.items():
                d = dist_from[p_opt[1]].get(opt[0], np.inf)
                if p_cost + d < best:
                    best, arg = p_cost + d, p_opt
            if arg is not None:
                new_cost[opt] = best + opt[2]
                choice[opt] = (arg, path_from[arg[1]][opt[0]])
        if not new_cost:
            raise NoRouteError(f"corridor '{c.name}': no route from {prev.waypoint.name} to "
                               f"{via.waypoint.name} inside the corridor")
        back.append(choice)
        cost = new_cost
    opt = min(cost, key=cost.get)
    legs = []
    for choice in reversed(back):
        prev_opt, leg = choice[opt]
        legs.append((opt, leg))
        opt = prev_opt
    path = [opt[0]] if opt[0] == opt[1] else [opt[0], opt[1]]
    for cur, leg in reversed(legs):
        path += leg[1:]
        if cur[0] != cur[1]:
            path.append(cur[1])
    log.info("corridor %s: route of %d nodes through %d waypoint(s)", c.name, len(path),
             len(vias))
    return path


def waypoints_passed(G: nx.MultiDiGraph, path: Sequence[Hashable], corridor: Corridor | str,
                     *, within_km: float = 10.0) -> list[str]:
    """The corridor's waypoints lying within ``within_km`` of the path's line, in order."""
    c = get_corridor(corridor)
    line = route_line(G, path)
    names = []
    for w in c.waypoints:
        q = line.interpolate(line.project(Point(w.lon, w.lat)))
        if great_circle_km(w.lat, w.lon, q.y, q.x) <= within_km:
            names.append(w.name)
    return names


def corridor_summary(G: nx.MultiDiGraph, corridor: Corridor | str,
                     weight: str = "travel_time") -> dict:
    """Size of a corridor's graph and its fastest route through the waypoints.

    Returns
    -------
    dict
        ``corridor``, ``buffer_km``, ``nodes``, ``edges`` (directed), ``segments`` (road
        pieces, two-way roads counted once), ``parent_edges`` (road edges before
        segmentation, directed), ``total_km`` (road length, two-way roads counted once),
        ``max_segment_km`` (longest piece) and ``route``: ``from``, ``to``, ``km``,
        ``hours``, ``segments``, ``towns`` (node ``city`` names passed) and ``waypoints``
        (the corridor's waypoints within 10 km of the route).
    """
    from routerisk.network.segments import road_pieces

    c = get_corridor(corridor)
    H = corridor_graph(G, c)
    pieces = road_pieces(H)
    parents = {(d.get("parent_u", u), d.get("parent_v", v), d.get("parent_key", k))
               for u, v, k, d in H.edges(keys=True, data=True)}
    route = corridor_route(H, c, weight=weight, within_corridor=False)
    used = path_edges(G, route, weight)
    return {
        "corridor": c.name,
        "buffer_km": c.buffer_km,
        "nodes": H.number_of_nodes(),
        "edges": H.number_of_edges(),
        "segments": len(pieces),
        "parent_edges": len(parents),
        "total_km": round(sum(H.edges[e]["length"] for e in pieces) / 1000, 1),
        "max_segment_km": round(max(d["length"] for _, _, d in H.edges(data=True)) / 1000, 2),
        "route": {
            "from": c.origin.name,
            "to": c.destination.name,
            "km": round(sum(G.edges[e]["length"] for e in used) / 1000, 1),
            "hours": round(sum(G.edges[e]["travel_time"] for e in used) / 3600, 2),
            "segments": len(route) - 1,
            "towns": towns_passed(G, route),
            "waypoints": waypoints_passed(G, route, c),
        },
    }

