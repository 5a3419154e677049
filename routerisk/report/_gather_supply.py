"""Run the supply stage for the report: fuel exposure and the scenario presets, as plain frames."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from routerisk._output import fmt_int, fmt_percent
from routerisk.errors import RouteRiskError
from routerisk.report._gather import path_geometry


# --------------------------------------------------------------------------- fuel exposure
@dataclass
class FuelData:
    """Fuel-import exposure: the routes table, their geometry and the assumptions."""

    exposure: Any                       #: routerisk.supply.exposure.Exposure
    routes: gpd.GeoDataFrame


def gather_fuel(G: nx.MultiDiGraph) -> FuelData:
    """Exposure of the fuel-import routes (:func:`routerisk.supply.exposure.exposure`)."""
    import routerisk.supply.exposure as fuel
    exp = fuel.exposure(G, top_segments=15)
    table = exp.routes.reset_index()
    geoms = [path_geometry(G, exp.baseline.metrics[name].edges) for name in table["route"]]
    routes = gpd.GeoDataFrame(table.rename(columns={"cost_h": "hours"}),
                              geometry=geoms, crs="EPSG:4326")
    return FuelData(exp, routes)


# --------------------------------------------------------------------------- scenarios
@dataclass
class ScenarioData:
    """The seed scenarios against the baseline, ready for a table, a chart and the map."""

    table: pd.DataFrame
    columns: dict[str, str]                  #: table columns shown (column → header)
    formats: dict[str, Any]                  #: formatter per column
    chart_columns: dict[str, str]            #: share columns drawn in the bar chart
    closures: gpd.GeoDataFrame | None
    notes: list[str] = field(default_factory=list)
    notes_provenance: list[str] = field(default_factory=list)


def scenario_preset_names() -> list[str]:
    """Names of the scenario presets in ``networks/scenarios.toml``."""
    from routerisk.supply.scenario_spec import load_presets
    return list(load_presets().scenarios)


def gather_scenarios(G: nx.MultiDiGraph, *, baseline: Any = None) -> ScenarioData:
    """Run every preset of ``scenarios.toml``
    (:func:`routerisk.supply.scenarios.run_scenario`) on the risk-annotated graph, against
    the baseline (routed once, or the exposure's ``baseline`` when given)."""
    import routerisk.supply.scenarios as scen
    from routerisk.incidents.io import load_catalogue
    from routerisk.supply.exposure import compute_baseline
    from routerisk.supply.fuel_routes import load_routes
    from routerisk.supply.scenario_spec import load_presets

    presets = load_presets()
    catalogue = load_catalogue()
    rows, closure_rows, closure_geoms, results = [], [], [], []
    notes: list[str] = []
    if baseline is None:
        try:
            baseline = compute_baseline(G, load_routes(), towns=False)
        except RouteRiskError as exc:
            notes.append(f"the import routes could not be routed: {exc}")
    for name, sc in presets.scenarios.items():
        if baseline is None:
            break
        try:
            res = scen.run_scenario(G, sc, presets=presets, catalogue=catalogue,
                                    baseline=baseline)
            results.append(res)
        except RouteRiskError as exc:
            notes.append(f"scenario {name}: could not be run: {exc}")
            continue
        t = res.routes
        reach = []
        for route, r in t.iterrows():
            if r["status"] == "unaffected":
                reach.append(f"{route}")
            elif r["status"] == "detour":
                reach.append(f"{route} (detour {r['detour_km']:+,.0f} km, "
                             f"{r['detour_h']:+.1f} h)")
        cut = [f"{route} ({r['cut_by']})" for route, r in t.iterrows()
               if r["status"] in ("cut", "banned")]
        rows.append({"scenario": name, "title": sc.title,
                     "share_reaching": res.share_reaching, "share_cut": res.share_cut,
                     "share_detour": res.share_detour,
                     "expected_share_disrupted_baseline": res.expected_share_disrupted_baseline,
                     "expected_share_disrupted": res.expected_share_disrupted,
                     "m3_per_day": res.supply["arriving_m3_per_day"],
                     "share_of_demand": res.supply["share_of_demand_arriving"],
                     "days_of_cover": res.supply["days_of_cover"],
                     "extra_tanker_days": res.supply["extra_tanker_days_per_day"],
                     "routes_reaching": "; ".join(reach) or "none",
                     "routes_cut": "; ".join(cut) or "none",
                     "closures": "; ".join(f"{c.kind} {c.target}: {len(c.edges)} pieces"
                                           for c in res.closures) or "bans only",
                     "warnings": "; ".join(res.warnings)})
        for w in res.warnings:
            notes.append(f"{name}: {w}")
        for c in res.closures:
            if not c.edges:
                continue
            closure_rows.append({"scenario": name, "closure": f"{c.kind} {c.target}",
                                 "note": c.detail, "pieces_closed": len(c.edges),
                                 "routes_hit": ", ".join(dict.fromkeys(c.routes_hit))})
            closure_geoms.append(path_geometry(G, sorted(c.edges, key=str)))
    table = pd.DataFrame(rows)
    closures = gpd.GeoDataFrame(pd.DataFrame(closure_rows), geometry=closure_geoms,
                                crs="EPSG:4326") if closure_rows else None
    columns = {"scenario": "Scenario", "share_cut": "Volume cut off",
               "share_detour": "Volume detouring",
               "expected_share_disrupted": "Disrupted (closures count)",
               "m3_per_day": "m³/day arriving", "days_of_cover": "Days of stock",
               "routes_reaching": "Routes still reaching Bamako", "routes_cut": "Routes cut"}
    formats = {c: fmt_percent for c in ("share_reaching", "share_cut", "share_detour",
                                         "expected_share_disrupted", "share_of_demand")}
    formats.update(m3_per_day=fmt_int, extra_tanker_days=lambda v: f"{v:+,.1f}",
                   days_of_cover=lambda v: "not drawn down" if v is None or v != v
                   else f"{v:,.1f}")
    chart = {"share_cut": "volume cut off", "share_detour": "volume forced to detour",
             "expected_share_disrupted": "share disrupted of what still arrives"}
    used = {k for r in results for k in r.assumptions}
    if used:
        notes.append("Assumptions of the fuel supply figures: "
                     + "; ".join(f"[{k}]" for k in sorted(used)) + " (see docs/exposure.md)")
    prov = [f"Scenario {r['scenario']}: {r['title']}" for r in rows]
    return ScenarioData(table, columns, formats, chart, closures, notes, prov)
