"""The report's sections: gathered frames → HTML (tables from :mod:`._tables`, charts from
:mod:`._charts`). Each function returns one :class:`~routerisk.report._html.Section`."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from routerisk.report import _charts
from routerisk.report._html import Section
from routerisk.report._tables import fmt_int, fmt_km, fmt_percent, fmt_sig, html_table

#: Assumptions in force in every report (the fuel-share assumptions are added from the data).
MODEL_ASSUMPTIONS: tuple[str, ...] = (
    "The pieces of a route are not disrupted independently (attacks cluster in time and "
    "place), so P(route) is not 1 − Π(1 − p_e): it comes from a route calibration learnt on "
    "five years of route-windows (random routes and the corridors) from the route's Σ μ_e, "
    "its length and its disrupted share over the previous five years, corrected by the "
    "route's own history on those windows (how far its month-to-month swings told its "
    "outcome). The independence formula is shown beside it for comparison; the rolling "
    "backtest measures both.",
    "A 'disruption' is at least one violent incident (ambush, attack, IED, kidnapping, "
    "checkpoint, clash, violence against civilians, blockade) within the model's radius of "
    "the segment; protests and strategic developments do not count.",
    "The hazard is stationary over the horizon: the rate as of the as-of date holds for the "
    "whole horizon.",
    "Only incidents dated strictly before the as-of date are used; incidents are weighted by "
    "type, target and fatalities, decayed with the fitted half-life and spread by their "
    "location precision.",
    "The road network is a coarse trunk network derived from OpenStreetMap, clipped to the "
    "study area and cut into pieces of at most 10 km; roads missing from it cannot carry "
    "risk or detours.",
)


def _img(png: bytes, alt: str) -> str:
    return f"<img class='chart' alt='{html.escape(alt)}' src='{_charts.data_uri(png)}'>"


def _kpi(value: str, label: str) -> str:
    return (f"<div class='kpi'><div class='v'>{html.escape(value)}</div>"
            f"<div class='k'>{html.escape(label)}</div></div>")


def _p(text: str, cls: str = "lead") -> str:
    return f"<p class='{cls}'>{html.escape(text)}</p>"


# --------------------------------------------------------------------------- map
def map_section(*, horizon_days: int, as_of: str, segments: pd.DataFrame,
                kpis: Sequence[tuple[str, str]], tiles: bool) -> Section:
    """The map's section: key figures and how to read the map."""
    lead = (f"Every road piece (≤ 10 km) of the study network is coloured by its probability "
            f"of at least one violent incident within the model radius over the next "
            f"{horizon_days} days from {as_of}. Click a piece for its figures (μ, P, the "
            "incidents that feed its hazard); switch layers on and off at the top right: "
            "incidents by age (colour = type), the seed corridors, the fuel-import routes "
            "and the blockade-scenario closures.")
    if not tiles:
        lead += " Background tiles are off: the map shows the vector layers only."
    else:
        lead += (" The OpenStreetMap background needs an internet connection; offline, the "
                 "map shows the vector layers on a plain background.")
    body = "".join(_kpi(v, k) for v, k in kpis) + _p(lead)
    return Section("map", "Risk map", body)


# --------------------------------------------------------------------------- corridors
TOP_COLUMNS = {"rank": "#", "road": "Road link", "km_from_start": "km from origin",
               "length_km": "Length (km)", "rate_per_km_yr": "Rate (/km/yr)",
               "mu": "μ", "p_disrupt": "P", "share": "Share of route μ"}
TOP_FORMATS = {"rank": fmt_int, "km_from_start": fmt_km, "length_km": fmt_km,
               "rate_per_km_yr": fmt_sig, "mu": fmt_sig, "p_disrupt": fmt_percent,
               "share": fmt_percent}


