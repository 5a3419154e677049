"""Risk-aware routing on a risk-annotated road graph.

Every function here takes a graph whose edges already carry ``length`` (m),
``travel_time`` (s) and ``mu`` (expected disrupting incidents over the risk horizon, written
by :func:`routerisk.model.risk.segment_risk`); how that risk was computed does not matter here.

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
of a segmented piece, towns along a path) are shared by :mod:`routerisk.supply.exposure`,
:mod:`routerisk.supply.scenarios` and :mod:`routerisk.supply.criticality`."""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass

import networkx as nx

from routerisk.errors import NoRouteError, SpecError
from routerisk.network.nodes import path_nodes
from routerisk.supply.paths import (
    Edge,
    PathMetrics,
    WeightFn,
    _cost,
    _reverse_edge,
    attr_weight,
    check_risk_graph,
    cost_weight,
    edges_of,
    fastest_weight,
    horizon_days,
    overlap_fraction,
    path_metrics,
    safest_weight,
    shortest_path,
    time_risk_weight,
)
from routerisk.supply.places import resolve_place

log = logging.getLogger(__name__)


#: Default risk aversion, hours of travel accepted per expected incident avoided.
DEFAULT_RISK_AVERSION_H = 24.0


# --------------------------------------------------------------------------- route search
@dataclass
class RouteOption:
    """One route of a search: its metrics and why it was proposed.

    ``kind`` is ``fastest``, ``safest``, ``recommended``, ``trade-off`` or ``alternative``;
    ``alpha_range`` is the range of risk aversion (h per expected incident) over which the
    route minimises ``hours + α · mu`` (trade-off routes only).
    """

    kind: str
    metrics: PathMetrics
    alpha_range: tuple[float, float] | None = None

    def to_dict(self) -> dict:
        out = {"kind": self.kind, **self.metrics.to_dict()}
        if self.alpha_range is not None:
            lo, hi = self.alpha_range
            out["alpha_range"] = [round(lo, 4), None if math.isinf(hi) else round(hi, 4)]
        return out


@dataclass
class RouteSearch:
    """Result of :func:`route`."""

    origin: str
    destination: str
    risk_aversion: float
    horizon_days: float | None
    fastest: RouteOption
    safest: RouteOption
    recommended: RouteOption
    tradeoff: list[RouteOption]
    alternatives: list[RouteOption]

    def to_dict(self) -> dict:
        return {"origin": self.origin, "destination": self.destination,
                "risk_aversion_h_per_incident": self.risk_aversion,
                "horizon_days": self.horizon_days,
                "fastest": self.fastest.to_dict(), "safest": self.safest.to_dict(),
                "recommended": self.recommended.to_dict(),
                "tradeoff": [r.to_dict() for r in self.tradeoff],
                "alternatives": [r.to_dict() for r in self.alternatives]}


def tradeoff_routes(G: nx.MultiDiGraph, source: Hashable, target: Hashable, *,
                    max_routes: int = 12, closed: Collection[Edge] | None = None,
                    cost=None) -> list[tuple[list[Hashable], tuple[float, float]]]:
    """The distinct routes minimising ``hours + α · mu`` for some ``α ≥ 0``.

    ``hours`` is the generalised cost (:class:`routerisk.supply.cost.CostModel`). Found
    exactly by recursive bisection: between two known routes A (cheaper) and B (safer) the
    breakpoint ``α* = (t_B − t_A) / (mu_A − mu_B)`` is tried; a route strictly cheaper than
    both at ``α*`` is a new supported point, otherwise A and B are neighbours on the front.

    Returns
    -------
    list of (nodes, (alpha_lo, alpha_hi))
        Cheapest first, safest last, each with the range of ``α`` it is optimal over.
    """
    hours = cost_weight(G, cost)

    def search(weight):
        return tuple(edges_of(G, shortest_path(G, source, target, weight=weight,
                                                closed=closed), weight=weight, closed=closed))

    fast = search(fastest_weight(hours))
    safe = search(safest_weight(hours))

    def tm(edges):
        return _cost(G, edges, hours), _cost(G, edges, attr_weight("mu"))

    found = {fast: tm(fast), safe: tm(safe)}
    stack = [(fast, safe)]
    while stack and len(found) < max_routes:
        a, b = stack.pop()
        (ta, ma), (tb, mb) = found[a], found[b]
        if ma - mb <= 1e-12 or tb - ta <= 1e-12:
            continue
        alpha = (tb - ta) / (ma - mb)
        c = search(time_risk_weight(alpha, hours=hours))
        tc, mc = tm(list(c))
        if tc + alpha * mc < ta + alpha * ma - 1e-9 * (1 + ta + alpha * ma) and c not in found:
            found[c] = (tc, mc)
            stack.extend([(a, c), (c, b)])
    ordered = sorted(found.items(), key=lambda kv: (kv[1][0], -kv[1][1]))
    # keep the lower convex hull only (drop dominated or unsupported points)
    hull: list[tuple[tuple, tuple[float, float]]] = []
    for item in ordered:
        if hull and item[1][1] >= hull[-1][1][1] - 1e-12:
            continue  # slower and not safer
        while len(hull) >= 2:
            (t1, m1), (t2, m2), (t3, m3) = hull[-2][1], hull[-1][1], item[1]
            # middle point above the segment 1-3 in the (mu, t) plane => unsupported
            if (t2 - t1) * (m1 - m3) >= (t3 - t1) * (m1 - m2) - 1e-12:
                hull.pop()
            else:
                break
        hull.append(item)
    out = []
    for i, (edges, (t, m)) in enumerate(hull):
        lo = 0.0 if i == 0 else (t - hull[i - 1][1][0]) / (hull[i - 1][1][1] - m)
        hi = (math.inf if i == len(hull) - 1
              else (hull[i + 1][1][0] - t) / (m - hull[i + 1][1][1]))
        out.append((path_nodes(list(edges)) or [source], (lo, hi)))
    return out


