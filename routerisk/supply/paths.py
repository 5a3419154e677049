"""Edge weights and paths on a risk-annotated road graph: the generalised-cost, fastest,
safest and cost–risk weights that skip closed edges, shortest paths as node lists (edges
from :func:`routerisk.network.nodes.path_edges`), simple paths through stops, the parent
*link* of a segmented piece, and path metrics (km, hours, cost, μ, P, towns)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field

import networkx as nx

from routerisk.errors import NodeNotFoundError, NoRouteError, SpecError
from routerisk.network.naming import towns_passed
from routerisk.network.nodes import erase_loops, path_edges

log = logging.getLogger(__name__)

from routerisk.network.nodes import Edge  # noqa: E402

Link = tuple[Hashable, Hashable, Hashable]


WeightFn = Callable[[dict], float]


# --------------------------------------------------------------------------- graph checks
def check_risk_graph(G: nx.MultiDiGraph, *, need_mu: bool = True) -> None:
    """Raise :class:`SpecError` unless every edge has ``length``, ``travel_time`` (and ``mu``).

    Parameters
    ----------
    G
        Road graph.
    need_mu
        Whether ``mu`` (expected incidents over the horizon) is required.
    """
    if G.number_of_edges() == 0:
        raise SpecError("the road graph has no edges")
    needed = ("length", "travel_time", "mu") if need_mu else ("length", "travel_time")
    missing = {a: 0 for a in needed}
    for _, _, d in G.edges(data=True):
        for a in needed:
            val = d.get(a)
            if val is None or not math.isfinite(float(val)) or float(val) < 0:
                missing[a] += 1
    bad = {a: n for a, n in missing.items() if n}
    if bad:
        listed = ", ".join(f"'{a}' on {n} edge(s)" for a, n in bad.items())
        hint = (" (annotate the graph with routerisk.model.risk.segment_risk first)"
                if "mu" in bad else "")
        raise SpecError(f"the road graph lacks non-negative {listed}{hint}")


def horizon_days(G: nx.MultiDiGraph) -> float | None:
    """The risk horizon the graph's ``mu`` refers to (``G.graph['risk_horizon_days']``)."""
    val = G.graph.get("risk_horizon_days")
    return None if val is None else float(val)


# --------------------------------------------------------------------------- weights
def attr_weight(name: str) -> WeightFn:
    """Weight of one edge = its attribute ``name``."""
    return lambda d: float(d[name])


def cost_weight(G: nx.MultiDiGraph, cost=None) -> WeightFn:
    """Generalised tanker cost of an edge in hours (:class:`routerisk.supply.cost.CostModel`,
    default :func:`routerisk.supply.cost.default_cost`)."""
    from routerisk.supply.cost import check_cost

    return check_cost(cost).weight(G)


def time_risk_weight(risk_aversion: float, *, tie: float = 0.0,
                     hours: WeightFn | None = None) -> WeightFn:
    """Weight ``hours + risk_aversion · mu`` (``risk_aversion`` in hours per incident).

    ``hours`` is the cost in hours of an edge (default: its ``travel_time``); pass
    :func:`cost_weight` to trade the generalised cost against risk."""
    if not (risk_aversion >= 0 and math.isfinite(risk_aversion)):
        raise SpecError(f"risk aversion must be a finite number >= 0; got {risk_aversion!r}")
    h = hours or (lambda d: float(d["travel_time"]) / 3600.0)
    return lambda d: h(d) + risk_aversion * float(d["mu"]) + tie


def fastest_weight(hours: WeightFn | None = None) -> WeightFn:
    """Cost in hours (default: travel time), ties broken towards lower ``mu``."""
    h = hours or (lambda d: float(d["travel_time"]) / 3600.0)
    return lambda d: h(d) + 1e-9 * float(d.get("mu", 0.0))


def cheapest_weight(G: nx.MultiDiGraph, cost=None) -> WeightFn:
    """Generalised cost in hours, ties broken towards lower ``mu``: the weight every import
    route, detour, criticality and scenario is routed with."""
    return fastest_weight(cost_weight(G, cost))


def safest_weight(hours: WeightFn | None = None) -> WeightFn:
    """Expected incidents ``mu``, ties broken towards lower cost in hours."""
    h = hours or (lambda d: float(d["travel_time"]) / 3600.0)
    return lambda d: float(d["mu"]) + 1e-9 * h(d)


def _nx_weight(weight: WeightFn, closed: Collection[Edge] | None = None,
               factor: dict[Edge, float] | None = None):
    """A networkx weight function over a MultiDiGraph: min over the parallel edges that are
    open; ``None`` (edge hidden) when every parallel edge is closed."""
    closed = closed or ()
    factor = factor or {}

    def w(u, v, keydict):
        best = None
        for k, d in keydict.items():
            if closed and (u, v, k) in closed:
                continue
            c = weight(d)
            if factor:
                c *= factor.get((u, v, k), 1.0)
            if best is None or c < best:
                best = c
        return best

    return w