def corridors_section(results: Sequence[Any], *, horizon_days: int) -> Section:
    """Per corridor: route risk with its interval, the risk profile, the top ten segments."""
    parts = [_p(f"Each seed corridor is routed as the fastest path through its waypoints. "
                f"P is the model's calibrated probability that the route is disrupted within "
                f"{horizon_days} days, with a bootstrap interval over the incidents; the "
                "pieces as if independent give more, because attacks cluster. Each corridor "
                "also shows its own history: the share of its calibration windows in which "
                "it was disrupted, and how far it follows the month-to-month signal (×1: as "
                "much as routes in general; ×0: it stays at its own level). The profile "
                "shows each segment's P along the road (bars) and the pieces' cumulative P "
                "as if independent (line); dashed lines mark the waypoint towns.")]
    summary_rows = []
    for r in results:
        if r.route is None:
            summary_rows.append({"corridor": r.name, "from": r.origin, "to": r.destination,
                                 "length_km": np.nan, "hours": np.nan, "mu": np.nan,
                                 "p_disrupt": np.nan, "interval": f"not routed: {r.error}",
                                 "p_independent": np.nan})
            continue
        rr = r.route
        lo, hi = rr.p_interval
        interval = (f"{fmt_percent(lo)} – {fmt_percent(hi)}" if np.isfinite(lo) else "n/a")
        summary_rows.append({"corridor": r.name, "from": r.origin, "to": r.destination,
                             "length_km": rr.length_km, "hours": r.hours, "mu": rr.mu,
                             "p_disrupt": rr.p_disrupt, "interval": interval,
                             "p_independent": rr.p_independent})
    summary = pd.DataFrame(summary_rows)
    parts.append(html_table(
        summary, table_id="corridor-summary",
        columns={"corridor": "Corridor", "from": "From", "to": "To",
                 "length_km": "Length (km)", "hours": "Hours", "mu": "μ (expected incidents)",
                 "p_disrupt": f"P(disrupted), {horizon_days} d",
                 "interval": "90 % interval of P",
                 "p_independent": "pieces as if independent"},
        formats={"length_km": fmt_km, "hours": fmt_km, "mu": fmt_sig,
                 "p_disrupt": fmt_percent, "p_independent": fmt_percent}))
    for r in results:
        cid = f"corridor-{r.name}"
        parts.append(f"<h3 id='{html.escape(cid)}'>{html.escape(r.name)}: "
                     f"{html.escape(r.origin)} → {html.escape(r.destination)}</h3>")
        if r.description:
            parts.append(_p(r.description, "note"))
        if r.route is None:
            parts.append(f"<div class='status'>This corridor could not be routed: "
                         f"{html.escape(str(r.error))}</div>")
            continue
        rr = r.route
        lo, hi = rr.p_interval
        parts.append(
            _kpi(fmt_percent(rr.p_disrupt), f"P(route disrupted), {horizon_days} d")
            + _kpi(f"{fmt_percent(lo)} – {fmt_percent(hi)}" if np.isfinite(lo) else "n/a",
                   f"{rr.level * 100:.0f} % bootstrap interval")
            + _kpi(fmt_sig(rr.mu), "μ, expected incidents")
            + _kpi(f"{rr.length_km:,.0f} km", f"{r.hours:.1f} h driving")
            + _own_history_kpis(rr.route_history))
        png = _charts.risk_profile_chart(r.profile, r.towns, title=f"{r.name}: risk profile",
                                         horizon_days=horizon_days)
        top = r.top.copy()
        top.insert(0, "rank", np.arange(1, len(top) + 1))
        parts.append("<div class='side'><div>" + _img(png, f"risk profile of {r.name}")
                     + "</div><div>" + html_table(
                         top, columns=TOP_COLUMNS, formats=TOP_FORMATS,
                         table_id=f"top-{r.name}",
                         caption=f"Ten riskiest segments of {r.name}") + "</div></div>")
    return Section("corridors", "Corridors", "".join(parts))


def _own_history_kpis(own: Mapping[str, Any] | None) -> str:
    """The route's own history behind its P (nothing without one)."""
    if not own or not own.get("n_windows"):
        return ""
    return (_kpi(fmt_percent(own["window_share"]),
                 f"of its {own['n_windows']} calibration windows disrupted")
            + _kpi(f"×{1 + own['slope']:.2f}", "follows the month-to-month signal"))


