"""Run the pipeline stages for the report and collect their results as plain frames.

Each ``gather_*`` function calls one stage through its public API (network, incidents,
hazard and risk, corridors, fuel exposure, scenarios, backtest) and returns frames the
section and map builders can use without knowing the stages. Any
:class:`~routerisk.errors.RouteRiskError` from a stage is a real problem and propagates,
except for one corridor, route or scenario, whose error is shown in its own place.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiLineString

from routerisk._output import fmt_int, fmt_percent
from routerisk.errors import RouteRiskError
from routerisk.geo.projection import STUDY_CRS

log = logging.getLogger(__name__)



@dataclass
class Timer:
    """Wall-clock times of the named steps, logged as they finish."""

    steps: dict[str, float] = field(default_factory=dict)

    def run(self, name: str, fn, *args, **kwargs):
        log.info("%s ...", name)
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        self.steps[name] = time.perf_counter() - t0
        log.info("%s: done in %.1f s", name, self.steps[name])
        return out


# --------------------------------------------------------------------------- incidents
@dataclass
class IncidentData:
    """Incidents for the report: the combined frame and per-file provenance."""

    frame: gpd.GeoDataFrame
    files: pd.DataFrame    #: file, format, rows, first_date, last_date, filtered
    merged_duplicates: int


def _provenance_row(path: Path, frame: gpd.GeoDataFrame, fmt: str) -> dict:
    filtered = frame.attrs.get("filtered", {}) or {}
    dates = frame["date"] if len(frame) else pd.Series(dtype="datetime64[ns]")
    return {"file": str(path), "format": fmt, "rows": len(frame),
            "first_date": dates.min() if len(dates) else pd.NaT,
            "last_date": dates.max() if len(dates) else pd.NaT,
            "filtered": "; ".join(f"{k}: {v}" for k, v in filtered.items()) or "none"}


def gather_incidents(paths: Sequence[str | os.PathLike[str]] | None) -> IncidentData:
    """Read the incident files (default: the project catalogue + the shared ACLED file).

    Every file is read with :func:`routerisk.readers.read_incidents` (format detected) and
    the frames are combined and deduplicated with :func:`routerisk.readers.combine`, as
    :func:`routerisk.readers.default_incidents` does for the defaults.
    """
    import routerisk.incidents.io as readers
    from routerisk.config import ACLED_FILE, optional_shared_file

    if paths:
        files = [Path(p) for p in paths]
    else:
        files = [Path(readers.CATALOGUE_FILE)]
        acled = optional_shared_file(ACLED_FILE)
        if acled is not None:
            files.append(acled)
    frames, rows = [], []
    for p in files:
        fmt = readers.detect_format(p) if p.is_file() else "?"
        frame = readers.read_incidents(p)
        frames.append(frame)
        rows.append(_provenance_row(p, frame, fmt))
    combined = readers.combine(frames)
    merged = sum(len(f) for f in frames) - len(combined)
    return IncidentData(combined, pd.DataFrame(rows), merged)


# --------------------------------------------------------------------------- segments
def _node_labels(G: nx.MultiDiGraph, nodes: set) -> dict[Hashable, str]:

    from routerisk.network.naming import node_label

    return {n: node_label(G, n) for n in nodes}


def segment_frame(G: nx.MultiDiGraph, risk: pd.DataFrame) -> gpd.GeoDataFrame:
    """Every edge of ``G`` with its risk, geometry and a readable road label.

    Columns: ``u, v, key, road`` (the parent road link, "town – town"), ``piece``,
    ``km_from_start`` (start of the piece along its parent road link, km), ``length_km``,
    ``rate_per_km_yr``, ``mu``, ``p_disrupt`` and ``geometry`` (EPSG:4326).
    """
    rows, geoms = [], []
    for u, v, k, d in G.edges(keys=True, data=True):
        geom = d.get("geometry")
        if geom is None:
            geom = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]),
                               (G.nodes[v]["x"], G.nodes[v]["y"])])
        pu, pv = d.get("parent_u", u), d.get("parent_v", v)
        rows.append({"u": u, "v": v, "key": k, "parent_u": pu, "parent_v": pv,
                     "piece": d.get("piece", 0),
                     "km_from_start": float(d.get("offset_m", 0.0) or 0.0) / 1000.0})
        geoms.append(geom)
    frame = pd.DataFrame(rows)
    labels = _node_labels(G, set(frame["parent_u"]) | set(frame["parent_v"]))
    frame["road"] = [f"{labels[a]} – {labels[b]}"
                     for a, b in zip(frame["parent_u"], frame["parent_v"], strict=True)]
    idx = pd.MultiIndex.from_frame(frame[["u", "v", "key"]])
    joined = risk.reindex(idx)
    frame["length_km"] = joined["length_m"].to_numpy() / 1000.0
    for col in ("rate_per_km_yr", "mu", "p_disrupt"):
        frame[col] = joined[col].to_numpy()
    frame = frame.drop(columns=["parent_u", "parent_v"])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def contributing_incidents(segments: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, *,
                           as_of: pd.Timestamp, reach_km: float, window_days: float,
                           n_listed: int = 3) -> pd.DataFrame:
    """Incidents that feed each segment's hazard: violent, within ``reach_km`` of the
    segment's line, dated in ``[as_of - window_days, as_of)``.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``segments``: ``n_incidents`` and ``incidents_note`` (the
        ``n_listed`` most recent, "date type (place)").
    """
    from routerisk.incidents.schema import VIOLENT_TYPES
    from routerisk.model.lines import undirected_positions

    out = pd.DataFrame({"n_incidents": 0, "incidents_note": ""}, index=segments.index)
    inc = incidents[incidents["event_type"].astype(str).isin(VIOLENT_TYPES)
                    & (incidents["date"] < as_of)
                    & (incidents["date"] >= as_of - pd.Timedelta(days=window_days))]
    if inc.empty or segments.empty:
        return out
    # one query per two-way road piece; the reverse direction gets the same answer
    und = undirected_positions(zip(segments["u"], segments["v"], segments["key"],
                                   strict=True))
    seg_km = segments.iloc[und][["geometry"]].to_crs(STUDY_CRS)
    inc_km = inc[["date", "event_type", "place", "geometry"]].to_crs(STUDY_CRS)
    pairs = gpd.sjoin(inc_km, seg_km, predicate="dwithin", distance=reach_km,
                      how="inner")
    if pairs.empty:
        return out
    pairs = pairs.sort_values(["index_right", "date"], ascending=[True, False],
                              kind="stable")
    counts = pairs.groupby("index_right").size()
    first = pairs.groupby("index_right").head(n_listed)
    place = first["place"].fillna("").astype(str)
    text = (first["date"].dt.strftime("%Y-%m-%d") + " "
            + first["event_type"].astype(str).str.replace("_", " ")
            + np.where(place != "", " (" + place + ")", ""))
    notes = text.groupby(first["index_right"]).agg("; ".join)
    per_piece = pd.DataFrame({"n_incidents": counts, "incidents_note": notes})
    # spread to both directions of each piece
    key = [(u, v, k) if str(u) <= str(v) else (v, u, k)
           for u, v, k in zip(segments["u"], segments["v"], segments["key"], strict=True)]
    rep = pd.Series(segments.index, index=pd.MultiIndex.from_tuples(key))
    canon = pd.Series(rep.iloc[und].to_numpy(), index=rep.index[und])
    first_of = canon.reindex(rep.index).to_numpy()
    vals = per_piece.reindex(first_of)
    out["n_incidents"] = vals["n_incidents"].fillna(0).astype(int).to_numpy()
    out["incidents_note"] = vals["incidents_note"].fillna("").to_numpy()
    return out


# --------------------------------------------------------------------------- corridors
@dataclass
class CorridorResult:
    """One corridor's route risk, profile and riskiest segments."""

    name: str
    description: str
    origin: str
    destination: str
    towns: pd.DataFrame          #: name, role, km (along the route from the origin)
    route: Any = None            #: routerisk.risk.RouteRisk
    profile: pd.DataFrame | None = None   #: km_start, km_end, p_disrupt, mu, road
    top: pd.DataFrame | None = None       #: the ten riskiest segments
    geometry: Any = None
    hours: float = float("nan")
    error: str | None = None


