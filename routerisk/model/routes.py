"""The routes the route calibration learns on: random shortest paths of every length and
the corridors of ``corridors.toml``, as positions into the two-way pieces of a graph
(:func:`routerisk.model.lines.undirected_positions`)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

_ROUTE_CACHE: dict[tuple, Any] = {}


def corridor_routes(G, edge_index: list[tuple], undirected: np.ndarray
                    ) -> dict[str, np.ndarray]:
    """The fastest route of every corridor of ``corridors.toml`` on ``G`` as positions into
    the two-way pieces; corridors that cannot be routed on ``G`` are left out (logged)."""
    from routerisk.errors import RouteRiskError
    from routerisk.network.corridor_graph import corridor_route
    from routerisk.network.corridors import load_corridors
    from routerisk.network.nodes import path_edges

    key = ("corridors", tuple(edge_index[i] for i in undirected[:50]), len(undirected))
    if key in _ROUTE_CACHE:
        return _ROUTE_CACHE[key]
    pos = {}
    for j, p in enumerate(undirected):
        u, v, k = edge_index[p]
        pos[(u, v, k) if str(u) <= str(v) else (v, u, k)] = j
    out: dict[str, np.ndarray] = {}
    for name, corridor in load_corridors().items():
        try:
            edges = path_edges(G, corridor_route(G, corridor), weight="travel_time")
        except RouteRiskError as exc:
            logger.info("route calibration: corridor %s not on this network (%s)", name, exc)
            continue
        out[name] = np.array([pos[(u, v, k) if str(u) <= str(v) else (v, u, k)]
                              for u, v, k in edges], dtype=np.int64)
    _ROUTE_CACHE[key] = out
    return out


def sample_routes(edge_index: list[tuple], undirected: np.ndarray, length_km: np.ndarray, *,
                  n_routes: int = 300, max_km: float = 1500.0, min_pieces: int = 2,
                  random_state: int = 0) -> list[np.ndarray]:
    """Random routes as arrays of positions into the two-way pieces.

    Parameters
    ----------
    edge_index
        ``(u, v, key)`` of every edge of the graph.
    undirected
        Positions (into ``edge_index``) of one edge per two-way piece, as
        :func:`routerisk.model.lines.undirected_positions` gives them.
    length_km
        Road length of each two-way piece (same order as ``undirected``).
    n_routes, max_km, min_pieces
        How many routes, their longest length and fewest pieces.
    random_state
        Seed.
    """
    from scipy.sparse import csgraph

    key = (tuple(edge_index[i] for i in undirected[:50]), len(undirected), n_routes, max_km,
           random_state)
    if key in _ROUTE_CACHE:
        return _ROUTE_CACHE[key]
    names: dict = {}
    ends = []
    for p in undirected:
        u, v, _ = edge_index[p]
        ends.append((names.setdefault(u, len(names)), names.setdefault(v, len(names))))
    a_idx = np.array([e[0] for e in ends])
    b_idx = np.array([e[1] for e in ends])
    n = len(names)
    # lightest piece between two nodes (both directions)
    best: dict[tuple[int, int], int] = {}
    for j, (a, b) in enumerate(ends):
        k = (min(a, b), max(a, b))
        if k not in best or length_km[best[k]] > length_km[j]:
            best[k] = j
    pieces = np.array(sorted(best.values()))
    W = sp.csr_matrix((np.maximum(length_km[pieces], 1e-6), (a_idx[pieces], b_idx[pieces])),
                      shape=(n, n))
    rng = np.random.default_rng(random_state)
    starts = rng.permutation(n)[: max(1, int(np.ceil(n_routes / 3)))]
    dist, pred = csgraph.dijkstra(W, directed=False, indices=starts, limit=max_km,
                                  return_predecessors=True)
    routes: list[np.ndarray] = []
    for i, s0 in enumerate(starts):
        ok = np.flatnonzero(np.isfinite(dist[i]))
        ok = ok[ok != s0]
        taken = 0
        for t in rng.permutation(ok):
            seq, node = [], int(t)
            while node != s0:
                prev = int(pred[i, node])
                seq.append(best[(min(prev, node), max(prev, node))])
                node = prev
            if len(seq) >= min_pieces:
                routes.append(np.array(seq[::-1], dtype=np.int64))
                taken += 1
            if taken == 3:
                break
    routes = routes[:n_routes]
    if len(_ROUTE_CACHE) >= 4:
        _ROUTE_CACHE.pop(next(iter(_ROUTE_CACHE)))
    _ROUTE_CACHE[key] = routes
    return routes


def training_routes(G, edge_index: list[tuple], undirected: np.ndarray,
                    length_km: np.ndarray, how: str, n_routes: int, random_state: int
                    ) -> tuple[list[np.ndarray], str]:
    """The routes the calibration learns on and their name: ``n_routes`` random routes
    (:func:`sample_routes`), which span quiet and violent roads of every length, plus
    (``how="corridors"``) the corridors' fastest routes that can be routed on ``G``."""
    routes = sample_routes(edge_index, undirected, length_km, n_routes=n_routes,
                           random_state=random_state)
    if how == "corridors":
        corridors = list(corridor_routes(G, edge_index, undirected).values())
        if corridors:
            return routes + corridors, f"random routes and {len(corridors)} corridors"
    return routes, "random routes"