# --------------------------------------------------------------------------- exposure
def fuel_block(fuel: Any, *, horizon_days: int) -> str:
    """Fuel-import exposure: routes table, bar chart, volume-weighted risky links."""
    exp = fuel.exposure
    routes = fuel.routes
    parts = [_kpi(fmt_percent(exp.expected_share_disrupted),
                  f"expected share of fuel volume whose route is disrupted, {horizon_days} d")]
    sup = getattr(exp, "supply", None) or {}
    if sup:
        parts.append(_kpi(f"{sup['fleet_tankers']:,.0f}",
                          f"tankers in service for {sup['demand_m3_per_day']:,.0f} m³/day"))
        parts.append(_kpi(f"{sup['tankers_lost_per_month']:.1f}",
                          "expected tankers lost per month (loss assumption S5)"))
    parts.append(html_table(
        routes, table_id="fuel-routes",
        columns={"route": "Route", "border": "Border crossing",
                 "share": "Share of imports", "hours": "Cost (h, with border)",
                 "m3_per_day": "m³/day",
                 "round_trip_days": "Round trip (days)", "p_disrupt": "P(disrupted)",
                 "tankers_lost_per_month": "Tankers lost / month"},
        formats={"share": fmt_percent, "length_km": fmt_km, "hours": fmt_km, "mu": fmt_sig,
                 "m3_per_day": fmt_int, "round_trip_days": fmt_sig,
                 "p_disrupt": fmt_percent, "volume_at_risk": fmt_percent,
                 "tankers_lost_per_month": fmt_sig}))
    png = _charts.share_bar_chart(
        routes, label="route", title="Fuel-import routes: share, P(disrupted), share × P",
        columns={"share": "share of imports", "p_disrupt": f"P(disrupted), {horizon_days} d",
                 "volume_at_risk": "share × P"})
    parts.append(_img(png, "fuel-import routes bar chart"))
    seg = exp.segments.copy()
    if len(seg):
        parts.append(html_table(
            seg, table_id="fuel-links", max_rows=10,
            caption="Road links carrying the most volume-weighted risk (Σ share × μ)",
            columns={"label": "Road link", "length_km": "Length (km)", "mu": "μ",
                     "p_disrupt": "P", "share_using": "Share of volume using it",
                     "volume_risk": "Σ share × μ", "routes": "Routes"},
            formats={"length_km": fmt_km, "mu": fmt_sig, "p_disrupt": fmt_percent,
                     "share_using": fmt_percent, "volume_risk": fmt_sig}))
    for note in exp.notes:
        parts.append(_p(note, "note"))
    return "".join(parts)


def scenario_block(scen: Any) -> str:
    """Seed scenarios against the baseline: table and bar chart."""
    table = scen.table
    parts = [html_table(table, table_id="scenarios", columns=scen.columns,
                        formats=scen.formats)]
    if len(table):
        png = _charts.share_bar_chart(table, label="scenario", title="Seed scenarios",
                                      columns=scen.chart_columns)
        parts.append(_img(png, "scenario bar chart"))
    for note in scen.notes:
        parts.append(_p(note, "note"))
    return "".join(parts)


def exposure_section(*, fuel_html: str, scenario_html: str) -> Section:
    """Fuel exposure and the seed scenarios side by side."""
    body = (_p("Left: how exposed Mali's fuel imports are under the current risk, per import "
               "route and overall. Right: the seed blockade and import-ban scenarios against "
               "that baseline (which routes still reach Bamako, volume cut off apart from "
               "volume disrupted, fuel arriving in m³/day and the days until the Bamako "
               "stock runs out; every assumption is in the provenance).")
            + "<div class='side'><div><h3>Fuel-import exposure</h3>" + fuel_html
            + "</div><div><h3>Seed scenarios</h3>" + scenario_html + "</div></div>")
    return Section("exposure", "Fuel exposure and scenarios", body)


# --------------------------------------------------------------------------- backtest
METRICS = {"roc_auc": "ROC AUC", "average_precision": "Average precision",
           "brier": "Brier score", "brier_skill": "Brier skill score",
           "mean_predicted": "Mean predicted P"}


def backtest_table(result: Any) -> pd.DataFrame:
    """Model and baselines, one row each, with :data:`METRICS` as columns."""
    rows = [{"forecaster": "model", **result.model}]
    rows += [{"forecaster": name, **vals} for name, vals in result.baselines.items()]
    return pd.DataFrame(rows)