def _path_geometry(G: nx.MultiDiGraph, edges: Sequence[tuple]) -> MultiLineString:
    lines = []
    for u, v, k in edges:
        geom = G.edges[u, v, k].get("geometry")
        if geom is None:
            geom = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]),
                               (G.nodes[v]["x"], G.nodes[v]["y"])])
        lines.append(geom)
    merged = shapely.line_merge(MultiLineString(lines))
    return merged


def gather_corridors(G: nx.MultiDiGraph, model: Any, segments: gpd.GeoDataFrame, *,
                     horizon_days: float, n_boot: int = 200) -> list[CorridorResult]:
    """Route risk with its bootstrap interval, risk profile and top ten segments of every
    corridor in ``networks/corridors.toml``."""
    import routerisk.model.risk as risk
    import routerisk.network.corridor_graph as cgraph
    import routerisk.network.corridors as corridors
    from routerisk.network.nodes import nearest_node

    labels = segments.set_index(["u", "v", "key"])["road"]
    results = []
    for name, corridor in corridors.load_corridors().items():
        res = CorridorResult(name=name, description=corridor.description,
                             origin=corridor.origin.name,
                             destination=corridor.destination.name,
                             towns=pd.DataFrame(columns=["name", "role", "km"]))
        try:
            nodes = cgraph.corridor_route(G, corridor)
            rr = risk.route_risk(G, nodes, model=model, horizon_days=horizon_days,
                                 n_boot=n_boot, n_top=10)
        except RouteRiskError as exc:
            res.error = str(exc)
            results.append(res)
            continue
        segs = rr.segments.copy()
        steps = list(zip(segs["u"], segs["v"], segs["key"], strict=True))
        segs["road"] = [labels.get(s, "") for s in steps]
        segs["km_end"] = segs["km_from_start"] + segs["length_km"]
        res.route = rr
        res.profile = segs.rename(columns={"km_from_start": "km_start"})
        top = rr.top_segments.copy()
        top["road"] = [labels.get(s, "") for s in
                       zip(top["u"], top["v"], top["key"], strict=True)]
        res.top = top
        res.geometry = _path_geometry(G, steps)
        res.hours = sum(float(G.edges[s].get("travel_time", 0.0)) for s in steps) / 3600.0
        # waypoints along the route: km of the route node nearest to each waypoint
        node_km = {segs["u"].iloc[0]: 0.0}
        for row in segs.itertuples():
            node_km[row.v] = row.km_end
        route_nodes = list(node_km)
        sub = G.subgraph(route_nodes)
        towns = []
        for wp in corridor.waypoints:
            n = nearest_node(sub, wp.lon, wp.lat)
            towns.append({"name": wp.name, "role": wp.role, "km": node_km[n]})
        res.towns = pd.DataFrame(towns)
        results.append(res)
        log.info("corridor %s: P = %.3f over %g days", name, rr.p_disrupt, horizon_days)
    return results


