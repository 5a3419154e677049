"""The analyst report: one self-contained HTML page with maps, charts and tables.

:func:`build_report` runs the whole pipeline on the default data (or the files given) and
writes into one folder:

- ``index.html``: the page (Leaflet, the map data and every chart embedded; it opens without
  network access, only the optional background tiles need it);
- the tables behind it: ``*.csv`` for every table, ``*.geojson`` for every map layer, and
  ``routerisk.gpkg`` with the layers ``segments``, ``incidents``, ``corridors``,
  ``fuel_routes`` and ``closures`` (opens in QGIS);
- ``provenance.json``: inputs, parameters, assumptions and timings; ``summary.json``: the
  key figures a later report compares with (``compare=``);
- with ``compare=``, ``compare_*.csv``; with ``pdf=True``, ``report.pdf``.

Private modules: :mod:`._gather` (runs the stages), :mod:`._sections` (HTML sections),
:mod:`._map` (folium map), :mod:`._orient` (town labels, border crossings, corridor names),
:mod:`._overlays` (their Leaflet layers, popup guard), :mod:`._compare` (what changed since a
previous report), :mod:`._charts` (matplotlib PNGs, static map), :mod:`._tables` (HTML tables
and data files), :mod:`._html` (page assembly and print CSS), :mod:`._pdf` (headless
Chromium), :mod:`._assets` (vendored Leaflet).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from routerisk._output import dumps_json, jsonable, output_folder, write_text_atomic
from routerisk.errors import RouteRiskError, SpecError
from routerisk.model import DEFAULT_BACKTEST_AS_OF, DEFAULT_BACKTEST_HORIZON_DAYS
from routerisk.report import _charts, _compare, _orient, _tables
from routerisk.report import _gather as g
from routerisk.report import _gather_supply as gs
from routerisk.report import _sections as s
from routerisk.report._html import Section, map_fragment, render_page
from routerisk.report._map import build_map
from routerisk.report._pdf import find_chromium, print_pdf
from routerisk.report._tables import GPKG_NAME, PDF_NAME, write_geopackage, write_tables

log = logging.getLogger(__name__)

__all__ = ["ReportResult", "build_report", "DEFAULT_BACKTEST_AS_OF",
           "DEFAULT_BACKTEST_HORIZON_DAYS"]

#: Incidents older than this many days before the as-of date are left off the map (they are
#: still in the tables and the model).
MAP_MAX_AGE_DAYS = 25 * 365


@dataclass
class ReportResult:
    """What :func:`build_report` wrote.

    Attributes
    ----------
    index
        Path of ``index.html``.
    files
        File name → path of every file written.
    timings
        Step name → wall-clock seconds.
    missing
        Sections left out on request, with the reason (the backtest with
        ``backtest=False``).
    as_of, horizon_days
        The forecast date and horizon used.
    """

    index: Path
    files: dict[str, Path]
    timings: dict[str, float]
    missing: list[str] = field(default_factory=list)
    as_of: str = ""
    horizon_days: int = 30


def _check_options(horizon_days: int, tiles: str | None) -> None:
    if not (isinstance(horizon_days, int) and horizon_days > 0):
        raise SpecError(f"horizon_days must be a positive whole number of days; "
                        f"got {horizon_days!r}")
    if tiles not in (None, "osm"):
        raise SpecError(f"tiles must be 'osm' or None; got {tiles!r}")


def build_report(out_dir: str | os.PathLike[str], *, as_of: Any = None,
                 horizon_days: int = 30,
                 incidents: Sequence[str | os.PathLike[str]] | None = None,
                 network: str | os.PathLike[str] | None = None, backtest: bool = True,
                 backtest_as_of: str = DEFAULT_BACKTEST_AS_OF,
                 backtest_horizon_days: int = DEFAULT_BACKTEST_HORIZON_DAYS,
                 backtest_incidents: str | os.PathLike[str] | None = None,
                 tiles: str | None = "osm", n_boot: int = 200,
                 compare: str | os.PathLike[str] | None = None,
                 pdf: bool = False, model: Any = None, notes: bool = True) -> ReportResult:
    """Build the analyst report into ``out_dir``.

    Parameters
    ----------
    out_dir
        Output folder. It is written whole into a temporary folder beside it and then
        swapped in (see :func:`routerisk._output.output_folder`): an interrupted or failed
        run leaves the previous report intact. It must be new, empty, or an earlier output.
    as_of
        Forecast date (anything :class:`pandas.Timestamp` reads); default the day after the
        latest incident.
    horizon_days
        Horizon of every probability in the report (days, default 30).
    incidents
        Incident files (routerisk CSV/GeoJSON, ACLED or UCDP CSV; format detected); default
        the project catalogue plus the shared ACLED file.
    network
        Road graph (trunk GraphML, corridor graph, any osmnx GraphML or an OSM extract; see
        :func:`routerisk.network.io.load_any_graph`); default the shared trunk network.
    backtest
        Run the backtest section (about half a minute); ``False`` leaves it out and the
        page says so.
    backtest_as_of, backtest_horizon_days
        Time split of the backtest inside the ACLED file.
    backtest_incidents
        ACLED file for the backtest; default the shared one.
    tiles
        ``"osm"`` (OpenStreetMap background tiles, fetched by the browser when online) or
        ``None``.
    n_boot
        Bootstrap replicates of the corridor intervals.
    compare
        Folder of a previous report: adds a "What changed" section and map layer read from
        its ``summary.json`` and ``segments.csv`` (every report writes both).
    pdf
        Also print the page to ``report.pdf`` through headless Chromium (found on ``PATH``
        or through ``CHROMIUM_BINARY``; a missing Chromium is an error before any work).
    model
        A fitted :class:`~routerisk.model.hazard.HazardModel` (e.g. from
        :func:`routerisk.model.persist.load_model`); default: fitted on the incidents with
        the study network as the reference of its validation.
    notes
        Include the incidents' raw source text (``notes``) in the map and the exports;
        ``False`` for a report meant for publication (ACLED's terms forbid redistributing
        its rows).

    Returns
    -------
    ReportResult
    """
    _check_options(horizon_days, tiles)
    final = Path(out_dir)
    previous = _compare.load_previous(compare) if compare is not None else None
    chromium = find_chromium() if pdf else None
    with output_folder(final, option="--out") as work:
        res = _write_report(work, as_of=as_of, horizon_days=horizon_days, incidents=incidents,
                            network=network, backtest=backtest, backtest_as_of=backtest_as_of,
                            backtest_horizon_days=backtest_horizon_days,
                            backtest_incidents=backtest_incidents, tiles=tiles, n_boot=n_boot,
                            keep_notes=notes, previous=previous, chromium=chromium,
                            model=model)
    final = final.expanduser()
    files = {name: final / path.relative_to(work) for name, path in res.files.items()}
    index = final / "index.html"
    log.info("report written to %s (%.0f KB) in %.1f s", index, index.stat().st_size / 1024,
             res.timings["total"])
    return ReportResult(index=index, files=files, timings=res.timings, missing=res.missing,
                        as_of=res.as_of, horizon_days=res.horizon_days)


def _write_report(out: Path, *, as_of: Any, horizon_days: int,
                  incidents: Sequence[str | os.PathLike[str]] | None,
                  network: str | os.PathLike[str] | None, backtest: bool,
                  backtest_as_of: str, backtest_horizon_days: int,
                  backtest_incidents: str | os.PathLike[str] | None,
                  tiles: str | None, n_boot: int, keep_notes: bool, previous: Any,
                  chromium: Any, model: Any) -> ReportResult:
    """Compute the report and write every file into the (temporary) folder ``out``."""
    timer = g.Timer()
    t_start = time.perf_counter()
    missing: list[str] = []

    from routerisk.incidents.io import check_as_of
    from routerisk.model.build import fit_model
    from routerisk.model.features import MASS_BANDWIDTHS_KM, MASS_HALF_LIVES_DAYS
    from routerisk.model.risk import segment_risk
    from routerisk.network.io import default_network_path, load_any_graph, load_study_network

    G = timer.run("network build", load_any_graph, network)
    network_path = str(default_network_path(network))
    inc = timer.run("incidents", g.gather_incidents, incidents)
    if not keep_notes:  # raw source text stays out of the page and every export
        inc.frame["notes"] = None
    if model is None:
        check_as_of(inc.frame, as_of)
        model = timer.run("hazard fit", fit_model, inc.frame, as_of=as_of,
                          horizon_days=horizon_days, G=load_study_network())
    as_of_ts = model.as_of_
    as_of_txt = as_of_ts.date().isoformat()
    cov = timer.run("coverage", g.gather_coverage, inc.frame, as_of_ts)
    if cov.note.warning:
        log.warning("warning: %s", cov.note.warning)
    risk = timer.run("segment risk", segment_risk, G, model, horizon_days=horizon_days,
                     write=True)
    segments = timer.run("segment table", g.segment_frame, G, risk)
    reach_km = 3.0 * float(min(MASS_BANDWIDTHS_KM))
    window_days = float(max(MASS_HALF_LIVES_DAYS))
    contrib = timer.run("contributing incidents", g.contributing_incidents, segments,
                        inc.frame, as_of=as_of_ts, reach_km=reach_km, window_days=window_days)
    segments = segments.join(contrib)

    # corridors ------------------------------------------------------------------------
    corridors = timer.run("corridors", g.gather_corridors, G, model, segments,
                          horizon_days=horizon_days, n_boot=n_boot)
    corridor_sec = s.corridors_section(corridors, horizon_days=horizon_days)
    corridor_gdf = g.corridor_frame(corridors)

    # fuel exposure and scenarios ------------------------------------------------------
    try:
        fuel = timer.run("fuel exposure", gs.gather_fuel, G)
        scen = timer.run("scenarios", gs.gather_scenarios, G,
                         baseline=getattr(getattr(fuel, "exposure", None), "baseline", None))
        exposure_sec = s.exposure_section(
            fuel_html=s.fuel_block(fuel, horizon_days=horizon_days),
            scenario_html=s.scenario_block(scen))
    except RouteRiskError as exc:  # e.g. the import routes lie outside a corridor graph
        fuel = scen = None
        reason = str(exc).splitlines()[1 if "\n" in str(exc) else 0].strip(" -")
        missing.append(f"fuel exposure and scenarios: {reason}")
        exposure_sec = Section(
            "exposure", "Fuel exposure and scenarios",
            f"<div class='status'><b>Not available on this road graph:</b> "
            f"{html.escape(reason)}</div>", status="skipped")

    # backtest -------------------------------------------------------------------------
    bt = None
    if backtest:
        bt = timer.run("backtest", g.gather_backtest, G, acled=backtest_incidents,
                       as_of=backtest_as_of, horizon_days=backtest_horizon_days)
        backtest_sec = s.backtest_section(bt)
    else:
        backtest_sec = Section(
            "backtest", "Backtest: how far to trust the numbers",
            "<div class='status'><b>Skipped:</b> this report was built with "
            "<code>--no-backtest</code>, so it does not show how the model performed on "
            "held-out incidents. Run <code>routerisk report</code> without that option (or "
            "<code>routerisk backtest</code>) to see it.</div>", status="skipped")
        missing.append("backtest: skipped on request (--no-backtest)")

    # map ------------------------------------------------------------------------------
    inc_map = inc.frame[inc.frame["date"] < as_of_ts].copy()
    from routerisk.incidents.schema import VIOLENT_TYPES
    inc_map = inc_map[inc_map["event_type"].astype(str).isin(VIOLENT_TYPES)]
    inc_map["age_days"] = (as_of_ts - inc_map["date"]).dt.days
    inc_map = inc_map[inc_map["age_days"] <= MAP_MAX_AGE_DAYS]
    closures = scen.closures if scen is not None else None
    map_segs = g.map_segments(segments, corridors)
    fuel_routes = fuel.routes if fuel is not None else None
    orientation = timer.run("orientation", _orient.orientation, G, map_segs, corridor_gdf)
    bounds = _orient.opening_bounds(corridor_gdf, map_segs)

    # comparison with a previous report -------------------------------------------------
    used = model.params_used()
    coef = used.pop("coef")
    params = {"as_of": as_of_txt, "horizon_days": horizon_days, **used,
              **{f"coefficient: {k}": v for k, v in coef.items()},
              "contributing incidents: reach (km)": reach_km,
              "contributing incidents: window (days)": window_days}
    summary = _compare.report_summary(
        as_of=as_of_txt, horizon_days=horizon_days, params=params, incident_files=inc.files,
        n_incidents_used=int((inc.frame["date"] < as_of_ts).sum()), corridors=corridors)
    comparison = None
    if previous is not None:
        comparison = timer.run("compare", _compare.compare, previous, summary=summary,
                               segments=map_segs, incidents=inc.frame)

    m = timer.run("map", build_map, segments=map_segs, horizon_days=horizon_days,
                  incidents=inc_map, corridors=corridor_gdf, fuel_routes=fuel_routes,
                  closures=closures, tiles=tiles, orientation=orientation, bounds=bounds,
                  changes=comparison.pieces if comparison is not None else None)
    frag = map_fragment(m)
    static_png = timer.run("static map", _charts.static_map, map_segs, bounds=bounds,
                           corridors=corridor_gdf, places=orientation["places"],
                           borders=orientation["borders"],
                           labels=orientation["corridor_labels"],
                           title=f"P(disruption) over {horizon_days} days from {as_of_txt}")

    # tables and files -----------------------------------------------------------------
    tables: dict[str, pd.DataFrame] = {"segments": segments}
    inc_out = inc.frame.copy()
    inc_out["age_days"] = (as_of_ts - inc_out["date"]).dt.days
    inc_out["used_by_model"] = inc_out["date"] < as_of_ts
    tables["incidents"] = inc_out
    if len(corridor_gdf):
        tables["corridors"] = corridor_gdf
        tables["corridor_profiles"] = pd.concat(
            [r.profile.assign(corridor=r.name) for r in corridors if r.profile is not None],
            ignore_index=True)
        tables["corridor_top_segments"] = pd.concat(
            [r.top.assign(corridor=r.name) for r in corridors if r.top is not None],
            ignore_index=True)
    if fuel is not None:
        tables["fuel_routes"] = fuel.routes
        tables["fuel_links"] = fuel.exposure.segments.drop(columns=["link"], errors="ignore")
    if scen is not None:
        tables["scenarios"] = scen.table
        if scen.closures is not None and len(scen.closures):
            tables["closures"] = scen.closures
    if bt is not None:
        tables["backtest"] = s.backtest_table(bt)
        tables["reliability"] = bt.reliability
    tables["incident_files"] = inc.files
    if comparison is not None:
        tables.update(_compare.tables(comparison))
    files = timer.run("tables", write_tables, out, tables)
    layers = {name: tables.get(name) for name in
              ("segments", "incidents", "corridors", "fuel_routes", "closures")}
    layers = {k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}
    files[GPKG_NAME] = timer.run("geopackage", write_geopackage, out / GPKG_NAME, layers)

    # provenance and page --------------------------------------------------------------
    assumptions = dict(fuel.exposure.assumptions) if fuel is not None else {}
    notes = list(scen.notes_provenance) if scen is not None else []
    index = out / "index.html"
    generated = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    summary_path = out / _compare.SUMMARY_NAME
    write_text_atomic(summary_path, dumps_json(summary))
    files[summary_path.name] = summary_path
    timings = dict(timer.steps)
    timings["total"] = time.perf_counter() - t_start
    provenance = {"as_of": as_of_txt, "horizon_days": horizon_days, "network": network_path,
                  "incident_files": json.loads(inc.files.to_json(orient="records",
                                                                 date_format="iso")),
                  "history": cov.note.to_dict(),
                  "model": jsonable(params), "assumptions": list(s.MODEL_ASSUMPTIONS)
                  + [f"{k}: {v}" for k, v in assumptions.items()], "missing": missing,
                  "backtest": jsonable(bt.to_dict()) if bt is not None else None,
                  "compared_with": None if comparison is None else {
                      "folder": comparison.previous_folder,
                      "as_of": comparison.previous_as_of},
                  "timings_s": {k: round(v, 2) for k, v in timings.items()}}
    prov_path = out / "provenance.json"
    write_text_atomic(prov_path, dumps_json(provenance))
    files["provenance.json"] = prov_path
    file_list = _tables.file_list(files, pdf=chromium is not None)
    prov_sec = s.provenance_section(
        incident_files=inc.files, merged=inc.merged_duplicates, n_incidents=len(inc.frame),
        params=params, cv_scores=None, as_of=as_of_txt,
        horizon_days=horizon_days, network=network_path,
        network_summary=f"{G.number_of_nodes():,} nodes, {G.number_of_edges():,} directed "
                        f"road pieces of at most 10 km, "
                        f"{segments['length_km'].sum() / 2:,.0f} km of road",
        assumptions=assumptions, notes=notes, files=file_list, missing=missing,
        generated=generated)
    kpis = _kpis(segments, corridors, fuel, horizon_days)
    cov_end = max((c["end"] for c in cov.note.coverage), default="none")
    kpis.append((cov_end, "systematic history ends"
                 + (" (probabilities are lower bounds)" if cov.note.warning else "")))
    map_sec = s.map_section(horizon_days=horizon_days, as_of=as_of_txt, segments=segments,
                            kpis=kpis, tiles=tiles is not None)
    map_sec.body += (f"<img class='rr-static-map' alt='risk map (static image for print)' "
                     f"src='{_charts.data_uri(static_png)}'>")
    first = [] if comparison is None else [
        _compare.compare_section(comparison, horizon_days=horizon_days)]
    seg_sec = s.segments_section(segments, horizon_days=horizon_days)
    history_sec = s.history_section(cov, as_of=as_of_txt)
    rests = cov.note.rests_on.removeprefix("history: ")
    for sec in (map_sec, corridor_sec, exposure_sec, seg_sec):
        sec.notes.append(f"These probabilities rest on {rests}."
                         + (f" Warning: {cov.note.warning}." if cov.note.warning else ""))
    page = render_page(
        title="routerisk: road disruption risk report",
        facts={"as of": as_of_txt, "horizon": f"{horizon_days} days",
               "incidents": f"{int((inc.frame['date'] < as_of_ts).sum()):,} before as-of",
               "history": rests,
               "road pieces": f"{len(segments):,}", "generated": generated},
        map_fragment=frag, map_section=map_sec,
        sections=[*first, corridor_sec, exposure_sec, backtest_sec, seg_sec, history_sec,
                  prov_sec],
        footer=f"routerisk {_version()} · {network_path}")
    write_text_atomic(index, page)
    files["index.html"] = index
    if chromium is not None:
        files[PDF_NAME] = timer.run("pdf", print_pdf, index, out / PDF_NAME, binary=chromium)
    timings = dict(timer.steps)
    timings["total"] = time.perf_counter() - t_start
    return ReportResult(index=index, files=files, timings=timings, missing=missing,
                        as_of=as_of_txt, horizon_days=horizon_days)


def _version() -> str:
    from routerisk import __version__
    return __version__


def _kpis(segments: pd.DataFrame, corridors: Sequence[g.CorridorResult], fuel: Any,
          horizon_days: int) -> list[tuple[str, str]]:
    from routerisk.report._tables import fmt_percent

    out = []
    for r in corridors:
        if r.route is not None:
            out.append((fmt_percent(r.route.p_disrupt), f"{r.name}, P over {horizon_days} d"))
    if fuel is not None:
        out.append((fmt_percent(fuel.exposure.expected_share_disrupted),
                    "fuel volume on disrupted routes (expected)"))
    out.append((fmt_percent(float(segments["p_disrupt"].max())), "riskiest 10 km piece"))
    return out