def shortest_path(G: nx.MultiDiGraph, source: Hashable, target: Hashable, *,
                  weight: WeightFn, closed: Collection[Edge] | None = None,
                  factor: dict[Edge, float] | None = None) -> list[Hashable]:
    """Cheapest path as a list of nodes (turn it into edges with
    :func:`routerisk.network.nodes.path_edges` and the same ``weight`` and ``closed``).

    Parameters
    ----------
    G
        Road graph.
    source, target
        Graph nodes.
    weight
        Function of an edge's attribute dict returning a non-negative cost.
    closed
        Edges ``(u, v, key)`` that may not be used.
    factor
        Optional multipliers of the cost of some edges (penalty method).

    Raises
    ------
    NodeNotFoundError
        When ``source`` or ``target`` is not in the graph.
    NoRouteError
        When no open path connects them.
    """
    for n in (source, target):
        if n not in G:
            raise NodeNotFoundError(f"node {n!r} is not in the road graph")
    if source == target:
        return [source]
    try:
        return nx.dijkstra_path(G, source, target, weight=_nx_weight(weight, closed, factor))
    except nx.NetworkXNoPath as exc:
        raise NoRouteError(f"no open road from node {source!r} to node {target!r}") from exc


def edges_of(G: nx.MultiDiGraph, nodes: Sequence[Hashable], *, weight: WeightFn,
             closed: Collection[Edge] | None = None,
             factor: dict[Edge, float] | None = None) -> list[Edge]:
    """:func:`routerisk.network.nodes.path_edges` under a search's weight, closures and
    penalty factors (the parallel edge chosen is the one the search priced)."""
    if not factor:
        return path_edges(G, nodes, weight, closed=closed)
    out: list[Edge] = []
    for u, v in zip(nodes[:-1], nodes[1:], strict=True):
        keys = [k for k in G[u][v] if not (closed and (u, v, k) in closed)]
        if not keys:
            raise NoRouteError(f"every edge {u}->{v} is closed")
        out.append((u, v, min(keys, key=lambda k, u=u, v=v:
                              weight(G[u][v][k]) * factor.get((u, v, k), 1.0))))
    return out


def path_through(G: nx.MultiDiGraph, stops: Sequence[Hashable], *, weight: WeightFn,
                 closed: Collection[Edge] | None = None) -> list[Hashable]:
    """Cheapest path visiting ``stops`` in order, as a simple node path.

    The cheapest legs are joined and every loop is cut out
    (:func:`routerisk.network.nodes.erase_loops`): a stop that lies on a spur off the road
    (the road goes to it and comes back) is passed at the junction instead of visited, so
    no node repeats."""
    nodes: list[Hashable] = [stops[0]]
    for a, b in zip(stops[:-1], stops[1:], strict=True):
        nodes.extend(shortest_path(G, a, b, weight=weight, closed=closed)[1:])
    return erase_loops(nodes)


# --------------------------------------------------------------------------- links
def link_of(G: nx.MultiDiGraph, u: Hashable, v: Hashable, k: Hashable) -> Link:
    """The undirected parent road link a (piece of an) edge belongs to.

    On a segmented graph (pieces carry ``parent_u``, ``parent_v``, ``parent_key``) it is the
    original trunk edge, both directions together; otherwise the edge itself, both
    directions together. Cutting any piece of a link cuts the road, so closures and
    criticality work link by link.
    """
    d = G.edges[u, v, k]
    pu, pv, pk = d.get("parent_u", u), d.get("parent_v", v), d.get("parent_key", k)
    a, b = sorted((pu, pv), key=str)
    return (a, b, pk)


def link_index(G: nx.MultiDiGraph) -> dict[Link, list[Edge]]:
    """Every link of the graph with its pieces (both directions)."""
    out: dict[Link, list[Edge]] = {}
    for u, v, k in G.edges(keys=True):
        out.setdefault(link_of(G, u, v, k), []).append((u, v, k))
    return out


