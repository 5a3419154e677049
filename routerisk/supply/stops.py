"""Import-route stops resolved on the road graph, and the routes' node paths through them.

A port or city resolves to the node the network itself names after it; other stops are
geocoded with the OSM gazetteers in their country (an ambiguous name is an error listing the
candidates) and snapped. :func:`route_paths` routes each import route through its stops under
the generalised cost, as a simple node path."""

from __future__ import annotations

import logging
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass

import networkx as nx

from routerisk.errors import ValidationError
from routerisk.geo.sphere import great_circle_km
from routerisk.supply.fuel_routes import FuelRoutes
from routerisk.supply.paths import Edge, cheapest_weight, path_through
from routerisk.supply.places import MAX_SNAP_KM

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- routing
@dataclass(frozen=True)
class SnappedStop:
    """A stop resolved to coordinates and snapped to a road node (``how``: ``network``
    when the network names the node after the place, ``gazetteer`` or ``coordinates``)."""

    name: str
    country: str
    lat: float
    lon: float
    node: Hashable
    snap_km: float
    how: str = "gazetteer"


def network_place_nodes(G: nx.MultiDiGraph, name: str, country: str | None = None
                        ) -> list[Hashable]:
    """Nodes the network itself names after a place (node attribute ``city``, and ``iso3``
    when ``country`` is given), matched accent- and case-insensitively."""
    from routerisk.geo.gazetteer import normalize_name

    key = normalize_name(name)
    out = []
    for n, d in G.nodes(data=True):
        city = d.get("city")
        if not city or normalize_name(str(city)) != key:
            continue
        if country and d.get("iso3") and str(d["iso3"]).upper() != country.upper():
            continue
        out.append(n)
    return out


def _network_node(G: nx.MultiDiGraph, name: str, country: str) -> Hashable | None:
    """The one node of a segmented or plain network named after the place; pieces' inner
    nodes carry no ``city``, so two named nodes mean two places."""
    from routerisk.errors import GeocodeError

    nodes = network_place_nodes(G, name, country)
    if len(nodes) > 1:
        listed = "; ".join(f"node {n} ({G.nodes[n]['y']:.4f},{G.nodes[n]['x']:.4f})"
                           for n in nodes[:6])
        raise GeocodeError(f"ambiguous place '{name}' ({country}): the network names "
                           f"{len(nodes)} nodes after it: {listed}; give lat/lon")
    return nodes[0] if nodes else None


def resolve_stops(G: nx.MultiDiGraph, spec: FuelRoutes, *, gazetteer=None,
                  max_snap_km: float = MAX_SNAP_KM) -> dict[str, list[SnappedStop]]:
    """Resolve every stop of every route and snap it to the road graph.

    A stop with ``lat``/``lon`` is snapped to the nearest node. A port or city
    (``kind = "port"`` or ``"city"``) resolves to the node the network itself names after it
    (node attribute ``city`` in the stop's country) when there is one; otherwise, and for
    every other stop, the name is geocoded with the OSM gazetteers in the stop's country
    (an ambiguous name is an error listing the candidates) and snapped.

    Returns
    -------
    dict
        Route name → its stops in order (origin, via…, destination).

    Raises
    ------
    ValidationError
        Listing every stop that is unknown, ambiguous or too far from the network.
    """
    from routerisk.errors import GeocodeError
    from routerisk.geo.gazetteer import geocode
    from routerisk.network.nodes import nearest_node

    cache: dict[tuple, SnappedStop] = {}
    problems: list[str] = []
    outside: dict[str, None] = {}
    out: dict[str, list[SnappedStop]] = {}
    for r in spec.routes:
        snapped = []
        for s in r.stops(spec.destination):
            key = (s.name, s.country, s.lat, s.lon, s.kind)
            if key not in cache:
                try:
                    cache[key] = _snap_stop(G, s, geocode, nearest_node, gazetteer,
                                            max_snap_km)
                except GeocodeError as exc:
                    if getattr(exc, "outside_km", None) is not None:
                        outside[f"{s.name} ({s.country}, {exc.outside_km:.0f} km)"] = None
                    problems.append(f"route '{r.name}', stop '{s.name}' ({s.country}): {exc}")
                    continue
            snapped.append(cache[key])
        out[r.name] = snapped
    if outside:
        where = G.graph.get("source") or "this road graph"
        problems.insert(0, f"{len(outside)} town(s) lie outside the road graph {where} "
                           f"(more than {max_snap_km:.0f} km from its nearest node): "
                           + ", ".join(outside) + "; use a graph that covers them or "
                           "--routes FILE with routes inside this graph")
    if problems:
        raise ValidationError(spec.source or "fuel routes", problems)
    return out


