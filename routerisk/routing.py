"""Risk-aware routing on a risk-annotated road graph.

Every function here takes a graph whose edges already carry ``length`` (m),
``travel_time`` (s) and ``mu`` (expected disrupting incidents over the risk horizon, written
by :func:`routerisk.risk.segment_risk`); how that risk was computed does not matter here.

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
of a segmented piece, towns along a path) are shared by :mod:`routerisk.fuel`,
:mod:`routerisk.scenarios` and :mod:`routerisk.criticality`.
"""

from __future__ import annotations

import logging
import math
import weakref
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString

from routerisk._geometry import great_circle_km
from routerisk.errors import NodeNotFoundError, NoRouteError, SpecError

log = logging.getLogger(__name__)

#: Default risk aversion, hours of travel accepted per expected incident avoided.
DEFAULT_RISK_AVERSION_H = 24.0
#: A place farther than this from the nearest road node is refused, km.
MAX_SNAP_KM = 50.0
#: Towns within this distance of a route's (simplified) geometry are listed as passed, km.
TOWN_BUFFER_KM = 10.0
#: Equal-area projection centred on West Africa, metres (distance error < 0.5 % over the
#: study area).
LAEA_WEST_AFRICA = "+proj=laea +lat_0=13 +lon_0=-7 +x_0=0 +y_0=0 +datum=WGS84 +units=m"

Edge = tuple[Hashable, Hashable, Hashable]
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


def path_nodes(edges: Sequence[Edge]) -> list[Hashable]:
    """Node sequence of an edge path."""
    if not edges:
        return []
    return [edges[0][0], *[e[1] for e in edges]]


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
                "mu": round(self.mu, 4), "p_disrupt": round(self.p_disrupt, 4),
                "towns": list(self.towns)}


def path_metrics(G: nx.MultiDiGraph, edges: Sequence[Edge], *, towns: bool = True,
                 gazetteer=None) -> PathMetrics:
    """Sum length, travel time and ``mu`` over a path; P(disruption) = 1 − exp(−Σ mu)."""
    length = sum(float(G.edges[e]["length"]) for e in edges)
    tt = sum(float(G.edges[e]["travel_time"]) for e in edges)
    mu = sum(float(G.edges[e].get("mu", 0.0) or 0.0) for e in edges)
    names = towns_passed(G, edges, gazetteer=gazetteer) if towns else []
    return PathMetrics(list(edges), length / 1000.0, tt / 3600.0, mu, 1.0 - math.exp(-mu),
                       names)


# --------------------------------------------------------------------------- geometry
@lru_cache(maxsize=1)
def _to_laea() -> Transformer:
    return Transformer.from_crs("EPSG:4326", LAEA_WEST_AFRICA, always_xy=True)