def backtest_section(result: Any) -> Section:
    """The backtest table (model vs baselines) and a reliability diagram."""
    table = backtest_table(result)
    horizon = result.horizon_days
    lead = (f"The model is fitted on the ACLED events dated before "
            f"{result.as_of.date().isoformat()} only and forecasts the next {horizon} days; "
            f"a segment is positive when a violent ACLED event of that window lies within "
            f"{result.radius_km:g} km. {result.n_positive:,} of {result.n_segments:,} "
            f"segments were positive ({result.n_test_incidents:,} violent test events). "
            "Higher ROC AUC, average precision and Brier skill are better; lower Brier is "
            "better. Climatology forecasts one rate everywhere; persistence ranks segments "
            "by their violent incidents of the previous three years.")
    fmts = {c: (lambda x: f"{float(x):.4f}") for c in METRICS}
    fmts["mean_predicted"] = fmt_percent
    parts = [_p(lead), html_table(table, table_id="backtest",
                                  columns={"forecaster": "Forecaster", **METRICS},
                                  formats=fmts)]
    rel = result.reliability.rename(columns={"mean_predicted": "predicted",
                                             "observed_frequency": "observed"})
    rel = rel.assign(model="model (segments)")
    series = [rel[["predicted", "observed", "n", "model"]]]
    routes = result.routes or {}
    if routes.get("reliability"):
        rr = pd.DataFrame(routes["reliability"]).rename(
            columns={"mean_predicted": "predicted", "observed_frequency": "observed"})
        series.append(rr.assign(model="routes (independence check)")[
            ["predicted", "observed", "n", "model"]])
    png = _charts.reliability_chart(pd.concat(series, ignore_index=True),
                                    title=f"Reliability, {horizon}-day forecasts")
    rel_table = html_table(
        result.reliability, table_id="reliability",
        caption="Reliability by decile of predicted P (segments)",
        columns={"bin": "Decile", "n": "Segments", "p_min": "P min", "p_max": "P max",
                 "mean_predicted": "Mean predicted", "observed_frequency": "Observed"},
        formats={"n": fmt_int, "p_min": fmt_percent, "p_max": fmt_percent,
                 "mean_predicted": fmt_percent, "observed_frequency": fmt_percent})
    parts.append("<div class='side'><div>" + _img(png, "reliability diagram")
                 + "</div><div>" + rel_table + "</div></div>")
    if routes.get("n_routes"):
        parts.append(_p(
            f"Route check of the independence assumption on {routes['n_routes']} random "
            f"routes: mean predicted P(route) {fmt_percent(routes['mean_predicted'])}, "
            f"observed frequency {fmt_percent(routes['observed_frequency'])}, Brier "
            f"{routes['brier']:.4f}.", "note"))
    return Section("backtest", "Backtest: how far to trust the numbers", "".join(parts))


# --------------------------------------------------------------------------- segments
def segments_section(segments: pd.DataFrame, *, horizon_days: int, n: int = 25) -> Section:
    """The riskiest road pieces of the whole network."""
    from routerisk.model.lines import undirected_positions

    und = segments.iloc[undirected_positions(
        zip(segments["u"], segments["v"], segments["key"], strict=True))]
    top = und.sort_values("p_disrupt", ascending=False, kind="stable").head(n)
    body = (_p(f"The {n} riskiest road pieces of the study network (one direction each). "
               f"All {len(segments):,} directed pieces are in segments.csv, segments.geojson "
               "and the GeoPackage.")
            + html_table(top, table_id="top-segments",
                         columns={"road": "Road link", "piece": "Piece",
                                  "km_from_start": "km from start of link",
                                  "length_km": "Length (km)", "rate_per_km_yr": "Rate (/km/yr)",
                                  "mu": "μ", "p_disrupt": f"P, {horizon_days} d",
                                  "n_incidents": "Contributing incidents",
                                  "incidents_note": "Most recent of them"},
                         formats={"km_from_start": fmt_km, "length_km": fmt_km,
                                  "rate_per_km_yr": fmt_sig, "mu": fmt_sig,
                                  "p_disrupt": fmt_percent, "n_incidents": fmt_int}))
    return Section("segments", "Riskiest segments", body)


