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

    Every file is read with :func:`routerisk.incidents.io.read_incidents` (format detected) and
    the frames are combined and deduplicated with :func:`routerisk.incidents.io.combine`, as
    :func:`routerisk.incidents.io.default_incidents` does for the defaults.
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
    route: Any = None            #: routerisk.model.risk.RouteRisk
    profile: pd.DataFrame | None = None   #: km_start, km_end, p_disrupt, mu, road
    top: pd.DataFrame | None = None       #: the ten riskiest segments
    geometry: Any = None
    hours: float = float("nan")
    error: str | None = None


def path_geometry(G: nx.MultiDiGraph, edges: Sequence[tuple]) -> MultiLineString:
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
        res.geometry = path_geometry(G, steps)
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
                     "interval": _interval_text(rr), "horizon_days": rr.horizon_days,
                     "p_independent": rr.p_independent,
                     "own_window_share": (rr.route_history or {}).get("window_share"),
                     "own_slope": (rr.route_history or {}).get("slope")})
        geoms.append(r.geometry)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def _interval_text(rr: Any) -> str:
    lo, hi = rr.p_interval
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "n/a"
    return f"{lo * 100:.1f} – {hi * 100:.1f} % ({rr.level * 100:.0f} % bootstrap)"


# --------------------------------------------------------------------------- backtest
def gather_backtest(G: nx.MultiDiGraph, *, acled: str | os.PathLike[str] | None,
                    as_of: str, horizon_days: int) -> Any:
    """Backtest on the shared ACLED file with a time split inside it.

    The model and both baselines are fitted on the ACLED events dated before ``as_of`` and
    scored on the violent events of ``[as_of, as_of + horizon_days)`` of the same file
    (:func:`routerisk.model.backtest.backtest`).
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


def map_segments(segments: gpd.GeoDataFrame,
                  corridors: Sequence[CorridorResult]) -> gpd.GeoDataFrame:
    """One row per two-way road piece, with the corridor km where the piece is on one."""
    from routerisk.model.lines import undirected_positions

    pos = undirected_positions(zip(segments["u"], segments["v"], segments["key"], strict=True))
    seg = segments.iloc[pos].copy()
    on: dict[tuple, list[str]] = {}
    for r in corridors:
        if r.profile is None:
            continue
        for row in r.profile.itertuples():
            text = f"{r.name}: km {row.km_start:,.0f}–{row.km_end:,.0f}"
            on.setdefault((row.u, row.v), []).append(text)
            on.setdefault((row.v, row.u), []).append(text)
    seg["corridor_km"] = ["; ".join(on.get((u, v), [])) or "not on a seed corridor"
                          for u, v in zip(seg["u"], seg["v"], strict=True)]
    return seg
