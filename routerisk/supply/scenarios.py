"""Disruption scenarios: composable closures and their effect on the fuel supply.

A :class:`Scenario` combines three kinds of closure, several at once
(:mod:`routerisk.supply.closures`):

- **blockade** of a town: every road piece whose geometry comes within ``radius_km`` of the
  town is closed. Radius: the one given, else the ``closure_radius_km`` of the catalogue's
  blockade of that town (matched by place name, within 25 km), else
  :data:`DEFAULT_BLOCKADE_RADIUS_KM` (25 km, see ``incidents/README.md``, *Closures*);
- **road** closure: a named road of ``scenarios.toml`` (the trunk network has no ``ref``
  tags; a road is declared as the towns it passes), a ``ref`` when the graph has them, or
  the road between two towns written ``"A..B"`` (the cheapest road between them, both
  directions);
- **ban** on imports from countries: every import route whose origin, or the exporting
  side of its border crossing, is in a banned country is cut off (no detour can help).

:func:`run_scenario` compares each import route with the baseline (routed once, through
its declared stops, under the generalised cost, and reused): a route hit by a closure is
rerouted from origin to destination on the cheapest open road under the same cost (its
declared stops are dropped: they describe the usual corridor, not an obligation), else cut
off. A detour is never cheaper than the cheapest road of the undamaged network; it comes
out cheaper than its baseline only when the declared corridor was not the cheapest road,
and then the result says so.

"Cut off" (no route: banned, or no open road) and "disrupted" are reported apart. A route
forced off its corridor by a closure is disrupted with certainty (the closure is the
disruption); the other routes that still arrive are disrupted with their P over the
horizon. The fuel supply model (:mod:`routerisk.supply.logistics`) turns the result into
m³/day arriving, days of stock cover, extra tanker-days and tankers lost. Closures that
touch no road, and bans that hit no route, are reported in ``warnings``, never ignored."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from routerisk.errors import NoRouteError, SpecError
from routerisk.supply.closures import (  # noqa: F401  (re-exported)
    CATALOGUE_MATCH_KM,
    Closure,
    closed_edges,
    resolve_closures,
)
from routerisk.supply.exposure import (
    Baseline,
    _records,
    all_assumptions,
    compute_baseline,
    not_cheapest_notes,
)
from routerisk.supply.fuel_routes import FuelRoutes, country_code, load_routes, with_shares
from routerisk.supply.logistics import load_supply, supply_summary
from routerisk.supply.paths import (
    cheapest_weight,
    check_risk_graph,
    horizon_days,
    path_metrics,
    shortest_path,
)
from routerisk.supply.scenario_spec import DEFAULT_BLOCKADE_RADIUS_KM, Presets, Scenario

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_BLOCKADE_RADIUS_KM", "Closure", "ScenarioResult", "banned_routes",
           "closed_edges", "resolve_closures", "run_scenario"]


# --------------------------------------------------------------------------- results
@dataclass
class ScenarioResult:
    """Result of :func:`run_scenario`.

    Attributes
    ----------
    routes
        One row per import route: ``share``, ``status`` (``unaffected``, ``detour``,
        ``cut``, ``banned``), ``cut_by``; baseline ``length_km``, ``travel_time_h``,
        ``cost_h``, ``mu``, ``p_disrupt``; under the scenario ``new_length_km``,
        ``new_travel_time_h``, ``new_cost_h``, ``new_mu``, ``new_p_disrupt`` (of the road
        now used), ``p_disrupt_scenario`` (1 for a route forced off its corridor),
        ``detour_km``, ``detour_h`` (generalised cost), ``detour_cheaper`` (the detour costs
        less than the baseline: the corridor was not the cheapest road), ``new_towns``; the
        supply figures ``m3_per_day`` (baseline), ``m3_per_day_arriving``,
        ``round_trip_days``, ``new_round_trip_days``, ``extra_tanker_days_per_day``,
        ``tankers_lost_per_month``, ``new_tankers_lost_per_month``. NaN where cut off.
    share_cut
        Share of import volume cut off: banned, or no open road reaches the destination.
    share_detour
        Share that still arrives but must leave its corridor.
    expected_share_disrupted_baseline
        Σ share × P(disruption) before the scenario.
    expected_share_disrupted
        Σ share × P over the routes that still arrive, with P = 1 for a route forced off
        its corridor (cut-off routes are in ``share_cut``, not here).
    expected_share_disrupted_by_incidents
        The same with the P of the road each route now uses (closures not counted).
    supply_baseline, supply
        National supply totals before and under the scenario
        (:func:`routerisk.supply.logistics.supply_summary`): m³/day arriving, share of
        demand, days of cover, extra tanker-days, tankers lost per month.
    closures
        The resolved closures (with warnings).
    warnings
        Closures that touch no road, bans that hit no route, detours cheaper than their
        baseline.
    paths
        Route name → node path under the scenario (routes still arriving).
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
    paths: dict[str, list] = field(default_factory=dict, repr=False)
    expected_share_disrupted_by_incidents: float = math.nan
    supply_baseline: dict = field(default_factory=dict)
    supply: dict = field(default_factory=dict)

    @property
    def share_reaching(self) -> float:
        return 1.0 - self.share_cut

    def to_dict(self, G: nx.MultiDiGraph | None = None, gazetteer=None) -> dict:
        return {"scenario": self.scenario.name, "title": self.scenario.title,
                "sources": self.scenario.sources, "horizon_days": self.horizon_days,
                "share_cut_off": self.share_cut,
                "share_detour": self.share_detour,
                "share_reaching": self.share_reaching,
                "expected_share_disrupted_baseline":
                    self.expected_share_disrupted_baseline,
                "expected_share_disrupted": self.expected_share_disrupted,
                "expected_share_disrupted_by_incidents":
                    self.expected_share_disrupted_by_incidents,
                "supply_baseline": self.supply_baseline, "supply": self.supply,
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
                 closures: list[Closure] | None = None, baseline: Baseline | None = None,
                 cost=None, supply=None) -> ScenarioResult:
    """Effect of a scenario on every import route and on the fuel supply.

    Parameters
    ----------
    G
        Risk-annotated road graph (``length`` m, ``travel_time`` s, ``mu``).
    scenario
        Blockades, road closures and bans.
    spec, shares
        Import routes (default :func:`routerisk.supply.fuel_routes.load_routes`) and share
        overrides (ignored when ``baseline`` is given: its routes are used).
    presets
        Named roads (default :func:`routerisk.supply.scenario_spec.load_presets`).
    catalogue
        Incident frame giving blockade radii (see :func:`resolve_closures`).
    gazetteer
        Gazetteer frame (default the shared ones).
    strict
        Closures touching no road, or bans hitting no route, raise :class:`SpecError`.
    closures
        Already resolved closures (skip :func:`resolve_closures`).
    baseline
        The routed baseline (:func:`routerisk.supply.exposure.compute_baseline`), reused
        across scenarios; computed when not given.
    cost, supply
        Generalised cost and supply models (defaults from ``routerisk/data``); ``cost`` is
        taken from ``baseline`` when one is given.

    Returns
    -------
    ScenarioResult
    """
    check_risk_graph(G)
    if baseline is None:
        spec = with_shares(load_routes() if spec is None else spec, shares or {})
        baseline = compute_baseline(G, spec, cost=cost, gazetteer=gazetteer, towns=False)
    spec, cost = baseline.spec, baseline.cost
    supply = load_supply() if supply is None else supply
    if closures is None:
        closures = resolve_closures(G, scenario, presets=presets, catalogue=catalogue,
                                    gazetteer=gazetteer, strict=strict)
    for c in closures:
        c.routes_hit = []
    closed = closed_edges(closures)
    banned, warnings = banned_routes(spec, scenario.bans)
    if strict and warnings:
        raise SpecError("; ".join(warnings))
    warnings = [c.warning for c in closures if c.warning] + warnings
    weight = cheapest_weight(G, cost)
    hd = horizon_days(G)
    rows, new_paths = [], {}
    for r in spec.routes:
        m0 = baseline.metrics[r.name]
        base_supply = supply.route_row(r.share, m0.cost_h, m0.border_h, m0.mu, hd)
        row = {"route": r.name, "share": r.share, "status": "unaffected", "cut_by": "",
               "length_km": m0.length_km, "travel_time_h": m0.travel_time_h,
               "cost_h": m0.cost_h, "mu": m0.mu, "p_disrupt": m0.p_disrupt,
               "m3_per_day": base_supply["m3_per_day"],
               "round_trip_days": base_supply["round_trip_days"],
               "tankers_lost_per_month": base_supply["tankers_lost_per_month"]}
        hit_by = [c for c in closures if c.edges.intersection(m0.edges)]
        for c in hit_by:
            c.routes_hit.append(r.name)
        m1 = None
        if r.name in banned:
            row["status"], row["cut_by"] = "banned", f"ban on {banned[r.name]}"
        elif hit_by:
            row["cut_by"] = "; ".join(f"{c.kind} {c.target}" for c in hit_by)
            try:
                nodes = shortest_path(G, *baseline.ends(r.name), weight=weight, closed=closed)
                m1 = path_metrics(G, nodes, weight=weight, closed=closed, cost=cost,
                                  gazetteer=gazetteer)
                row["status"] = "detour"
            except NoRouteError:
                row["status"] = "cut"
        else:
            m1 = m0
        rows.append(row)
        if m1 is None:
            row.update(new_length_km=math.nan, new_travel_time_h=math.nan,
                       new_cost_h=math.nan, new_mu=math.nan, new_p_disrupt=math.nan,
                       p_disrupt_scenario=math.nan, detour_km=math.nan, detour_h=math.nan,
                       detour_cheaper=False, new_towns="", m3_per_day_arriving=0.0,
                       new_round_trip_days=math.nan, extra_tanker_days_per_day=0.0,
                       new_tankers_lost_per_month=0.0)
            continue
        new_paths[r.name] = m1.nodes
        detour = row["status"] == "detour"
        new_supply = supply.route_row(r.share, m1.cost_h, m1.border_h, m1.mu, hd)
        rt0, rt1 = base_supply["round_trip_days"], new_supply["round_trip_days"]
        row.update(new_length_km=m1.length_km, new_travel_time_h=m1.travel_time_h,
                   new_cost_h=m1.cost_h, new_mu=m1.mu, new_p_disrupt=m1.p_disrupt,
                   p_disrupt_scenario=1.0 if detour else m1.p_disrupt,
                   detour_km=m1.length_km - m0.length_km, detour_h=m1.cost_h - m0.cost_h,
                   detour_cheaper=bool(detour and m1.cost_h < m0.cost_h - 1e-6),
                   new_towns=", ".join(m1.towns) if detour else "",
                   m3_per_day_arriving=base_supply["m3_per_day"] * min(1.0, rt0 / rt1),
                   new_round_trip_days=rt1,
                   extra_tanker_days_per_day=base_supply["tankers_per_day"] * (rt1 - rt0),
                   new_tankers_lost_per_month=new_supply["tankers_lost_per_month"])
        if row["detour_cheaper"]:
            warnings.append(
                f"route '{r.name}': the detour costs {-row['detour_h']:.1f} h less than the "
                f"declared corridor because the corridor is not the cheapest road under the "
                f"cost model (cheapest {baseline.cheapest_cost_h[r.name]:.1f} h, corridor "
                f"{m0.cost_h:.1f} h)")
    table = pd.DataFrame(rows).set_index("route")
    return _result(G, scenario, baseline, supply, table, closures, warnings, new_paths)