def project_xy(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 lon/lat to the West-African LAEA plane (metres)."""
    return _to_laea().transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


def edge_line(G: nx.MultiDiGraph, u: Hashable, v: Hashable, k: Hashable) -> LineString:
    """The edge geometry (lon/lat), or the straight line between its nodes."""
    geom = G.edges[u, v, k].get("geometry")
    if geom is not None and not geom.is_empty:
        return geom
    return LineString([(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])])


def project_line(line: LineString) -> LineString:
    """A lon/lat line in the LAEA plane."""
    c = np.asarray(line.coords)[:, :2]
    x, y = project_xy(c[:, 0], c[:, 1])
    return LineString(np.column_stack([x, y]))


_TOWN_CACHE: dict[int, tuple] = {}


def _latin(text) -> bool:
    return isinstance(text, str) and bool(text.strip()) and all(
        ord(c) < 0x250 or not c.isalpha() for c in text)


def _town_points(gaz) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Latin-script names, LAEA coordinates and city flags of the gazetteer's cities and
    towns (cached per frame)."""
    hit = _TOWN_CACHE.get(id(gaz))
    if hit is not None and hit[0] is gaz:
        return hit[1]
    big = gaz[gaz["place"].isin(["city", "town"])].drop_duplicates("osm_node_id")
    names = [n if _latin(n) else (en if _latin(en) else None)
             for n, en in zip(big["name"], big["name_en"], strict=True)]
    keep = np.array([n is not None for n in names], dtype=bool)
    big = big[keep]
    x, y = project_xy(big["lon"].to_numpy(), big["lat"].to_numpy())
    # rank: cities before towns, then by population (unknown last)
    rank = np.where(big["place"] == "city", 0.0, 1.0) * 1e9 - big["population"].fillna(0)
    arrays = (np.array([n for n in names if n is not None], dtype=object), np.asarray(x),
              np.asarray(y), rank.to_numpy(dtype=float))
    _TOWN_CACHE[id(gaz)] = (gaz, arrays)  # holds the frame, so its id is not reused
    return arrays


def towns_passed(G: nx.MultiDiGraph, edges: Sequence[Edge], *, within_km: float = TOWN_BUFFER_KM,
                 min_gap_km: float = 25.0, gazetteer=None) -> list[str]:
    """Towns near a path, in travel order.

    Two sources, merged: the ``city`` (or ``name``) attribute of the path's nodes, and the
    gazetteer's cities and towns (Latin-script names) within ``within_km`` of the path
    geometry. Named nodes are always listed; gazetteer places, cities first and then by
    population, only when they lie at least ``min_gap_km`` along the path from every place
    already listed (so a capital's suburbs do not crowd the list). The trunk geometry is
    simplified (a few vertices per 100 km): a town listed is one the road passes near, not
    necessarily through.
    """
    if not edges:
        return []
    from routerisk.gazetteer import normalize_name

    lines = [project_line(edge_line(G, *e)) for e in edges]
    coords = np.vstack([np.asarray(ln.coords) for ln in lines])
    path = LineString(coords)
    found: list[tuple[float, float, str]] = []  # (position m, rank, name)
    for n in path_nodes(edges):
        label = G.nodes[n].get("city") or G.nodes[n].get("name")
        if isinstance(label, str) and label.strip():
            x, y = project_xy(G.nodes[n]["x"], G.nodes[n]["y"])
            found.append((path.project(shapely.Point(float(x), float(y))), -math.inf,
                          label.strip()))
    gaz = _gazetteer_or_none(gazetteer)
    if gaz is not None:
        names, tx, ty, rank = _town_points(gaz)
        x0, y0 = coords.min(axis=0) - within_km * 1000
        x1, y1 = coords.max(axis=0) + within_km * 1000
        sel = np.flatnonzero((tx >= x0) & (tx <= x1) & (ty >= y0) & (ty <= y1))
        if len(sel):
            pts = shapely.points(tx[sel], ty[sel])
            dist = shapely.distance(path, pts)
            for i in np.flatnonzero(dist <= within_km * 1000):
                pos = float(shapely.line_locate_point(path, pts[i]))
                found.append((pos, float(rank[sel[i]]), str(names[sel[i]])))
    kept: list[tuple[float, str]] = []
    seen: set[str] = set()
    for pos, prio, name in sorted(found, key=lambda t: (t[1], t[0])):
        key = normalize_name(name)
        if key in seen:
            continue
        if prio > -math.inf and any(abs(pos - p) < min_gap_km * 1000 for p, _ in kept):
            continue
        seen.add(key)
        kept.append((pos, name))
    return [name for _, name in sorted(kept)]


def _gazetteer_or_none(gazetteer):
    if gazetteer is not None:
        return gazetteer if len(gazetteer) else None
    try:
        from routerisk.gazetteer import load_gazetteer

        return load_gazetteer()
    except Exception:  # noqa: BLE001 - towns are a nicety; no gazetteer, no names
        log.info("no gazetteer found: routes list only the towns named on the graph")
        return None


# --------------------------------------------------------------------------- places
@dataclass(frozen=True)
class ResolvedPlace:
    """A place given by name or ``lat,lon``, snapped to the road graph."""

    query: str
    name: str
    lat: float
    lon: float
    node: Hashable
    snap_km: float


def resolve_place(G: nx.MultiDiGraph, place: str | tuple[float, float], *,
                  country: str | None = None, max_snap_km: float = MAX_SNAP_KM,
                  gazetteer=None) -> ResolvedPlace:
    """Geocode a place (name or ``"lat,lon"``) and snap it to the nearest road node.

    Raises
    ------
    GeocodeError
        Unknown or ambiguous place name (the message lists near matches).
    NodeNotFoundError
        When the nearest road node is farther than ``max_snap_km``.
    """
    from routerisk.gazetteer import geocode
    from routerisk.network import nearest_node

    if isinstance(place, tuple):
        query = f"{place[0]},{place[1]}"
    else:
        query = str(place)
    p = geocode(query, country=country, gazetteer=gazetteer)
    node = nearest_node(G, p.lat, p.lon)
    snap = great_circle_km(p.lat, p.lon, G.nodes[node]["y"], G.nodes[node]["x"])
    if snap > max_snap_km:
        raise NodeNotFoundError(
            f"'{query}' ({p.lat:.4f},{p.lon:.4f}) is {snap:.0f} km from the nearest road of "
            f"the network (limit {max_snap_km:.0f} km): is it inside the study area?")
    return ResolvedPlace(query, p.name, p.lat, p.lon, node, snap)


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


def _cost(G, edges, weight: WeightFn) -> float:
    return sum(weight(G.edges[e]) for e in edges)


def tradeoff_routes(G: nx.MultiDiGraph, source: Hashable, target: Hashable, *,
                    max_routes: int = 12, closed: Collection[Edge] | None = None
                    ) -> list[tuple[list[Edge], tuple[float, float]]]:
    """The distinct routes minimising ``hours + α · mu`` for some ``α ≥ 0``.

    Found exactly by recursive bisection: between two known routes A (faster) and B (safer)
    the breakpoint ``α* = (t_B − t_A) / (mu_A − mu_B)`` is tried; a route strictly cheaper
    than both at ``α*`` is a new supported point, otherwise A and B are neighbours on the
    front.

    Returns
    -------
    list of (edges, (alpha_lo, alpha_hi))
        Fastest first, safest last, each with the range of ``α`` it is optimal over.
    """
    fast = shortest_path(G, source, target, weight=fastest_weight(), closed=closed)
    safe = shortest_path(G, source, target, weight=safest_weight(), closed=closed)

    def tm(edges):
        return (_cost(G, edges, attr_weight("travel_time")) / 3600.0,
                _cost(G, edges, attr_weight("mu")))

    found = {tuple(fast): tm(fast), tuple(safe): tm(safe)}
    stack = [(tuple(fast), tuple(safe))]
    while stack and len(found) < max_routes:
        a, b = stack.pop()
        (ta, ma), (tb, mb) = found[a], found[b]
        if ma - mb <= 1e-12 or tb - ta <= 1e-12:
            continue
        alpha = (tb - ta) / (ma - mb)
        c = tuple(shortest_path(G, source, target, weight=time_risk_weight(alpha),
                                closed=closed))
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
        out.append((list(edges), (lo, hi)))
    return out


def _link_lengths(G, edges) -> dict[Link, float]:
    out: dict[Link, float] = {}
    for e in edges:
        lk = link_of(G, *e)
        out[lk] = out.get(lk, 0.0) + float(G.edges[e]["length"])
    return out


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


def alternative_routes(G: nx.MultiDiGraph, source: Hashable, target: Hashable, *,
                       weight: WeightFn, k: int, first: Sequence[Edge] | None = None,
                       penalty: float = 0.6, max_overlap: float = 0.7,
                       max_stretch: float = 2.0, max_iter: int | None = None,
                       closed: Collection[Edge] | None = None) -> list[list[Edge]]:
    """Up to ``k`` genuinely different routes besides ``first``, by the penalty method.

    Parameters
    ----------
    weight
        The cost being minimised (e.g. :func:`time_risk_weight`).
    k
        Number of alternatives wanted (besides ``first``).
    first
        The best route (computed when not given); alternatives must differ from it.
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
    best = list(first) if first is not None else shortest_path(
        G, source, target, weight=weight, closed=closed)
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
            cand = shortest_path(G, source, target, weight=weight, closed=closed,
                                 factor=factor)
        except NoRouteError:
            break
        bump(cand)
        if tuple(cand) in seen:
            continue
        seen.add(tuple(cand))
        if _cost(G, cand, weight) > max_stretch * best_cost + 1e-12:
            continue
        if all(overlap_fraction(G, cand, other) <= max_overlap for other in kept):
            kept.append(cand)
    return kept[1:]


def _reverse_edge(G, e: Edge) -> Edge | None:
    u, v, k = e
    if G.has_edge(v, u, k):
        return (v, u, k)
    return None


def route_between_nodes(G: nx.MultiDiGraph, source: Hashable, target: Hashable, *,
                        risk_aversion: float = DEFAULT_RISK_AVERSION_H, alternatives: int = 3,
                        max_overlap: float = 0.7, max_stretch: float = 2.0,
                        closed: Collection[Edge] | None = None, gazetteer=None,
                        origin_label: str | None = None,
                        destination_label: str | None = None) -> RouteSearch:
    """:func:`route` between two graph nodes (see there)."""
    check_risk_graph(G)
    if not isinstance(alternatives, int) or alternatives < 0:
        raise SpecError(f"alternatives must be an integer >= 0; got {alternatives!r}")
    weight = time_risk_weight(risk_aversion)
    trade = tradeoff_routes(G, source, target, closed=closed)

    def metrics(edges):
        return path_metrics(G, edges, gazetteer=gazetteer)

    fastest = RouteOption("fastest", metrics(trade[0][0]))
    safest = RouteOption("safest", metrics(trade[-1][0]))
    rec_edges = shortest_path(G, source, target, weight=weight, closed=closed)
    recommended = RouteOption("recommended", metrics(rec_edges))
    tradeoff = [RouteOption("trade-off", metrics(e) if e not in (trade[0][0], trade[-1][0])
                            else (fastest.metrics if e == trade[0][0] else safest.metrics),
                            alpha_range=r) for e, r in trade]
    alts = alternative_routes(G, source, target, weight=weight, k=alternatives,
                              first=rec_edges, max_overlap=max_overlap,
                              max_stretch=max_stretch, closed=closed)
    return RouteSearch(origin_label or str(source), destination_label or str(target),
                       float(risk_aversion), horizon_days(G), fastest, safest, recommended,
                       tradeoff, [RouteOption("alternative", metrics(e)) for e in alts])


def route(G: nx.MultiDiGraph, origin: str | tuple[float, float],
          destination: str | tuple[float, float], *,
          risk_aversion: float = DEFAULT_RISK_AVERSION_H, alternatives: int = 3,
          max_overlap: float = 0.7, max_stretch: float = 2.0,
          closed: Collection[Edge] | None = None, gazetteer=None) -> RouteSearch:
    """Fastest, safest, trade-off and alternative routes between two places.

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
                                   destination_label=b.name)
    except NoRouteError as exc:
        raise NoRouteError(f"no road connects '{a.query}' to '{b.query}' on this network"
                           f"{' with the closures given' if closed else ''}") from exc