# --------------------------------------------------------------------------- metrics
@dataclass
class PathMetrics:
    """Length, time, generalised cost and risk of one path.

    Attributes
    ----------
    nodes
        The path as a node sequence (the public form of a path).
    edges
        Its ``(u, v, key)`` edges, from :func:`routerisk.network.nodes.path_edges` under the
        weight the path was routed with.
    length_km, travel_time_h
        Road distance (km) and the network's (car) travel time (h).
    cost_h
        Generalised tanker cost (h): driving under the tanker speed profile, border dwell
        and crossing penalties (:class:`routerisk.supply.cost.CostModel`).
    border_h
        The border and customs dwell part of ``cost_h`` (h): the network's border times
        and any undeclared-crossing penalty.
    mu
        Expected disrupting incidents over the risk horizon (Σ ``mu`` of the edges).
    p_disrupt
        Probability that at least one incident hits the path over the horizon: the hazard
        model's calibrated route probability when the graph carries its model
        (:func:`routerisk.model.risk.route_p_disrupt`), else ``1 − exp(−mu)`` (segments
        assumed independent, an upper bound).
    towns
        Towns near the path, in travel order.
    """

    nodes: list[Hashable]
    edges: list[Edge]
    length_km: float
    travel_time_h: float
    mu: float
    p_disrupt: float
    towns: list[str] = field(default_factory=list)
    cost_h: float = math.nan
    border_h: float = math.nan

    def to_dict(self) -> dict:
        return {"length_km": round(self.length_km, 1),
                "travel_time_h": round(self.travel_time_h, 2),
                "cost_h": round(self.cost_h, 2), "border_h": round(self.border_h, 2),
                "mu": self.mu, "p_disrupt": self.p_disrupt,
                "towns": list(self.towns)}


def path_metrics(G: nx.MultiDiGraph, nodes: Sequence[Hashable], *, weight: WeightFn | None = None,
                 closed: Collection[Edge] | None = None, cost=None, towns: bool = True,
                 gazetteer=None, risk: bool = True) -> PathMetrics:
    """Length, travel time, generalised cost and ``mu`` of a node path.

    Parameters
    ----------
    G
        Risk-annotated road graph.
    nodes
        The path.
    weight
        The weight it was routed with (picks the parallel edges; default the generalised
        cost of ``cost``).
    closed
        Edges it may not use.
    cost
        Cost model (default :func:`routerisk.supply.cost.default_cost`).
    towns
        Name the towns passed (default true).
    risk
        Compute ``p_disrupt``, the model's calibrated route probability (default true);
        false leaves it NaN, for callers that need only lengths, costs and edges.
    """
    from routerisk.supply.cost import check_cost

    model = check_cost(cost)
    table = model.edge_costs(G)
    if weight is None:
        weight = fastest_weight(model.weight(G))
    edges = path_edges(G, list(nodes), weight, closed=closed)
    length = sum(float(G.edges[e]["length"]) for e in edges)
    tt = sum(float(G.edges[e]["travel_time"]) for e in edges)
    mu = sum(float(G.edges[e].get("mu", 0.0) or 0.0) for e in edges)
    cost_h = path_cost_h(G, edges, model)
    border_h = sum(table.border.get(id(G.edges[e]), 0.0)
                   + table.crossing.get(id(G.edges[e]), 0.0) for e in edges)
    names = towns_passed(G, list(nodes), gazetteer=gazetteer, weight=weight) if towns else []
    from routerisk.model.risk import route_p_disrupt

    return PathMetrics(list(nodes), edges, length / 1000.0, tt / 3600.0, mu,
                       route_p_disrupt(G, edges) if risk else math.nan, names, cost_h,
                       border_h)


def path_cost_h(G: nx.MultiDiGraph, edges: Sequence[Edge], cost=None) -> float:
    """Generalised cost (h) of a path given by its edges (:attr:`PathMetrics.cost_h`
    without the rest of the metrics)."""
    from routerisk.supply.cost import check_cost

    table = check_cost(cost).edge_costs(G)
    return sum(table.total.get(id(G.edges[e]), 0.0) for e in edges)


def _cost(G, edges, weight: WeightFn) -> float:
    return sum(weight(G.edges[e]) for e in edges)


def overlap_fraction(G: nx.MultiDiGraph, a: Sequence[Edge], b: Sequence[Edge]) -> float:
    """Shared road length of two paths over the length of the shorter one (0…1).

    Compared piece by piece on the undirected road (so a route and its reverse overlap
    fully)."""
    def pieces(edges):
        return {tuple(sorted((u, v), key=str)) + (G.edges[u, v, k].get("parent_key", k),):
                float(G.edges[u, v, k]["length"]) for u, v, k in edges}

    pa, pb = pieces(a), pieces(b)
    la, lb = sum(pa.values()), sum(pb.values())
    if min(la, lb) <= 0:
        return 1.0 if set(pa) == set(pb) else 0.0
    shared = sum(length for p, length in pa.items() if p in pb)
    return shared / min(la, lb)


def _reverse_edge(G, e: Edge) -> Edge | None:
    u, v, k = e
    if G.has_edge(v, u, k):
        return (v, u, k)
    return None
