"""Segment risk and route risk over a horizon, from a fitted hazard model.

The algebra (docs/model.md):

- segment ``e``: ``mu_e = rate_per_km_yr_e * L_e * T / 365.25`` expected disrupting
  incidents over ``T`` days and ``p_e = 1 - exp(-mu_e)``;
- route: ``mu = sum mu_e``; the independence formula ``1 - exp(-mu) = 1 - prod(1 - p_e)``
  is reported as ``p_independent``, and ``p_disrupt`` is the model's calibrated route
  probability (:mod:`routerisk.model.calibration`), which accounts for pieces failing
  together (one incident near a joint disrupts two pieces; attacks cluster in time and
  place)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from routerisk.errors import NodeNotFoundError, NoRouteError, RouteRiskError, SpecError
from routerisk.model.calibration import mu_from_p
from routerisk.model.fitted import FittedHazard
from routerisk.model.kernels import DAYS_PER_YEAR
from routerisk.model.lines import edge_lines, subset_lines
from routerisk.network.nodes import path_edges

#: Bootstrap replicates computed together (bounds the memory of a long incident history).
_BOOT_CHUNK = 50


def _model_horizon(model: FittedHazard, horizon_days: float | None) -> float:
    model._check_fitted("coef_")
    if horizon_days is not None and float(horizon_days) != float(model.horizon_days_):
        raise SpecError(f"the hazard model is fitted for {model.horizon_days_} days, not "
                        f"{horizon_days:g}: fit one with HazardModel(horizon_days="
                        f"{horizon_days:g}) (routerisk.model.build.fit_model)")
    return float(model.horizon_days_)


def segment_risk(G: nx.MultiDiGraph, model: FittedHazard, *, horizon_days: float | None = None,
                 write: bool = False) -> pd.DataFrame:
    """Risk of every edge of ``G`` over ``horizon_days``.

    Parameters
    ----------
    G
        Road graph (EPSG:4326, edge ``length`` in m, ``geometry`` LineStrings).
    model
        A fitted :class:`~routerisk.model.hazard.HazardModel` (or a saved one,
        :class:`~routerisk.model.fitted.SavedHazardModel`).
    horizon_days
        Horizon ``T`` in days; must be the model's (default: the model's).
    write
        Also write ``length_m``, ``rate_per_km_yr``, ``mu``, ``p_disrupt`` onto the edges,
        and ``risk_horizon_days``, ``risk_as_of``, ``route_calibration`` and the model
        itself (``risk_model``, for :func:`route_p_disrupt`) onto ``G.graph`` (default
        false: ``G`` is left unchanged).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(u, v, key)``, columns ``length_m``, ``rate_per_km_yr``, ``mu``
        (expected disrupting incidents over the horizon) and ``p_disrupt``.
    """
    horizon = _model_horizon(model, horizon_days)
    el = edge_lines(G)
    p = model.predict_lines(el.lines, el.length_km)
    mu = mu_from_p(p)
    frame = pd.DataFrame({"length_m": el.length_km * 1000.0,
                          "rate_per_km_yr": model.rate_from_p(p, el.length_km), "mu": mu,
                          "p_disrupt": p}, index=el.index)
    if write:
        for (u, v, k), row in zip(el.index, frame.itertuples(index=False), strict=True):
            data = G.edges[u, v, k]
            data["rate_per_km_yr"] = float(row.rate_per_km_yr)
            data["mu"] = float(row.mu)
            data["p_disrupt"] = float(row.p_disrupt)
        G.graph["risk_horizon_days"] = horizon
        G.graph["risk_as_of"] = model.as_of_.date().isoformat()
        G.graph["route_calibration"] = [float(c) for c in model.route_coef_]
        G.graph["risk_model"] = model
    return frame


def route_p_disrupt(G: nx.MultiDiGraph, edges: Sequence[tuple[Any, Any, Any]]) -> float:
    """P(a route is disrupted over the graph's risk horizon), the route given by its edges.

    On a graph whose risk was written by :func:`segment_risk` (``write=True``) this is the
    model's calibrated route probability — route μ, length and the route's own recent
    history (:meth:`~routerisk.model.hazard.HazardModel.route_probability`) — the figure
    :func:`route_risk` gives. Without the model, the independence formula
    ``1 − exp(−Σ μ)``, an upper bound.
    """
    steps = list(edges)
    mu = float(sum(float(G.edges[e].get("mu", 0.0) or 0.0) for e in steps))
    model = G.graph.get("risk_model")
    if model is None or not steps:
        return float(-np.expm1(-mu))
    el = edge_lines(edge_subgraph(G, steps))
    order = np.asarray([el.index.get_loc(s) for s in steps])
    lines, length_km = subset_lines(el.lines, order), el.length_km[order]
    history = model.route_history(lines, length_km)
    return float(model.route_probability(mu, float(length_km.sum()), history)[0])


@dataclass
class RouteRisk:
    """Risk of one route over a horizon.

    Attributes
    ----------
    horizon_days
        The horizon ``T`` (days).
    p_disrupt
        ``P(route disrupted)``, the model's calibrated route probability.
    p_independent
        ``1 - exp(-mu) = 1 - prod(1 - p_e)`` (pieces assumed independent; too high).
    mu
        Expected disrupting incidents along the route over the horizon.
    p_interval
        Bootstrap interval of ``p_disrupt`` at ``level`` (resampled incidents, fixed
        hyper-parameters); ``(nan, nan)`` when no model was given.
    mu_interval
        The same interval for ``mu``.
    level
        Coverage of the intervals (default 0.9).
    length_km
        Road length of the route.
    segments
        One row per edge in path order: ``u, v, key, km_from_start, length_km,
        rate_per_km_yr, mu, p_disrupt, share`` (share of the route's ``mu``).
    top_segments
        The ``n_top`` rows of ``segments`` with the largest ``mu``, riskiest first.
    route_history
        The route's own history behind ``p_disrupt``
        (:meth:`~routerisk.model.calibration.RouteHistory.to_dict`); ``None`` without a
        model.
    """

    horizon_days: float
    p_disrupt: float
    p_independent: float
    mu: float
    p_interval: tuple[float, float]
    mu_interval: tuple[float, float]
    level: float
    length_km: float
    segments: pd.DataFrame = field(repr=False)
    top_segments: pd.DataFrame = field(repr=False)
    route_history: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-value dict (for JSON)."""
        return {
            "horizon_days": self.horizon_days, "p_disrupt": self.p_disrupt,
            "p_independent": self.p_independent, "mu": self.mu,
            "p_interval": list(self.p_interval), "mu_interval": list(self.mu_interval),
            "interval_level": self.level, "length_km": self.length_km,
            "top_segments": self.top_segments.to_dict(orient="records"),
            "route_history": self.route_history,
        }


def _route_steps(G: nx.MultiDiGraph, path_nodes: Sequence[Any], weight: str
                 ) -> list[tuple[Any, Any, Any]]:
    """The ``(u, v, key)`` of each step of a node path, as routed by ``weight``.

    Raises
    ------
    NodeNotFoundError
        When a node is not in ``G``.
    NoRouteError
        When two consecutive nodes are not joined by an edge.
    """
    nodes = list(path_nodes)
    if len(nodes) < 2:
        raise SpecError(f"a route needs at least two nodes; got {len(nodes)}")
    for n in nodes:
        if n not in G:
            raise NodeNotFoundError(f"node {n!r} is not on the road graph")
    for u, v in zip(nodes[:-1], nodes[1:], strict=True):
        if not G.has_edge(u, v):
            raise NoRouteError(f"no edge from node {u!r} to node {v!r}")
    return path_edges(G, nodes, weight=weight)


def route_risk(G: nx.MultiDiGraph, path_nodes: Sequence[Any], *,
               model: FittedHazard | None = None, horizon_days: float | None = None,
               weight: str = "travel_time", n_boot: int = 200, level: float = 0.9,
               n_top: int = 10, random_state: int | None = 0) -> RouteRisk:
    """Risk that a route is disrupted over the horizon.

    With a fitted ``model`` the pieces' probabilities are computed for the route's edges
    and the interval comes from ``n_boot`` bootstrap resamples of the model's training
    incidents (coefficients fixed; only the incident sample varies). Without a model the
    edge attributes written by ``segment_risk(..., write=True)`` are used and there is no
    interval, and ``p_disrupt`` is the independence formula (no incident history to
    calibrate with).

    Parameters
    ----------
    G
        Road graph.
    path_nodes
        The route as a list of nodes.
    model
        A fitted hazard model, or ``None`` to use the risk already on the edges.
    horizon_days
        Horizon in days; with a model it must be the model's (default).
    weight
        The edge weight the route was found with: between two nodes the parallel edge
        that is lightest by it is the one travelled (default ``travel_time``).
    n_boot
        Bootstrap replicates (0: no interval).
    level
        Coverage of the interval.
    n_top
        Number of riskiest segments in ``top_segments``.
    random_state
        Seed of the bootstrap.
    """
    steps = _route_steps(G, path_nodes, weight)
    sub = edge_subgraph(G, steps)
    el = edge_lines(sub)
    order = [el.index.get_loc(s) for s in steps]
    lines = subset_lines(el.lines, np.asarray(order))
    length_km = el.length_km[order]
    lo = hi = mlo = mhi = float("nan")
    L = float(length_km.sum())
    history = None
    if model is not None:
        horizon = _model_horizon(model, horizon_days)
        p = model.predict_lines(lines, length_km)
        history = model.route_history(lines, length_km)
        if n_boot > 0 and model.n_incidents_ > 0:
            rng = np.random.default_rng(random_state)
            n = model.n_incidents_
            mus, ps = np.empty(n_boot), np.empty(n_boot)
            for start in range(0, n_boot, _BOOT_CHUNK):
                stop = min(start + _BOOT_CHUNK, n_boot)
                counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n)
                                   for _ in range(start, stop)]).astype(float)
                for b, pb in enumerate(model.predict_lines_resampled(lines, length_km, counts),
                                       start):
                    mus[b] = float(mu_from_p(pb).sum())
                    ps[b] = float(model.route_probability(mus[b], L, history)[0])
            q = [(1 - level) / 2, 1 - (1 - level) / 2]
            mlo, mhi = (float(v) for v in np.quantile(mus, q))
            lo, hi = (float(v) for v in np.quantile(ps, q))
        mu_e = mu_from_p(p)
        rate = model.rate_from_p(p, length_km)
        mu = float(mu_e.sum())
        p_route = float(model.route_probability(mu, L, history)[0])
    else:
        if "risk_horizon_days" not in G.graph:
            raise RouteRiskError("no hazard model given and no segment risk on the graph: "
                                 "call segment_risk(G, model, write=True) first or pass "
                                 "model=")
        horizon = float(G.graph["risk_horizon_days"])
        if horizon_days is not None and float(horizon_days) != horizon:
            raise SpecError(f"the graph holds risk for {horizon:g} days, not {horizon_days}")
        rate = np.array([G.edges[s].get("rate_per_km_yr", np.nan) for s in steps], float)
        if np.isnan(rate).any():
            raise RouteRiskError("some route edges have no 'rate_per_km_yr': run "
                                 "segment_risk(..., write=True) on this graph first")
        mu_e = rate * length_km * horizon / DAYS_PER_YEAR
        mu = float(mu_e.sum())
        # the graph carries no incident history for the route-level term of the
        # calibration: the independence formula (an upper bound) is what is left
        p_route = float(-np.expm1(-mu))
    km_from_start = np.concatenate([[0.0], np.cumsum(length_km)[:-1]])
    segs = pd.DataFrame({
        "u": [s[0] for s in steps], "v": [s[1] for s in steps],
        "key": [s[2] for s in steps], "km_from_start": km_from_start,
        "length_km": length_km, "rate_per_km_yr": rate, "mu": mu_e,
        "p_disrupt": -np.expm1(-mu_e), "share": mu_e / mu if mu > 0 else 0.0,
    })
    top = segs.sort_values(["mu", "km_from_start"], ascending=[False, True],
                           kind="stable").head(n_top).reset_index(drop=True)
    return RouteRisk(horizon_days=horizon, p_disrupt=p_route,
                     p_independent=float(-np.expm1(-mu)), mu=mu,
                     p_interval=(lo, hi), mu_interval=(mlo, mhi), level=level,
                     length_km=L, segments=segs, top_segments=top,
                     route_history=None if history is None else history.to_dict())


def edge_subgraph(G: nx.MultiDiGraph, edges: Sequence[tuple[Any, Any, Any]]
                  ) -> nx.MultiDiGraph:
    """A new graph holding just ``edges`` (with their nodes and attributes)."""
    sub = nx.MultiDiGraph()
    sub.graph.update(G.graph)
    for u, v, k in edges:
        sub.add_node(u, **G.nodes[u])
        sub.add_node(v, **G.nodes[v])
        sub.add_edge(u, v, k, **G.edges[u, v, k])
    return sub