def _snap_stop(G, s, geocode, nearest_node, gazetteer, max_snap_km) -> SnappedStop:
    from routerisk.errors import GeocodeError

    if s.lat is not None:
        lat, lon, how = s.lat, s.lon, "coordinates"
    else:
        if s.kind in ("port", "city"):
            node = _network_node(G, s.name, s.country)
            if node is not None:
                d = G.nodes[node]
                return SnappedStop(s.name, s.country, float(d["y"]), float(d["x"]), node, 0.0,
                                   "network")
        p = geocode(s.name, country=s.country, gazetteer=gazetteer)
        if p.country_iso3 and p.country_iso3 != s.country:
            raise GeocodeError(f"not in the gazetteer for {s.country} (the nearest match is "
                               f"{p.name}, {p.country_iso3})")
        lat, lon, how = p.lat, p.lon, "gazetteer"
    node = nearest_node(G, lon, lat)
    dist = float(great_circle_km(lat, lon, G.nodes[node]["y"], G.nodes[node]["x"]))
    if dist > max_snap_km:
        exc = GeocodeError(f"{dist:.0f} km from the nearest road node "
                           f"(limit {max_snap_km:.0f} km)")
        exc.outside_km = dist  # the stop lies outside this road graph
        raise exc
    return SnappedStop(s.name, s.country, lat, lon, node, dist, how)


def route_paths(G: nx.MultiDiGraph, spec: FuelRoutes, *, stops=None,
                closed: Collection[Edge] | None = None, gazetteer=None, cost=None
                ) -> dict[str, list[Hashable]]:
    """Each route's path as nodes: the cheapest path under the generalised cost from its
    origin through its stops, loops cut out (a simple path).

    Raises
    ------
    NoRouteError
        When a route's stops are not connected (the message names the route).
    """
    from routerisk.errors import NoRouteError

    stops = stops if stops is not None else resolve_stops(G, spec, gazetteer=gazetteer)
    weight = cheapest_weight(G, cost)
    out = {}
    for r in spec.routes:
        nodes = [s.node for s in stops[r.name]]
        try:
            out[r.name] = path_through(G, nodes, weight=weight, closed=closed)
        except NoRouteError as exc:
            raise NoRouteError(f"import route '{r.name}': its stops are not connected on "
                               f"the road graph ({exc})") from exc
    return out


def skipped_stops(paths: Mapping[str, list[Hashable]],
                  stops: Mapping[str, list[SnappedStop]]) -> list[str]:
    """Notes for stops a route passes at a junction instead of visiting (they lie on a
    spur off the road, and the loop there was cut out)."""
    out = []
    for name, nodes in paths.items():
        on = set(nodes)
        for st in stops.get(name, []):
            if st.node not in on:
                out.append(f"route '{name}': stop '{st.name}' lies on a spur off the road; "
                           "the route passes it at the junction (no U-turn)")
    return out


def snap_notes(stops: Mapping[str, list[SnappedStop]], *, km: float = 15.0) -> list[str]:
    """Notes for stops that lie far from the road network (coarse network, missing road)."""
    return [f"route '{name}': stop '{st.name}' is {st.snap_km:.0f} km from the nearest road "
            "node" for name, ss in stops.items() for st in ss if st.snap_km > km]

