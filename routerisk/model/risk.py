"""Segment risk and route risk over a horizon, from a fitted hazard model.

The algebra (docs/model.md):

- segment ``e``: ``mu_e = rate_per_km_yr_e * L_e * T / 365.25`` expected disrupting
  incidents over ``T`` days and ``p_e = 1 - exp(-mu_e)``;
- route: ``mu = sum mu_e`` and ``P(route disrupted) = 1 - exp(-mu) = 1 - prod(1 - p_e)``.

The route formula assumes segments are disrupted independently. They are not: attacks
cluster in time and place, and one incident near the joint of two pieces disrupts both.
Summing ``mu_e`` therefore *over*-counts incidents near joints (a conservative bias) and
ignores clustering in time (which makes several incidents on one route in one window more
likely than Poisson, so ``P`` is again too high for a given ``mu``). The backtest measures
how wrong the route formula is on real routes (:func:`routerisk.backtest.route_backtest`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from routerisk.errors import NodeNotFoundError, NoRouteError, RouteRiskError, SpecError
from routerisk.model.hazard import HazardModel
from routerisk.model.kernels import DAYS_PER_YEAR
from routerisk.model.lines import EdgeLines, edge_lines
from routerisk.network.nodes import path_edges


def _check_horizon(horizon_days: float) -> float:
    if not (isinstance(horizon_days, (int, float)) and horizon_days > 0):
        raise SpecError(f"horizon_days must be a positive number; got {horizon_days!r}")
    return float(horizon_days)


def segment_risk(G: nx.MultiDiGraph, model: HazardModel, *, horizon_days: float = 30,
                 write: bool = True) -> pd.DataFrame:
    """Risk of every edge of ``G`` over ``horizon_days``.

    Parameters
    ----------
    G
        Road graph (EPSG:4326, edge ``length`` in m, ``geometry`` LineStrings).
    model
        A fitted :class:`~routerisk.hazard.HazardModel`.
    horizon_days
        Horizon ``T`` in days.
    write
        Also write ``length_m``, ``rate_per_km_yr``, ``mu``, ``p_disrupt`` onto the edges
        and ``G.graph["risk_horizon_days"]`` (default true).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(u, v, key)``, columns ``length_m``, ``rate_per_km_yr``, ``mu``
        (expected disrupting incidents over the horizon) and ``p_disrupt``.
    """
    horizon = _check_horizon(horizon_days)
    el = edge_lines(G)
    rate = model.predict_rate(G).to_numpy()
    return _write(G, el, rate, horizon, write)


def _write(G: nx.MultiDiGraph, el: EdgeLines, rate: np.ndarray, horizon: float,
           write: bool) -> pd.DataFrame:
    length_m = el.length_km * 1000.0
    mu = rate * el.length_km * horizon / DAYS_PER_YEAR
    frame = pd.DataFrame({"length_m": length_m, "rate_per_km_yr": rate, "mu": mu,
                          "p_disrupt": -np.expm1(-mu)}, index=el.index)
    if write:
        for (u, v, k), row in zip(el.index, frame.itertuples(index=False), strict=True):
            data = G.edges[u, v, k]
            data["rate_per_km_yr"] = float(row.rate_per_km_yr)
            data["mu"] = float(row.mu)
            data["p_disrupt"] = float(row.p_disrupt)
        G.graph["risk_horizon_days"] = horizon
    return frame


@dataclass
class RouteRisk:
    """Risk of one route over a horizon.

    Attributes
    ----------
    horizon_days
        The horizon ``T`` (days).
    p_disrupt
        ``P(route disrupted) = 1 - exp(-mu)`` (segments assumed independent).
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
    """

    horizon_days: float
    p_disrupt: float
    mu: float
    p_interval: tuple[float, float]
    mu_interval: tuple[float, float]
    level: float
    length_km: float
    segments: pd.DataFrame = field(repr=False)
    top_segments: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain-value dict (for JSON)."""
        return {
            "horizon_days": self.horizon_days, "p_disrupt": self.p_disrupt, "mu": self.mu,
            "p_interval": list(self.p_interval), "mu_interval": list(self.mu_interval),
            "interval_level": self.level, "length_km": self.length_km,
            "top_segments": self.top_segments.to_dict(orient="records"),
        }