def alternative_routes(G: nx.MultiDiGraph, source: Hashable, target: Hashable, *,
                       weight: WeightFn, k: int, first: Sequence[Hashable] | None = None,
                       penalty: float = 0.6, max_overlap: float = 0.7,
                       max_stretch: float = 2.0, max_iter: int | None = None,
                       closed: Collection[Edge] | None = None) -> list[list[Hashable]]:
    """Up to ``k`` genuinely different routes (node paths) besides ``first``, by the
    penalty method.

    Parameters
    ----------
    weight
        The cost being minimised (e.g. :func:`time_risk_weight`).
    k
        Number of alternatives wanted (besides ``first``).
    first
        The best route as nodes (computed when not given); alternatives must differ from it.
    penalty
        Each time an edge lies on a route found, its cost is multiplied by ``1 + penalty``.
    max_overlap
        A candidate sharing more than this fraction of length with any kept route is
        discarded.
    max_stretch
        A candidate whose (unpenalised) cost exceeds ``max_stretch`` × the best is discarded.
    """
    if k <= 0:
        return []
    if not (0 <= max_overlap < 1):
        raise SpecError(f"max_overlap must be in [0, 1); got {max_overlap}")
    first = list(first) if first is not None else shortest_path(
        G, source, target, weight=weight, closed=closed)
    best = edges_of(G, first, weight=weight, closed=closed)
    best_cost = _cost(G, best, weight)
    kept: list[list[Edge]] = [best]
    factor: dict[Edge, float] = {}

    def bump(edges):
        for e in edges:
            factor[e] = factor.get(e, 1.0) * (1.0 + penalty)
            rev = _reverse_edge(G, e)
            if rev is not None:
                factor[rev] = factor.get(rev, 1.0) * (1.0 + penalty)

    bump(best)
    seen = {tuple(best)}
    for _ in range(max_iter or 6 * k + 6):
        if len(kept) > k:
            break
        try:
            nodes = shortest_path(G, source, target, weight=weight, closed=closed,
                                  factor=factor)
        except NoRouteError:
            break
        cand = edges_of(G, nodes, weight=weight, closed=closed, factor=factor)
        bump(cand)
        if tuple(cand) in seen:
            continue
        seen.add(tuple(cand))
        if _cost(G, cand, weight) > max_stretch * best_cost + 1e-12:
            continue
        if all(overlap_fraction(G, cand, other) <= max_overlap for other in kept):
            kept.append(cand)
    return [path_nodes(e) for e in kept[1:]]


def route_between_nodes(G: nx.MultiDiGraph, source: Hashable, target: Hashable, *,
                        risk_aversion: float = DEFAULT_RISK_AVERSION_H, alternatives: int = 3,
                        max_overlap: float = 0.7, max_stretch: float = 2.0,
                        closed: Collection[Edge] | None = None, gazetteer=None,
                        origin_label: str | None = None,
                        destination_label: str | None = None, cost=None) -> RouteSearch:
    """:func:`route` between two graph nodes (see there)."""
    check_risk_graph(G)
    if not isinstance(alternatives, int) or alternatives < 0:
        raise SpecError(f"alternatives must be an integer >= 0; got {alternatives!r}")
    hours = cost_weight(G, cost)
    weight = time_risk_weight(risk_aversion, hours=hours)
    trade = tradeoff_routes(G, source, target, closed=closed, cost=cost)

    def metrics(nodes, w=weight):
        return path_metrics(G, nodes, weight=w, closed=closed, cost=cost, gazetteer=gazetteer)

    fastest = RouteOption("fastest", metrics(trade[0][0], fastest_weight(hours)))
    safest = RouteOption("safest", metrics(trade[-1][0], safest_weight(hours)))
    rec_nodes = shortest_path(G, source, target, weight=weight, closed=closed)
    recommended = RouteOption("recommended", metrics(rec_nodes))
    tradeoff = [RouteOption("trade-off", metrics(n) if n not in (trade[0][0], trade[-1][0])
                            else (fastest.metrics if n == trade[0][0] else safest.metrics),
                            alpha_range=r) for n, r in trade]
    alts = alternative_routes(G, source, target, weight=weight, k=alternatives,
                              first=rec_nodes, max_overlap=max_overlap,
                              max_stretch=max_stretch, closed=closed)
    return RouteSearch(origin_label or str(source), destination_label or str(target),
                       float(risk_aversion), horizon_days(G), fastest, safest, recommended,
                       tradeoff, [RouteOption("alternative", metrics(n)) for n in alts])


