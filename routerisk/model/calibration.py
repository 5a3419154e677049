"""Route-level calibration: the probability that a route is disrupted, given its pieces.

Pieces of one route do not fail independently: one incident near the joint of two pieces
lies within reach of both, and attacks cluster in time and place. The independence formula
``P = 1 - prod(1 - p_e) = 1 - exp(-mu)`` with ``mu = sum_e -ln(1 - p_e)`` is therefore too
high. The model learns the correction from its own training windows: routes sampled on the
network (shortest paths between random nodes, of every length up to ``max_km``) are scored
at each training origin and compared with whether any of their pieces was hit. A logistic
regression

    logit P(route) = a + b * ln(mu) + c * ln(length_km) + d * s

fitted on those route-windows gives the route probability; ``s`` is the share of the
route's previous windows (:func:`n_prior_windows` of them, just before the origin) in
which it was disrupted: a shared route-level term that carries the clustering of incidents
along a road that the pieces' own features miss. ``b < 1`` and ``c < 0`` mean the pieces'
risks add up less than independently along a long route."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

logger = logging.getLogger(__name__)

_ROUTE_CACHE: dict[tuple, Any] = {}


#: Coefficients that mean "no calibration learnt": logit P = ln mu (close to independence
#: for small mu).
NO_CALIBRATION = (0.0, 1.0, 0.0, 0.0)


def n_prior_windows(horizon_days: int) -> int:
    """Previous windows whose disrupted share enters the route calibration (a year's worth,
    at least 3)."""
    return max(3, 360 // int(horizon_days))


def route_design(mu: np.ndarray, length_km: np.ndarray, share: np.ndarray) -> np.ndarray:
    """The calibration's inputs ``[ln mu, ln length_km, share]`` (mu floored at 1e-9)."""
    mu = np.maximum(np.asarray(mu, float), 1e-9)
    return np.column_stack([np.log(mu), np.log(np.maximum(np.asarray(length_km, float),
                                                          1e-3)),
                            np.asarray(share, float)])


def route_probability(coef: np.ndarray, mu: np.ndarray | float, length_km: np.ndarray | float,
                      share: np.ndarray | float) -> np.ndarray:
    """Calibrated route probability from ``coef = [a, b, c, d]``."""
    z = route_design(np.atleast_1d(mu), np.atleast_1d(length_km),
                     np.atleast_1d(share)) @ np.asarray(coef[1:])
    return expit(coef[0] + z)


def fit_route_calibration(mu: np.ndarray, length_km: np.ndarray, share: np.ndarray,
                          y: np.ndarray, *, C: float = 10.0) -> np.ndarray:
    """Fit ``[a, b, c, d]`` on route-windows (logistic regression, L2 penalty ``1/C``)."""
    y = np.asarray(y, int)
    if len(y) == 0 or y.min() == y.max():
        return np.asarray(NO_CALIBRATION, float)
    lr = LogisticRegression(C=C, max_iter=1000).fit(route_design(mu, length_km, share), y)
    return np.concatenate([lr.intercept_, lr.coef_[0]]).astype(float)


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


def route_windows(p_seg: np.ndarray, y_seg: np.ndarray, prior: np.ndarray,
                  routes: list[np.ndarray], length_km: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``mu``, length, prior disrupted share and outcome of every (route, window).

    ``p_seg`` and ``y_seg`` are (n_pieces, n_windows): piece probabilities and labels;
    ``prior`` is (n_pieces, n_windows, n_prior): labels of the previous windows.
    """
    mu_seg = -np.log1p(-np.clip(p_seg, 0.0, 1.0 - 1e-12))
    mus, lens, shares, ys = [], [], [], []
    for r in routes:
        mus.append(mu_seg[r].sum(axis=0))
        ys.append(y_seg[r].max(axis=0))
        shares.append(prior[r].max(axis=0).mean(axis=-1))
        lens.append(np.full(p_seg.shape[1], length_km[r].sum()))
    return (np.concatenate(mus), np.concatenate(lens), np.concatenate(shares),
            np.concatenate(ys))
