"""Disruption scenarios: composable closures and their effect on the fuel-import routes.

A :class:`Scenario` combines three kinds of closure:

- **blockade** of a town: every road piece whose geometry comes within ``radius_km`` of the
  town is closed. Radius: the one given, else the ``closure_radius_km`` of the catalogue's
  blockade of that town (matched by place name, within 25 km), else
  :data:`DEFAULT_BLOCKADE_RADIUS_KM` (25 km, see ``incidents/README.md``, *Closures*);
- **road** closure: a named road of ``networks/scenarios.toml`` (the trunk network has no
  ``ref`` tags; a road is declared as the towns it passes), a ``ref`` when the graph has
  them, or the road between two towns written ``"A..B"`` (the fastest road between them,
  both directions);
- **ban** on imports from countries: every import route whose origin, or the exporting
  side of its border crossing, is in a banned country is cut (no detour can help).

:func:`run_scenario` compares each import route with the baseline: routes hit by a closure
are rerouted from origin to destination on the fastest open road (their declared stops are
dropped: the stops describe the usual corridor, not an obligation), else cut. Closures that
touch no road, and bans that hit no route, are reported in ``warnings``, never ignored."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from routerisk.errors import NoRouteError, SpecError, UnknownNameError
from routerisk.geo.sphere import great_circle_km
from routerisk.network.naming import link_label
from routerisk.supply.exposure import resolve_stops, route_paths, snap_notes
from routerisk.supply.fuel_routes import FuelRoutes, country_code, load_routes, with_shares
from routerisk.supply.paths import (
    Edge,
    check_risk_graph,
    fastest_weight,
    horizon_days,
    link_of,
    path_metrics,
    shortest_path,
)
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
    try:
        path = shortest_path(G, na, nb, weight=fastest_weight())
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
        :func:`routerisk.readers.load_catalogue`); ``None``: always the default radius.
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
            c = Closure("road", text, f"the fastest road between {pair[0]} and {pair[1]}",
                        edges)
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


# --------------------------------------------------------------------------- results
@dataclass
class ScenarioResult:
    """Result of :func:`run_scenario`.

    Attributes
    ----------
    routes
        One row per import route: ``share``, ``status`` (``unaffected``, ``detour``,
        ``cut``, ``banned``), baseline ``length_km``, ``travel_time_h``, ``mu``,
        ``p_disrupt``, and under the scenario ``new_length_km``, ``new_travel_time_h``,
        ``new_mu``, ``new_p_disrupt``, ``detour_km``, ``detour_h`` (NaN when cut),
        ``new_towns``.
    share_cut
        Share of import volume whose route no longer reaches the destination (banned or no
        open road).
    share_detour
        Share that still arrives but must take another road.
    expected_share_disrupted_baseline, expected_share_disrupted
        Σ share × P(disruption) over the routes, before and under the scenario (routes cut
        count as lost, not as disrupted: add ``share_cut`` for everything not delivered).
    closures
        The resolved closures (with warnings).
    warnings
        Closures that touch no road, bans that hit no route, negative detours.
    """

    scenario: Scenario
    routes: pd.DataFrame
    share_cut: float
    share_detour: float
    expected_share_disrupted_baseline: float
    expected_share_disrupted: float
    closures: list[Closure]
    warnings: list[str]
    horizon_days: float | None
    assumptions: dict[str, str]
    notes: list[str] = field(default_factory=list)
    paths: dict[str, list[Edge]] = field(default_factory=dict, repr=False)

    @property
    def share_reaching(self) -> float:
        return 1.0 - self.share_cut

    def to_dict(self, G: nx.MultiDiGraph | None = None, gazetteer=None) -> dict:
        from routerisk.supply.exposure import _records

        return {"scenario": self.scenario.name, "title": self.scenario.title,
                "sources": self.scenario.sources, "horizon_days": self.horizon_days,
                "share_cut": self.share_cut,
                "share_detour": self.share_detour,
                "share_reaching": self.share_reaching,
                "expected_share_disrupted_baseline":
                    self.expected_share_disrupted_baseline,
                "expected_share_disrupted": self.expected_share_disrupted,
                "routes": _records(self.routes.reset_index()),
                "closures": [c.to_dict(G, gazetteer) for c in self.closures],
                "bans": sorted({country_code(b) for b in self.scenario.bans}),
                "warnings": self.warnings, "assumptions": self.assumptions,
                "notes": self.notes}


def banned_routes(spec: FuelRoutes, bans: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Routes cut by bans on imports from countries.

    Returns
    -------
    (dict, list)
        Route name → the banned country that cuts it; warnings for banned countries that
        no route comes from.
    """
    codes = [country_code(b) for b in bans]
    hit: dict[str, str] = {}
    for r in spec.routes:
        for c in codes:
            if c in (r.origin_country, r.border_country):
                hit[r.name] = c
                break
    warnings = [f"ban on imports from {c}: no import route comes from {c}"
                for c in dict.fromkeys(codes) if c not in hit.values()]
    return hit, warnings