def corridor_frame(results: Sequence[CorridorResult]) -> gpd.GeoDataFrame:
    """One row per routed corridor (for the map, the tables and the GeoPackage)."""
    rows, geoms = [], []
    for r in results:
        if r.route is None:
            continue
        rr = r.route
        rows.append({"name": r.name, "origin": r.origin, "destination": r.destination,
                     "towns": " – ".join(r.towns["name"]), "length_km": rr.length_km,
                     "hours": r.hours, "mu": rr.mu, "p_disrupt": rr.p_disrupt,
                     "p_low": rr.p_interval[0], "p_high": rr.p_interval[1],
                     "interval": _interval_text(rr), "horizon_days": rr.horizon_days})
        geoms.append(r.geometry)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def _interval_text(rr: Any) -> str:
    lo, hi = rr.p_interval
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "n/a"
    return f"{lo * 100:.1f} – {hi * 100:.1f} % ({rr.level * 100:.0f} % bootstrap)"


# --------------------------------------------------------------------------- fuel exposure
@dataclass
class FuelData:
    """Fuel-import exposure: the routes table, their geometry and the assumptions."""

    exposure: Any                       #: routerisk.fuel.Exposure
    routes: gpd.GeoDataFrame


def gather_fuel(G: nx.MultiDiGraph) -> FuelData:
    """Exposure of the fuel-import routes (:func:`routerisk.fuel.exposure`)."""
    import routerisk.supply.exposure as fuel
    exp = fuel.exposure(G, top_segments=15)
    table = exp.routes.reset_index()
    geoms = [_path_geometry(G, exp.baseline.metrics[name].edges) for name in table["route"]]
    routes = gpd.GeoDataFrame(table.rename(columns={"cost_h": "hours"}),
                              geometry=geoms, crs="EPSG:4326")
    return FuelData(exp, routes)