# --------------------------------------------------------------------------- provenance
def provenance_section(*, incident_files: pd.DataFrame, merged: int, n_incidents: int,
                       params: Mapping[str, Any], cv_scores: pd.DataFrame | None,
                       as_of: str, horizon_days: int, network: str,
                       network_summary: str, assumptions: Mapping[str, str],
                       notes: Sequence[str], files: pd.DataFrame,
                       missing: Sequence[str], generated: str) -> Section:
    """Data provenance, model parameters, assumptions and the files written."""
    parts = [_p(f"Report generated {generated}; forecast as of {as_of} for a horizon of "
                f"{horizon_days} days.")]
    parts.append("<h3>Incident files</h3>")
    parts.append(html_table(
        incident_files, table_id="incident-files",
        columns={"file": "File", "format": "Format", "rows": "Incidents read",
                 "first_date": "First date", "last_date": "Last date",
                 "filtered": "Filtered by the reader"},
        formats={"rows": fmt_int}))
    parts.append(_p(f"{n_incidents:,} incidents after merging {merged:,} duplicate reports "
                    "across files (same day ± 1, within a few km, same kind).", "note"))
    parts.append(_p("ACLED data: Raleigh, C., Linke, A., Hegre, H. & Karlsen, J. (2010) "
                    "'Introducing ACLED', Journal of Peace Research 47(5): 651–660; used under "
                    "ACLED's terms of use (the rows are read at run time, never redistributed).",
                    "note"))
    parts.append("<h3>Road network</h3>" + _p(f"{network}: {network_summary}", "note"))
    parts.append("<h3>Model parameters</h3>")
    prm = pd.DataFrame([{"parameter": k, "value": ", ".join(map(str, v))
                         if isinstance(v, (list, tuple)) else v} for k, v in params.items()])
    parts.append(html_table(prm, table_id="model-params",
                            columns={"parameter": "Parameter", "value": "Value"},
                            formats={"value": lambda v: f"{v:.4g}" if isinstance(v, float)
                                     else str(v)}))
    if cv_scores is not None and len(cv_scores):
        parts.append(html_table(
            cv_scores.sort_values("cv_loglik", ascending=False), table_id="cv-scores",
            caption="Rolling-origin validation of the tuning grid (best first)",
            columns={"bandwidth_km": "Bandwidth (km)", "half_life_days": "Half-life (days)",
                     "cv_loglik": "CV log-likelihood", "cv_brier": "CV Brier",
                     "scale": "Scale", "baseline_rate_per_km_yr": "Background (/km/yr)"},
            formats={"cv_loglik": lambda x: f"{float(x):.5f}",
                     "cv_brier": lambda x: f"{float(x):.5f}", "scale": fmt_sig,
                     "baseline_rate_per_km_yr": fmt_sig}, max_rows=8))
    parts.append("<h3>Assumptions in force</h3><ul id='assumptions'>")
    for text in MODEL_ASSUMPTIONS:
        parts.append(f"<li>{html.escape(text)}</li>")
    for key, text in assumptions.items():
        parts.append(f"<li><b>{html.escape(key)}</b>: {html.escape(text)}</li>")
    parts.append("</ul>")
    for note in notes:
        parts.append(_p(note, "note"))
    if missing:
        parts.append("<h3>Missing from this report</h3><ul id='missing'>"
                     + "".join(f"<li>{html.escape(m)}</li>" for m in missing) + "</ul>")
    parts.append("<h3>Files written beside this page</h3>")
    parts.append(html_table(files, table_id="files",
                            columns={"file": "File", "what": "Contents", "size": "Size"}))
    parts.append(_p("Map: Leaflet 1.9.4 (BSD-2-Clause licence), embedded in this page; "
                    "background tiles © OpenStreetMap contributors (ODbL).", "note"))
    return Section("provenance", "Data provenance and assumptions", "".join(parts))


# --------------------------------------------------------------------------- history
def history_section(cov: Any, *, as_of: str) -> Section:
    """The history every probability rests on: the statement, the coverage warning, the
    coverage table and incidents per month per source (``cov`` from
    :func:`routerisk.report._gather.gather_coverage`)."""
    note = cov.note
    parts = [_p(f"Every probability in this report rests on the incidents before {as_of}: "
                f"{note.rests_on.removeprefix('history: ')}. Sources with systematic "
                "coverage (ACLED, UCDP) record every event they find in their period and "
                "area; curated reports from articles are anecdotal and never complete a "
                "period.")]
    if note.warning:
        parts.append(f"<div class='status' id='history-warning'><b>Warning:</b> "
                     f"{html.escape(note.warning)}.</div>")
    cov_rows = pd.DataFrame([{**c, "bbox": ("" if c.get("bbox") is None else
                                            ", ".join(f"{v:g}" for v in c["bbox"]))}
                             for c in note.coverage],
                            columns=["source", "start", "end", "bbox", "basis"])
    if len(cov_rows):
        parts.append(html_table(cov_rows, table_id="coverage",
                                columns={"source": "Source", "start": "Covers from",
                                         "end": "Covers to",
                                         "bbox": "Area (west, south, east, north)",
                                         "basis": "Known from"}))
    else:
        parts.append(_p("No systematic source in the data: only curated reports.", "note"))
    if len(cov.monthly):
        png = _charts.coverage_chart(cov.monthly, note.coverage, as_of=as_of,
                                     gaps=[(g["start"], g["end"]) for g in note.gaps],
                                     title="Incidents per month by source (log scale); "
                                           "shaded: systematic coverage")
        parts.append(_img(png, "incidents per month by source, with the covered periods"))
    return Section("history", "History the numbers rest on", "".join(parts))