class _EdgeTable:
    """Edges of a graph with their projected geometries (cached per graph object)."""

    def __init__(self, G: nx.MultiDiGraph) -> None:
        self.n_edges = G.number_of_edges()
        self.edges: list[Edge] = list(G.edges(keys=True))
        self.lines = np.array([project_line(edge_line(G, *e)) for e in self.edges],
                              dtype=object)
        self.tree = shapely.STRtree(self.lines)


_EDGE_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _edge_table(G: nx.MultiDiGraph) -> _EdgeTable:
    table = _EDGE_TABLES.get(G)
    if table is None or table.n_edges != G.number_of_edges():
        table = _EdgeTable(G)
        _EDGE_TABLES[G] = table
    return table


def edges_near(G: nx.MultiDiGraph, lat: float, lon: float, radius_km: float) -> list[Edge]:
    """Edges whose geometry comes within ``radius_km`` of a point.

    Distances are measured in a Lambert azimuthal equal-area plane centred on West Africa
    (error below 0.5 % over the study area).
    """
    table = _edge_table(G)
    x, y = project_xy(lon, lat)
    pt = shapely.Point(float(x), float(y))
    idx = table.tree.query(pt, predicate="dwithin", distance=radius_km * 1000.0)
    return [table.edges[i] for i in sorted(idx)]


