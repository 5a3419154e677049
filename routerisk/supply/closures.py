"""Closures of a scenario resolved on the road graph: town blockades (roads within a radius),
road closures (a named road, a ``ref``, or the road between two towns) — several at once.

See :mod:`routerisk.supply.scenarios` for how they are applied to the import routes."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import networkx as nx

from routerisk.errors import NoRouteError, SpecError, UnknownNameError
from routerisk.geo.sphere import great_circle_km
from routerisk.network.naming import link_label
from routerisk.supply.paths import Edge, cheapest_weight, edges_of, link_of, shortest_path
from routerisk.supply.places import distance_to_network_km, edges_near
from routerisk.supply.scenario_spec import (
    DEFAULT_BLOCKADE_RADIUS_KM,
    ROAD_SEPARATORS,
    Presets,
    Scenario,
    load_presets,
)

log = logging.getLogger(__name__)


#: A catalogue blockade matches a town when its place name matches and it lies this close, km.
CATALOGUE_MATCH_KM = 25.0


# --------------------------------------------------------------------------- closures
@dataclass
class Closure:
    """One closure resolved on the graph.

    ``edges`` are the directed pieces closed; ``links`` the road links they belong to.
    """

    kind: str
    target: str
    detail: str
    edges: set[Edge] = field(default_factory=set)
    links: set[tuple] = field(default_factory=set)
    routes_hit: list[str] = field(default_factory=list)
    warning: str | None = None

    def to_dict(self, G: nx.MultiDiGraph | None = None, gazetteer=None) -> dict:
        out = {"kind": self.kind, "target": self.target, "detail": self.detail,
               "pieces_closed": len(self.edges), "links_closed": len(self.links),
               "routes_hit": self.routes_hit, "warning": self.warning}
        if G is not None:
            out["roads"] = sorted(link_label(G, lk, gazetteer=gazetteer) for lk in self.links)
        return out


def _catalogue_radius(town: str, lat: float, lon: float, catalogue) -> float | None:
    if catalogue is None or len(catalogue) == 0:
        return None
    from routerisk.geo.gazetteer import normalize_name

    rows = catalogue[(catalogue["event_type"] == "blockade")
                     & catalogue["closure_radius_km"].notna()]
    if rows.empty:
        return None
    key = normalize_name(town)
    named = rows[rows["place"].astype(str).map(normalize_name) == key]
    if named.empty:
        return None
    dist = great_circle_km(lat, lon, named["latitude"].to_numpy(float),
                           named["longitude"].to_numpy(float))
    named = named[dist <= CATALOGUE_MATCH_KM]
    if named.empty:
        return None
    latest = named.sort_values("date").iloc[-1]
    return float(latest["closure_radius_km"])


def _with_reverse(G: nx.MultiDiGraph, edges: Iterable[Edge]) -> set[Edge]:
    out = set()
    for u, v, k in edges:
        out.add((u, v, k))
        if G.has_edge(v, u):
            for k2 in G[v][u]:
                if link_of(G, v, u, k2) == link_of(G, u, v, k):
                    out.add((v, u, k2))
    return out


def _road_between(G, a: str, b: str, *, gazetteer, country: str | None) -> tuple[set[Edge], str]:
    from routerisk.geo.gazetteer import geocode
    from routerisk.network.nodes import nearest_node

    pa = geocode(a, country=country, gazetteer=gazetteer)
    pb = geocode(b, country=country, gazetteer=gazetteer)
    na, nb = nearest_node(G, pa.lon, pa.lat), nearest_node(G, pb.lon, pb.lat)
    if na == nb:
        return set(), f"{pa.name} and {pb.name} snap to the same road node"
    weight = cheapest_weight(G)
    try:
        path = edges_of(G, shortest_path(G, na, nb, weight=weight), weight=weight)
    except NoRouteError:
        return set(), f"no road connects {pa.name} and {pb.name} on the network"
    return _with_reverse(G, path), ""


def _split_road(text: str) -> tuple[str, str] | None:
    for sep in ROAD_SEPARATORS:
        if sep in text:
            a, _, b = text.partition(sep)
            if a.strip() and b.strip():
                return a.strip(), b.strip()
    return None


def resolve_closures(G: nx.MultiDiGraph, scenario: Scenario, *, presets: Presets | None = None,
                     catalogue=None, gazetteer=None, strict: bool = False) -> list[Closure]:
    """Resolve a scenario's blockades and road closures to closed edges.

    Parameters
    ----------
    G
        Road graph (possibly segmented).
    scenario
        The closures.
    presets
        Named roads (default: :func:`load_presets`).
    catalogue
        Incident frame whose blockade rows give default radii (e.g.
        :func:`routerisk.incidents.io.load_catalogue`); ``None``: always the default radius.
    gazetteer
        Gazetteer frame (default: the shared one).
    strict
        Raise :class:`SpecError` when a closure touches no road, instead of a warning.

    Raises
    ------
    GeocodeError
        Unknown town (the message lists near matches from the gazetteer).
    UnknownNameError
        Unknown road reference.
    """
    from routerisk.geo.gazetteer import geocode

    presets = load_presets() if presets is None else presets
    out: list[Closure] = []
    for b in scenario.blockades:
        place = geocode(b.town, country=b.country or "MLI", gazetteer=gazetteer)
        if b.radius_km is not None:
            radius, why = float(b.radius_km), "given"
        else:
            cat = _catalogue_radius(b.town, place.lat, place.lon, catalogue)
            radius, why = ((cat, "catalogue blockade") if cat is not None
                           else (DEFAULT_BLOCKADE_RADIUS_KM, "default"))
        edges = set(edges_near(G, place.lat, place.lon, radius))
        c = Closure("blockade", place.name,
                    f"roads within {radius:g} km ({why}) of {place.name} "
                    f"({place.lat:.3f},{place.lon:.3f})", edges)
        if not edges:
            d = distance_to_network_km(G, place.lat, place.lon)
            c.warning = (f"blockade of {place.name} closes nothing: the nearest road is "
                         f"{d:.0f} km away, beyond the {radius:g} km radius")
        out.append(c)
    for text in scenario.roads:
        pair = _split_road(text)
        if pair is not None:
            edges, why = _road_between(G, *pair, gazetteer=gazetteer, country=None)
            c = Closure("road", text,
                        f"the cheapest road (generalised cost) between {pair[0]} and "
                        f"{pair[1]}", edges)
            if not edges:
                c.warning = f"road closure '{text}' closes nothing: {why}"
        elif text in presets.roads:
            road = presets.roads[text]
            edges = set()
            problems = []
            for a, b in zip(road.towns[:-1], road.towns[1:], strict=True):
                e, why = _road_between(G, a, b, gazetteer=gazetteer, country=None)
                edges |= e
                if why:
                    problems.append(why)
            c = Closure("road", text, road.label or " – ".join(road.towns), edges)
            if problems:
                c.warning = f"road '{text}': {'; '.join(problems)}"
        else:
            tagged = {(u, v, k) for u, v, k, r in G.edges(keys=True, data="ref")
                      if r is not None and text in [s.strip() for s in str(r).split(";")]}
            if not tagged:
                has_refs = any(r is not None for *_, r in G.edges(keys=True, data="ref"))
                known = ", ".join(presets.roads) or "none"
                raise UnknownNameError(
                    f"unknown road '{text}': "
                    + ("no edge has this ref" if has_refs else "the network has no 'ref' tags")
                    + f"; named roads: {known}; or give two towns as 'Kayes..Diéma'")
            c = Closure("road", text, f"edges tagged ref={text}", _with_reverse(G, tagged))
        out.append(c)
    for c in out:
        c.links = {link_of(G, *e) for e in c.edges}
        if c.warning:
            if strict:
                raise SpecError(c.warning)
            log.warning("%s", c.warning)
    return out


def closed_edges(closures: Collection[Closure]) -> set[Edge]:
    """Union of the edges the closures close."""
    return set().union(*(c.edges for c in closures)) if closures else set()

