"""Edge weights and paths on a risk-annotated road graph: fastest, safest and
time–risk weights that skip closed edges, shortest paths, the parent *link* of a
segmented piece, and path metrics (km, hours, μ, P, towns)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field

import networkx as nx

from routerisk.errors import NodeNotFoundError, NoRouteError, SpecError
from routerisk.network.naming import towns_passed
from routerisk.network.nodes import path_nodes

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
        hint = (" (annotate the graph with routerisk.risk.segment_risk first)"
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


def time_risk_weight(risk_aversion: float, *, tie: float = 0.0) -> WeightFn:
    """Weight ``hours + risk_aversion · mu`` (``risk_aversion`` in hours per incident)."""
    if not (risk_aversion >= 0 and math.isfinite(risk_aversion)):
        raise SpecError(f"risk aversion must be a finite number >= 0; got {risk_aversion!r}")
    return lambda d: float(d["travel_time"]) / 3600.0 + risk_aversion * float(d["mu"]) + tie


def fastest_weight() -> WeightFn:
    """Travel time in hours, ties broken towards lower ``mu``."""
    return lambda d: float(d["travel_time"]) / 3600.0 + 1e-9 * float(d.get("mu", 0.0))


def safest_weight() -> WeightFn:
    """Expected incidents ``mu``, ties broken towards shorter time."""
    return lambda d: float(d["mu"]) + 1e-9 * float(d["travel_time"]) / 3600.0


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


def best_key(G: nx.MultiDiGraph, u: Hashable, v: Hashable, weight: WeightFn,
             closed: Collection[Edge] | None = None,
             factor: dict[Edge, float] | None = None) -> Hashable:
    """Key of the cheapest open parallel edge ``u→v``."""
    factor = factor or {}
    keys = [(weight(d) * factor.get((u, v, k), 1.0), k) for k, d in G[u][v].items()
            if not (closed and (u, v, k) in closed)]
    if not keys:
        raise NoRouteError(f"every edge {u}->{v} is closed")
    return min(keys, key=lambda t: t[0])[1]


def shortest_path(G: nx.MultiDiGraph, source: Hashable, target: Hashable, *,
                  weight: WeightFn, closed: Collection[Edge] | None = None,
                  factor: dict[Edge, float] | None = None) -> list[Edge]:
    """Cheapest path as a list of edges ``(u, v, key)``.

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
        return []
    try:
        nodes = nx.dijkstra_path(G, source, target, weight=_nx_weight(weight, closed, factor))
    except nx.NetworkXNoPath as exc:
        raise NoRouteError(f"no open road from node {source!r} to node {target!r}") from exc
    return [(u, v, best_key(G, u, v, weight, closed, factor))
            for u, v in zip(nodes[:-1], nodes[1:], strict=True)]


def path_through(G: nx.MultiDiGraph, stops: Sequence[Hashable], *, weight: WeightFn,
                 closed: Collection[Edge] | None = None) -> list[Edge]:
    """Cheapest path visiting ``stops`` in order (concatenation of cheapest legs)."""
    edges: list[Edge] = []
    for a, b in zip(stops[:-1], stops[1:], strict=True):
        edges.extend(shortest_path(G, a, b, weight=weight, closed=closed))
    return edges


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
    """Length, time and risk of one path.

    Attributes
    ----------
    edges
        The path as ``(u, v, key)`` edges.
    length_km, travel_time_h
        Road distance (km) and travel time (h).
    mu
        Expected disrupting incidents over the risk horizon (Σ ``mu`` of the edges).
    p_disrupt
        ``1 − exp(−mu)``: probability that at least one incident hits the path over the
        horizon (segments assumed independent).
    towns
        Towns near the path, in travel order.
    """

    edges: list[Edge]
    length_km: float
    travel_time_h: float
    mu: float
    p_disrupt: float
    towns: list[str] = field(default_factory=list)

    @property
    def nodes(self) -> list[Hashable]:
        return path_nodes(self.edges)

    def to_dict(self) -> dict:
        return {"length_km": round(self.length_km, 1),
                "travel_time_h": round(self.travel_time_h, 2),
                "mu": self.mu, "p_disrupt": self.p_disrupt,
                "towns": list(self.towns)}


def path_metrics(G: nx.MultiDiGraph, edges: Sequence[Edge], *, towns: bool = True,
                 gazetteer=None) -> PathMetrics:
    """Sum length, travel time and ``mu`` over a path; P(disruption) = 1 − exp(−Σ mu)."""
    length = sum(float(G.edges[e]["length"]) for e in edges)
    tt = sum(float(G.edges[e]["travel_time"]) for e in edges)
    mu = sum(float(G.edges[e].get("mu", 0.0) or 0.0) for e in edges)
    names = towns_passed(G, path_nodes(edges), gazetteer=gazetteer) if towns else []
    return PathMetrics(list(edges), length / 1000.0, tt / 3600.0, mu, 1.0 - math.exp(-mu),
                       names)


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