def distance_to_network_km(G: nx.MultiDiGraph, lat: float, lon: float) -> float:
    """Distance from a point to the nearest edge geometry, km."""
    table = _edge_table(G)
    x, y = project_xy(lon, lat)
    pt = shapely.Point(float(x), float(y))
    i = table.tree.nearest(pt)
    return float(shapely.distance(table.lines[i], pt)) / 1000.0


# --------------------------------------------------------------------------- convenience
def risk_network(*, as_of=None, horizon_days: float = 30, incidents=None, G=None,
                 model=None) -> nx.MultiDiGraph:
    """The default risk-annotated study network (a fresh copy).

    Loads the study network (:func:`routerisk.network.load_study_network`) unless ``G`` is
    given, fits :class:`routerisk.hazard.HazardModel` with its defaults on ``incidents``
    (default :func:`routerisk.readers.default_incidents`) as of ``as_of`` unless a fitted
    ``model`` is given, and writes ``mu`` and ``p_disrupt`` over ``horizon_days`` on every
    edge (:func:`routerisk.risk.segment_risk`). ``G.graph["risk_as_of"]`` records the
    forecast date.
    """
    from routerisk.hazard import HazardModel
    from routerisk.network import load_study_network
    from routerisk.risk import segment_risk

    G = (load_study_network() if G is None else G).copy()
    if model is None:
        if incidents is None:
            from routerisk.readers import default_incidents

            incidents = default_incidents()
        model = HazardModel().fit(incidents, as_of=as_of, G=G)
    segment_risk(G, model, horizon_days=horizon_days)
    G.graph["risk_as_of"] = str(pd.Timestamp(model.as_of_).date())
    return G