# --------------------------------------------------------------------------- backtest
def gather_backtest(G: nx.MultiDiGraph, *, acled: str | os.PathLike[str] | None,
                    as_of: str, horizon_days: int) -> Any:
    """Backtest on the shared ACLED file with a time split inside it.

    The model and both baselines are fitted on the ACLED events dated before ``as_of`` and
    scored on the violent events of ``[as_of, as_of + horizon_days)`` of the same file
    (:func:`routerisk.backtest.backtest`).
    """
    import routerisk.incidents.io as readers
    import routerisk.model.backtest as bt
    from routerisk.config import ACLED_FILE, shared_file

    path = shared_file(ACLED_FILE, path=acled, what="ACLED file for the backtest",
                       option="--backtest-incidents")
    frame = readers.read_incidents(path)
    result = bt.backtest(frame, frame, as_of=as_of, horizon_days=int(horizon_days), G=G)
    result.params["incident_file"] = str(path)
    return result


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
            closure_geoms.append(_path_geometry(G, sorted(c.edges, key=str)))
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


# --------------------------------------------------------------------------- coverage
@dataclass
class CoverageData:
    """The history the report rests on: the note and incidents per month per source."""

    note: Any                #: :class:`routerisk.incidents.coverage.HistoryNote`
    monthly: pd.DataFrame    #: index month (Timestamp, first day), one column per source


def gather_coverage(incidents: pd.DataFrame, as_of: Any) -> CoverageData:
    """History note for a forecast on ``as_of`` and the monthly counts of the incidents
    before it, by source: each coverage source (ACLED, UCDP, ...) and ``curated`` for the
    reports no coverage entry accounts for (a report merged with an ACLED row counts as
    ACLED)."""
    from routerisk.incidents.coverage import coverage_source, forecast_note

    note = forecast_note(incidents, as_of)
    df = incidents[pd.to_datetime(incidents["date"]) < pd.Timestamp(as_of)]
    if not len(df):
        return CoverageData(note, pd.DataFrame())
    src = df["source"].map(lambda v: coverage_source(v, note.coverage))
    month = pd.to_datetime(df["date"]).dt.to_period("M").dt.to_timestamp()
    monthly = (pd.DataFrame({"month": month.to_numpy(), "source": src.to_numpy()})
               .groupby(["month", "source"]).size().unstack(fill_value=0).sort_index())
    return CoverageData(note, monthly)