def run_scenario(G: nx.MultiDiGraph, scenario: Scenario, spec: FuelRoutes | None = None, *,
                 shares: Mapping[str, float] | None = None, presets: Presets | None = None,
                 catalogue=None, gazetteer=None, strict: bool = False,
                 closures: list[Closure] | None = None) -> ScenarioResult:
    """Effect of a scenario on every import route, against the baseline.

    Parameters
    ----------
    G
        Risk-annotated road graph (``length`` m, ``travel_time`` s, ``mu``).
    scenario
        Blockades, road closures and bans.
    spec, shares
        Import routes (default :func:`routerisk.fuel.load_routes`) and share overrides.
    presets
        Named roads (default :func:`load_presets`).
    catalogue
        Incident frame giving blockade radii (see :func:`resolve_closures`).
    gazetteer
        Gazetteer frame (default the shared one).
    strict
        Closures touching no road raise :class:`SpecError` instead of warning.
    closures
        Already resolved closures (skip :func:`resolve_closures`).

    Returns
    -------
    ScenarioResult
    """
    check_risk_graph(G)
    spec = with_shares(load_routes() if spec is None else spec, shares or {})
    if closures is None:
        closures = resolve_closures(G, scenario, presets=presets, catalogue=catalogue,
                                    gazetteer=gazetteer, strict=strict)
    closed: set[Edge] = set().union(*(c.edges for c in closures)) if closures else set()
    banned, warnings = banned_routes(spec, scenario.bans)
    if strict and warnings:
        raise SpecError("; ".join(warnings))
    warnings = [c.warning for c in closures if c.warning] + warnings
    stops = resolve_stops(G, spec, gazetteer=gazetteer)
    base = route_paths(G, spec, stops=stops)
    rows, new_paths = [], {}
    for r in spec.routes:
        path = base[r.name]
        m0 = path_metrics(G, path, towns=False)
        row = {"route": r.name, "share": r.share, "status": "unaffected",
               "length_km": m0.length_km, "travel_time_h": m0.travel_time_h, "mu": m0.mu,
               "p_disrupt": m0.p_disrupt, "cut_by": ""}
        hit_by = [c for c in closures if c.edges.intersection(path)]
        for c in hit_by:
            c.routes_hit.append(r.name)
        new = None
        if r.name in banned:
            row["status"], row["cut_by"] = "banned", f"ban on {banned[r.name]}"
        elif hit_by:
            row["cut_by"] = "; ".join(f"{c.kind} {c.target}" for c in hit_by)
            try:
                new = shortest_path(G, stops[r.name][0].node, stops[r.name][-1].node,
                                    weight=fastest_weight(), closed=closed)
                row["status"] = "detour"
            except NoRouteError:
                row["status"] = "cut"
        else:
            new = path
        if new is not None:
            m1 = path_metrics(G, new, gazetteer=gazetteer)
            new_paths[r.name] = new
            row.update(new_length_km=m1.length_km, new_travel_time_h=m1.travel_time_h,
                       new_mu=m1.mu, new_p_disrupt=m1.p_disrupt,
                       detour_km=m1.length_km - m0.length_km,
                       detour_h=m1.travel_time_h - m0.travel_time_h,
                       new_towns=", ".join(m1.towns) if row["status"] == "detour" else "")
            if row["status"] == "detour" and row["detour_h"] < 0:
                warnings.append(
                    f"route '{r.name}': the detour is {-row['detour_h']:.1f} h faster than "
                    "the declared corridor (the network's fastest road differs from the "
                    "corridor the route file declares)")
        else:
            row.update(new_length_km=math.nan, new_travel_time_h=math.nan, new_mu=math.nan,
                       new_p_disrupt=math.nan, detour_km=math.nan, detour_h=math.nan,
                       new_towns="")
        rows.append(row)
    table = pd.DataFrame(rows).set_index("route")
    cut = table["status"].isin(["cut", "banned"])
    detour = table["status"] == "detour"
    base_exp = float((table["share"] * table["p_disrupt"]).sum())
    new_exp = float((table["share"] * table["new_p_disrupt"]).where(~cut, 0.0).sum())
    log.info("scenario %s: %.1f %% of volume cut, %.1f %% detours", scenario.name,
             100 * table.loc[cut, "share"].sum(), 100 * table.loc[detour, "share"].sum())
    return ScenarioResult(scenario, table, float(table.loc[cut, "share"].sum()),
                          float(table.loc[detour, "share"].sum()), base_exp, new_exp,
                          closures, warnings, horizon_days(G), spec.assumptions_in_use(),
                          list(spec.notes) + snap_notes(stops), new_paths)