def route(G: nx.MultiDiGraph, origin: str | tuple[float, float],
          destination: str | tuple[float, float], *,
          risk_aversion: float = DEFAULT_RISK_AVERSION_H, alternatives: int = 3,
          max_overlap: float = 0.7, max_stretch: float = 2.0,
          closed: Collection[Edge] | None = None, gazetteer=None,
          cost=None) -> RouteSearch:
    """Cheapest, safest, trade-off and alternative routes between two places.

    Parameters
    ----------
    G
        Risk-annotated road graph (edges with ``length`` m, ``travel_time`` s, ``mu``).
    origin, destination
        Place names (resolved with the OSM gazetteer), ``"lat,lon"`` strings or
        ``(lat, lon)`` tuples; snapped to the nearest road node (at most
        :data:`MAX_SNAP_KM` away).
    risk_aversion
        α in hours of travel accepted per expected incident avoided; the *recommended*
        route minimises ``hours + α · mu``. 0 = fastest; large = safest.
    alternatives
        How many genuinely different alternatives to the recommended route to look for.
    max_overlap, max_stretch
        Dissimilarity and cost limits of the alternatives (see :func:`alternative_routes`).
    closed
        Edges that may not be used (e.g. from a scenario).
    gazetteer
        Gazetteer frame for names and towns passed (default: the shared one).
    cost
        Generalised cost model (default :func:`routerisk.supply.cost.default_cost`): the
        *fastest* route is the cheapest under it, and the hours traded against risk are
        its hours.

    Returns
    -------
    RouteSearch

    Raises
    ------
    GeocodeError
        Unknown or ambiguous place (the message lists near matches).
    NodeNotFoundError
        Place too far from the network.
    NoRouteError
        No open road connects the two places.
    """
    a = resolve_place(G, origin, gazetteer=gazetteer)
    b = resolve_place(G, destination, gazetteer=gazetteer)
    if a.node == b.node:
        raise NoRouteError(f"'{a.query}' and '{b.query}' snap to the same road node; "
                           "nothing to route")
    try:
        return route_between_nodes(G, a.node, b.node, risk_aversion=risk_aversion,
                                   alternatives=alternatives, max_overlap=max_overlap,
                                   max_stretch=max_stretch, closed=closed,
                                   gazetteer=gazetteer, origin_label=a.name,
                                   destination_label=b.name, cost=cost)
    except NoRouteError as exc:
        raise NoRouteError(f"no road connects '{a.query}' to '{b.query}' on this network"
                           f"{' with the closures given' if closed else ''}") from exc


# --------------------------------------------------------------------------- convenience
def risk_network(*, as_of=None, horizon_days: float = 30, incidents=None, G=None,
                 model=None, copy: bool = True) -> nx.MultiDiGraph:
    """The default risk-annotated study network (a fresh copy).

    Loads the study network (:func:`routerisk.network.io.load_study_network`) unless ``G`` is
    given, fits the hazard model for ``horizon_days`` (:func:`routerisk.model.build.fit_model`)
    on ``incidents``
    (default :func:`routerisk.incidents.io.default_incidents`) as of ``as_of`` unless a fitted
    ``model`` is given, and writes ``mu`` and ``p_disrupt`` over ``horizon_days`` on every
    edge (:func:`routerisk.model.risk.segment_risk`). ``G.graph["risk_as_of"]`` records the
    forecast date. With ``copy=False`` a given ``G`` is annotated in place and returned (for
    a caller that owns it, such as a fresh :func:`~routerisk.network.io.load_any_graph`).
    """
    from routerisk.model.risk import segment_risk
    from routerisk.network.io import load_study_network

    G = load_study_network() if G is None else (G.copy() if copy else G)
    if model is None:
        from routerisk.model.build import fit_model  # scikit-learn: only when fitting

        model = fit_model(incidents, as_of=as_of, horizon_days=horizon_days, G=G)
    segment_risk(G, model, horizon_days=horizon_days, write=True)
    return G

