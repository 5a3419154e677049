"""Route-level calibration: the probability that a route is disrupted, given its pieces.

Pieces of one route do not fail independently: one incident near the joint of two pieces
lies within reach of both, and attacks cluster in time and place. The independence formula
``P = 1 - prod(1 - p_e) = 1 - exp(-mu)`` with ``mu = sum_e -ln(1 - p_e)`` is therefore too
high. The model learns the correction from history: routes (random shortest paths of every
length up to ``max_km``, plus the corridors) are scored at each of the latest covered
windows over five years and compared with whether any of their pieces was hit. A logistic
regression

    logit P(route) = a + b * ln(mu) + c * ln(length_km) + d * s

fitted on those route-windows gives the route probability; ``s`` is the share of the
route's previous windows (:func:`n_prior_windows` of them: five years) in which it was
disrupted: a shared route-level term that carries the route's long-run level and the
clustering of incidents along a road that the pieces' own features miss. ``b < 1`` and
``c < 0`` mean the pieces' risks add up less than independently along a long route."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

_ROUTE_CACHE: dict[tuple, Any] = {}


#: Coefficients that mean "no calibration learnt": logit P = ln mu (close to independence
#: for small mu).
NO_CALIBRATION = (0.0, 1.0, 0.0, 0.0)


def expit(z: np.ndarray | float) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, elementwise (float64).

    Computed with the C library's ``exp`` (:func:`math.exp`), which gives the same numbers
    as ``scipy.special.expit`` (importing scipy.special costs more than scoring a route).
    """
    flat = np.asarray(z, dtype=float)
    out = np.fromiter(map(_expit1, flat.ravel().tolist()), dtype=float, count=flat.size)
    return out.reshape(flat.shape)


def _expit1(z: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-z))
    except OverflowError:  # exp(-z) beyond the largest float: the C exp gives inf
        return 0.0


#: History (days) over which a route's disrupted share is taken: its long-run level.
SHARE_HISTORY_DAYS = 1825


def n_prior_windows(horizon_days: int) -> int:
    """Previous windows whose disrupted share enters the route calibration: five years'
    worth (:data:`SHARE_HISTORY_DAYS`), at least 3 — the route's long-run level, so that a
    recent escalation is not carried forward unchecked."""
    return max(3, SHARE_HISTORY_DAYS // int(horizon_days))


def mu_from_p(p: np.ndarray | float) -> np.ndarray:
    """``mu = -ln(1 - p)``: the expected number of disrupting incidents that gives
    probability ``p`` of at least one (Poisson view; ``p`` clipped just below 1)."""
    return -np.log1p(-np.clip(np.asarray(p, float), 0.0, 1.0 - 1e-12))


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
                          y: np.ndarray, *, C: float = 1.0) -> np.ndarray:
    """Fit ``[a, b, c, d]`` on route-windows: a logistic regression on the standardised
    design (L2 penalty ``1/C``, the same pull towards the mean rate for every input),
    returned on the raw design of :func:`route_design`."""
    from sklearn.linear_model import LogisticRegression  # fitting only (slow import)

    y = np.asarray(y, int)
    if len(y) == 0 or y.min() == y.max():
        return np.asarray(NO_CALIBRATION, float)
    X = route_design(mu, length_km, share)
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-9
    lr = LogisticRegression(C=C, max_iter=1000).fit((X - mean) / scale, y)
    b = lr.coef_[0] / scale
    return np.concatenate([[lr.intercept_[0] - float(b @ mean)], b]).astype(float)


def route_origins(as_of_day: float, horizon_days: int, step_days: int, first_day: float,
                  spans: list, n_windows: int) -> list[float]:
    """Origins (days since 1970-01-01) of the route-calibration windows: the latest
    ``n_windows`` windows, every ``step_days`` back from ``as_of_day - horizon_days``, whose
    outcome and previous windows (:func:`n_prior_windows`) lie in the covered periods and
    have a year of history before them."""
    from routerisk.model.coverage import covered

    T = int(horizon_days)
    n_prior = n_prior_windows(T)
    lead = max(365, n_prior * T)
    out: list[float] = []
    k = 0
    while len(out) < n_windows:
        o = as_of_day - T - k * step_days
        if o - lead < first_day:
            break
        if covered(spans, o - n_prior * T, o + T):
            out.append(o)
        k += 1
    return out


def route_incidence(routes: list[np.ndarray], n_pieces: int) -> sp.csr_matrix:
    """(n_routes, n_pieces) matrix with a 1 where a route uses a piece: ``M @ mu_e`` sums
    the pieces of every route, ``(M @ hit_e) > 0`` says whether any was hit."""
    rows = np.concatenate([np.full(len(r), i) for i, r in enumerate(routes)])
    M = sp.csr_matrix((np.ones(len(rows)), (rows, np.concatenate(routes))),
                      shape=(len(routes), n_pieces))
    M.data[:] = 1.0
    return M


def learn_route_calibration(space: Any, predict: Any, routes: list[np.ndarray],
                            length_km: np.ndarray, origins: list[float], horizon_days: int,
                            *, C: float = 1.0) -> tuple[np.ndarray, int]:
    """Route calibration learnt from the history of ``routes``: at every origin the fitted
    piece model (``predict``: feature matrix -> probabilities) gives ``mu``, the labels the
    outcome and the share of the :func:`n_prior_windows` windows before it in which the
    route was disrupted; returns the coefficients and the number of route-windows.

    Parameters
    ----------
    space
        The :class:`~routerisk.model.features.FeatureSpace` of the two-way pieces.
    routes
        Positions of each route's pieces.
    origins
        Window starts (:func:`route_origins`).
    """
    T = int(horizon_days)
    if not routes or not origins:
        return np.asarray(NO_CALIBRATION, float), 0
    M = route_incidence(routes, len(length_km))
    hits: dict[float, np.ndarray] = {}

    def hit(start: float) -> np.ndarray:
        if start not in hits:
            hits[start] = (M @ space.labels(start, start + T)) > 0
        return hits[start]

    n_prior = n_prior_windows(T)
    mu = np.concatenate([M @ mu_from_p(predict(space.at(o))) for o in origins])
    y = np.concatenate([hit(o) for o in origins]).astype(int)
    share = np.concatenate([np.mean([hit(o - k * T) for k in range(1, n_prior + 1)], axis=0)
                            for o in origins])
    length = np.tile(M @ np.asarray(length_km, float), len(origins))
    return fit_route_calibration(mu, length, share, y, C=C), len(y)


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