def _result(G, scenario, baseline, supply, table, closures, warnings, new_paths
            ) -> ScenarioResult:
    cut = table["status"].isin(["cut", "banned"])
    detour = table["status"] == "detour"
    base_exp = float((table["share"] * table["p_disrupt"]).sum())
    new_exp = float((table["share"] * table["p_disrupt_scenario"]).where(~cut, 0.0).sum())
    by_inc = float((table["share"] * table["new_p_disrupt"]).where(~cut, 0.0).sum())
    base_rows = [{"m3_per_day": r.m3_per_day, "tankers_lost_per_month":
                  r.tankers_lost_per_month} for r in table.itertuples()]
    new_rows = [{"m3_per_day": r.m3_per_day_arriving,
                 "tankers_lost_per_month": r.new_tankers_lost_per_month,
                 "extra_tanker_days_per_day": r.extra_tanker_days_per_day}
                for r in table.itertuples()]
    sb, sn = supply_summary(supply, base_rows), supply_summary(supply, new_rows)
    for d in (sb, sn):
        d.pop("fleet_tankers", None)
        d.pop("tankers_lost_per_month_range", None)
    share_cut = float(table.loc[cut, "share"].sum())
    log.info("scenario %s: %.1f %% of volume cut off, %.1f %% detours, %.0f m3/day arriving",
             scenario.name, 100 * share_cut, 100 * table.loc[detour, "share"].sum(),
             sn["arriving_m3_per_day"])
    notes = list(baseline.spec.notes) + baseline.notes + list(supply.notes) \
        + not_cheapest_notes(baseline)
    return ScenarioResult(scenario, table, share_cut, float(table.loc[detour, "share"].sum()),
                          base_exp, new_exp, closures, warnings, horizon_days(G),
                          all_assumptions(baseline.spec, baseline.cost, supply), notes,
                          new_paths, by_inc, sb, sn)
