"""Criticality of road links for the fuel supply: what is lost if one link is cut.

For every road *link* used by some import route (a trunk edge with all its ≤ 10 km pieces,
both directions: cutting one piece of a 200 km edge cuts the road), the routes that use it
are rerouted from origin to destination on the cheapest open road under the generalised
cost (:mod:`routerisk.supply.cost`); the other routes are not
touched, because cutting a link they do not use cannot change their (already optimal)
path. That is ``Σ_links |routes using the link|`` shortest-path searches instead of
``links × routes`` for a full recomputation (``benchmarks/bench_criticality.py`` compares
both).

Per link: the share of import volume that loses its route (no open road remains), the share
that must detour, the volume-weighted extra hours ``Σ share · Δh`` and the worst single
detour (in generalised-cost hours). A link whose loss leaves some route without any road
is a *single point of failure*."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx
import pandas as pd

from routerisk.errors import NoRouteError
from routerisk.network.naming import link_label
from routerisk.supply.exposure import Baseline, compute_baseline
from routerisk.supply.fuel_routes import FuelRoutes, load_routes
from routerisk.supply.fuel_routes import with_shares as _with_shares
from routerisk.supply.paths import (
    Edge,
    Link,
    cheapest_weight,
    check_risk_graph,
    link_index,
    link_of,
    path_metrics,
    shortest_path,
)

log = logging.getLogger(__name__)


@dataclass
class Criticality:
    """Result of :func:`criticality`.

    Attributes
    ----------
    links
        One row per link used by an import route, most critical first: ``link``,
        ``label``, ``length_km``, ``routes`` (using it), ``share_using``, ``share_lost``,
        ``share_detour``, ``extra_hours_weighted`` (Σ share · Δh over detouring routes),
        ``max_extra_h``, ``extra_km_weighted``, ``spof`` (some route is left with no road),
        ``lost_routes``, ``at_route_end`` (the link touches the origin or destination node
        of a route it cuts: a port's or the capital's only access road, rather than a link
        in open country).
    n_reroutes
        Shortest-path searches made (one per route using each link).
    """

    links: pd.DataFrame
    n_reroutes: int

    @property
    def single_points_of_failure(self) -> pd.DataFrame:
        return self.links[self.links["spof"]]

    def to_dict(self, *, top: int | None = None) -> dict:
        from routerisk.supply.exposure import _records

        df = self.links if top is None else self.links.head(top)
        return {"n_reroutes": self.n_reroutes,
                "single_points_of_failure": int(self.links["spof"].sum()),
                "links": _records(df.drop(columns=["link"]))}


def route_links(G: nx.MultiDiGraph, edges: Mapping[str, list[Edge]]) -> dict[str, set[Link]]:
    """The set of road links each path (given as edges) uses."""
    return {name: {link_of(G, *e) for e in path} for name, path in edges.items()}


def _baseline(G, spec, shares, baseline, gazetteer, cost):
    if baseline is not None:
        return baseline
    spec = _with_shares(load_routes() if spec is None else spec, shares or {})
    return compute_baseline(G, spec, cost=cost, gazetteer=gazetteer, towns=False)


def criticality(G: nx.MultiDiGraph, spec: FuelRoutes | None = None, *,
                shares: Mapping[str, float] | None = None, baseline: Baseline | None = None,
                label: bool = True, gazetteer=None, cost=None) -> Criticality:
    """Rank the links used by import routes by the fuel volume their loss cuts or diverts.

    Parameters
    ----------
    G
        Road graph with ``length`` (m) and ``travel_time`` (s); segmented graphs are handled
        link by link (all pieces of a parent edge, both directions).
    spec, shares
        Import routes (default :func:`routerisk.supply.fuel_routes.load_routes`) and share
        overrides (ignored when ``baseline`` is given).
    baseline
        The routed baseline (:func:`routerisk.supply.exposure.compute_baseline`); computed
        when not given.
    label
        Name each link by the towns at its ends.
    gazetteer
        Gazetteer frame (default the shared ones).
    cost
        Generalised cost model (default :func:`routerisk.supply.cost.default_cost`; the
        baseline's when one is given). Detours are the cheapest open road under it and the
        extra hours are its hours.

    Returns
    -------
    Criticality
    """
    check_risk_graph(G, need_mu=False)
    base = _baseline(G, spec, shares, baseline, gazetteer, cost)
    weight = cheapest_weight(G, base.cost)
    share = {r.name: r.share for r in base.spec.routes}
    base_h = {n: m.cost_h for n, m in base.metrics.items()}
    base_km = {n: m.length_km for n, m in base.metrics.items()}
    used = route_links(G, {n: m.edges for n, m in base.metrics.items()})
    pieces = link_index(G)
    users: dict[Link, list[str]] = {}
    for name, links in used.items():
        for lk in links:
            users.setdefault(lk, []).append(name)
    rows = []
    n_reroutes = 0
    for lk, names in users.items():
        closed = set(pieces[lk])
        lost, detour, extra_h, extra_km, worst = [], [], 0.0, 0.0, -math.inf
        for name in names:
            n_reroutes += 1
            try:
                new = shortest_path(G, *base.ends(name), weight=weight, closed=closed)
            except NoRouteError:
                lost.append(name)
                continue
            m = path_metrics(G, new, weight=weight, closed=closed, cost=base.cost, towns=False,
                             risk=False)
            detour.append(name)
            dh = m.cost_h - base_h[name]
            extra_h += share[name] * dh
            extra_km += share[name] * (m.length_km - base_km[name])
            worst = max(worst, dh)
        length_km = _link_length_km(G, pieces[lk])
        rows.append({"link": lk,
                     "label": link_label(G, lk, gazetteer=gazetteer) if label else "",
                     "length_km": length_km, "routes": ", ".join(sorted(names)),
                     "share_using": sum(share[n] for n in names),
                     "share_lost": sum(share[n] for n in lost),
                     "share_detour": sum(share[n] for n in detour),
                     "extra_hours_weighted": extra_h, "extra_km_weighted": extra_km,
                     "max_extra_h": worst if detour else math.nan,
                     "spof": bool(lost), "lost_routes": ", ".join(sorted(lost)),
                     "at_route_end": any(n in base.ends(r) for r in lost
                                         for e in pieces[lk] for n in e[:2])})
    cols = ["link", "label", "length_km", "routes", "share_using", "share_lost",
            "share_detour", "extra_hours_weighted", "extra_km_weighted", "max_extra_h",
            "spof", "lost_routes", "at_route_end"]
    df = pd.DataFrame(rows, columns=cols)
    df = df.sort_values(["share_lost", "extra_hours_weighted", "share_using"],
                        ascending=False, kind="stable").reset_index(drop=True)
    log.info("criticality: %d links on import routes, %d single points of failure, "
             "%d reroutes", len(df), int(df["spof"].sum()), n_reroutes)
    return Criticality(df, n_reroutes)


def _link_length_km(G: nx.MultiDiGraph, pieces: list[Edge]) -> float:
    """Length of a link in one direction (the pieces oriented like the first one)."""
    u0, v0, _ = pieces[0]
    first = G.edges[pieces[0]]
    parent = (first.get("parent_u", u0), first.get("parent_v", v0))
    return sum(float(G.edges[e]["length"]) for e in pieces
               if (G.edges[e].get("parent_u", e[0]), G.edges[e].get("parent_v", e[1]))
               == parent) / 1000.0


def criticality_full_recompute(G: nx.MultiDiGraph, spec: FuelRoutes, *,
                               links: list[Link] | None = None,
                               baseline: Baseline | None = None,
                               gazetteer=None) -> pd.DataFrame:
    """Reference implementation: for each link, recompute every route from scratch.

    Slow (``links × routes`` searches); used by the tests and the benchmark to check
    :func:`criticality` gives the same shares lost and extra hours.
    """
    base = _baseline(G, spec, None, baseline, gazetteer, None)
    weight = cheapest_weight(G, base.cost)
    pieces = link_index(G)
    links = list(pieces) if links is None else links
    share = {r.name: r.share for r in base.spec.routes}
    rows = []
    for lk in links:
        closed = set(pieces[lk])
        lost = extra = 0.0
        for name, m0 in base.metrics.items():
            uses = any(e in closed for e in m0.edges)
            try:
                new = shortest_path(G, *base.ends(name), weight=weight, closed=closed)
            except NoRouteError:
                lost += share[name]
                continue
            if uses:
                extra += share[name] * (path_metrics(G, new, weight=weight, closed=closed,
                                                     cost=base.cost, towns=False,
                                                     risk=False).cost_h
                                        - m0.cost_h)
        rows.append({"link": lk, "share_lost": lost, "extra_hours_weighted": extra})
    return pd.DataFrame(rows)