def _route_steps(G: nx.MultiDiGraph, path_nodes: Sequence[Any]) -> list[tuple[Any, Any, Any]]:
    """The ``(u, v, key)`` of each step of a node path (the parallel edge of least length).

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
    return path_edges(G, nodes, weight="length")


def route_risk(G: nx.MultiDiGraph, path_nodes: Sequence[Any], *,
               model: HazardModel | None = None, horizon_days: float | None = None,
               n_boot: int = 200, level: float = 0.9, n_top: int = 10,
               random_state: int | None = 0) -> RouteRisk:
    """Risk that a route is disrupted over the horizon.

    With a fitted ``model`` the segment rates are computed for the route's edges and the
    interval comes from ``n_boot`` bootstrap resamples of the model's training incidents
    (hyper-parameters, scale and background fixed; only the incident sample varies).
    Without a model the edge attributes written by :func:`segment_risk` are used and the
    horizon is ``G.graph["risk_horizon_days"]``; there is then no interval.

    Segments are assumed to be disrupted independently (``P = 1 - prod(1 - p_e)``); see
    the module docstring for why that is conservative and the backtest for how much.

    Parameters
    ----------
    G
        Road graph.
    path_nodes
        The route as a list of nodes (parallel edges: the shortest ``length`` is taken).
    model
        A fitted hazard model, or ``None`` to use the risk already on the edges.
    horizon_days
        Horizon in days (default 30 with a model).
    n_boot
        Bootstrap replicates (0: no interval).
    level
        Coverage of the interval.
    n_top
        Number of riskiest segments in ``top_segments``.
    random_state
        Seed of the bootstrap.
    """
    steps = _route_steps(G, path_nodes)
    sub = nx.MultiDiGraph()
    sub.graph.update(G.graph)
    for u, v, k in steps:
        sub.add_node(u, **G.nodes[u])
        sub.add_node(v, **G.nodes[v])
        sub.add_edge(u, v, k, **G.edges[u, v, k])
    el = edge_lines(sub)
    order = [el.index.get_loc(s) for s in steps]
    length_km = el.length_km[order]
    lo = hi = mlo = mhi = float("nan")
    if model is not None:
        horizon = _check_horizon(30 if horizon_days is None else horizon_days)
        model._check_fitted()
        K = model.kernel_matrix(el.lines)[order]
        day = float(pd.DatetimeIndex([model.as_of_]).as_unit("ns").asi8[0] / 86_400e9)
        base_w = model._source_weights(day, model.half_life_days_)
        rate = model.rate_from_mass(np.asarray(K @ base_w), length_km)
        if n_boot > 0 and model.n_incidents_ > 0:
            rng = np.random.default_rng(random_state)
            n = model.n_incidents_
            mus = np.empty(n_boot)
            for b in range(n_boot):
                counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
                w = model._source_weights(day, model.half_life_days_, counts=counts)
                r = model.rate_from_mass(np.asarray(K @ w), length_km)
                mus[b] = float((r * length_km).sum() * horizon / DAYS_PER_YEAR)
            q = [(1 - level) / 2, 1 - (1 - level) / 2]
            mlo, mhi = (float(v) for v in np.quantile(mus, q))
            lo, hi = float(-np.expm1(-mlo)), float(-np.expm1(-mhi))
    else:
        if "risk_horizon_days" not in G.graph:
            raise RouteRiskError("no hazard model given and no segment risk on the graph: "
                                 "call segment_risk(G, model) first or pass model=")
        horizon = float(G.graph["risk_horizon_days"])
        if horizon_days is not None and float(horizon_days) != horizon:
            raise SpecError(f"the graph holds risk for {horizon:g} days, not {horizon_days}")
        rate = np.array([G.edges[s].get("rate_per_km_yr", np.nan) for s in steps], float)
        if np.isnan(rate).any():
            raise RouteRiskError("some route edges have no 'rate_per_km_yr': run "
                                 "segment_risk on this graph first")
    mu_e = rate * length_km * horizon / DAYS_PER_YEAR
    km_from_start = np.concatenate([[0.0], np.cumsum(length_km)[:-1]])
    mu = float(mu_e.sum())
    segs = pd.DataFrame({
        "u": [s[0] for s in steps], "v": [s[1] for s in steps],
        "key": [s[2] for s in steps], "km_from_start": km_from_start,
        "length_km": length_km, "rate_per_km_yr": rate, "mu": mu_e,
        "p_disrupt": -np.expm1(-mu_e), "share": mu_e / mu if mu > 0 else 0.0,
    })
    top = segs.sort_values(["mu", "km_from_start"], ascending=[False, True],
                           kind="stable").head(n_top).reset_index(drop=True)
    return RouteRisk(horizon_days=horizon, p_disrupt=float(-np.expm1(-mu)), mu=mu,
                     p_interval=(lo, hi), mu_interval=(mlo, mhi), level=level,
                     length_km=float(length_km.sum()), segments=segs, top_segments=top)

