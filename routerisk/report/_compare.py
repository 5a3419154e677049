"""What changed since a previous report: read its own machine-readable outputs
(``summary.json`` and ``segments.csv``), compare them with the current run.

:func:`report_summary` is what every report writes as ``summary.json`` so that a later report
can compare with it; :func:`load_previous` reads it back; :func:`compare` computes the
per-corridor change in P and μ, the road pieces whose P rose or fell most, the incidents
new since the previous as-of date and any change in the data's covered period or the
model's parameters.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from routerisk._output import fmt_percent, fmt_sig, jsonable
from routerisk.errors import DataNotFoundError, ValidationError

SUMMARY_NAME = "summary.json"
SUMMARY_VERSION = 1
#: Change colours on the map: P rose / fell.
ROSE, FELL = "#b2182b", "#2166ac"
#: Pieces drawn on the change layer: at most this many, largest |ΔP| first.
MAP_MAX_PIECES = 400


def report_summary(*, as_of: str, horizon_days: int, params: Mapping[str, Any],
                   incident_files: pd.DataFrame, n_incidents_used: int,
                   corridors: Sequence[Any]) -> dict:
    """The figures a later report compares with (written as ``summary.json``)."""
    rows = []
    for r in corridors:
        rr = r.route
        rows.append({"name": r.name, "origin": r.origin, "destination": r.destination,
                     "p_disrupt": None if rr is None else float(rr.p_disrupt),
                     "p_low": None if rr is None else float(rr.p_interval[0]),
                     "p_high": None if rr is None else float(rr.p_interval[1]),
                     "mu": None if rr is None else float(rr.mu),
                     "length_km": None if rr is None else float(rr.length_km)})
    files = incident_files.copy()
    for col in ("first_date", "last_date"):
        files[col] = pd.to_datetime(files[col]).dt.date.astype(str)
    return {"summary_version": SUMMARY_VERSION, "as_of": as_of, "horizon_days": horizon_days,
            "n_incidents_used": int(n_incidents_used),
            "covered": {"first_date": str(files["first_date"].min()) if len(files) else None,
                        "last_date": str(files["last_date"].max()) if len(files) else None},
            "incident_files": files[["file", "rows", "first_date", "last_date"]]
            .to_dict(orient="records"),
            "model": jsonable(dict(params)), "corridors": rows}


@dataclass
class Previous:
    """A previous report read back: its ``summary.json`` and its ``segments.csv``."""

    folder: Path
    summary: dict
    segments: pd.DataFrame


def load_previous(folder: str | os.PathLike[str]) -> Previous:
    """Read a previous report folder for :func:`compare`.

    Raises
    ------
    DataNotFoundError
        When the folder, its ``summary.json`` or its ``segments.csv`` is missing.
    ValidationError
        When ``summary.json`` is not a report summary this version can read.
    """
    path = Path(folder)
    if not path.is_dir():
        raise DataNotFoundError(f"--compare: {path} is not a folder (give the folder of a "
                                "previous report, the one holding its index.html)")
    summary_path = path / SUMMARY_NAME
    if not summary_path.is_file():
        raise DataNotFoundError(
            f"--compare: {path} has no {SUMMARY_NAME}: it is not a routerisk report folder "
            "or was written before reports recorded their summary; rebuild that report "
            "(routerisk report --as-of ITS_DATE --out DIR) and compare with the new folder")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"--compare: cannot read {summary_path}: {exc}") from exc
    version = summary.get("summary_version") if isinstance(summary, dict) else None
    if version != SUMMARY_VERSION:
        raise ValidationError(f"--compare: {summary_path}: summary_version {version!r} is "
                              f"not {SUMMARY_VERSION} (not a report summary this version reads)")
    missing = [k for k in ("as_of", "horizon_days", "corridors", "model") if k not in summary]
    if missing:
        raise ValidationError(f"--compare: {summary_path}: missing field(s) "
                              + ", ".join(missing))
    seg_path = path / "segments.csv"
    if not seg_path.is_file():
        raise DataNotFoundError(f"--compare: {path} has no segments.csv (the previous "
                                "report's road pieces)")
    segments = pd.read_csv(seg_path, usecols=["u", "v", "key", "road", "p_disrupt", "mu"])
    return Previous(folder=path, summary=summary, segments=segments)


@dataclass
class Comparison:
    """The changes since a previous report (see :func:`compare`)."""

    previous_as_of: str
    as_of: str
    previous_folder: str
    corridors: pd.DataFrame       #: name, p_before, p_now, dp, mu_before, mu_now, dmu
    rose: pd.DataFrame            #: road pieces whose P rose most
    fell: pd.DataFrame            #: road pieces whose P fell most
    pieces: gpd.GeoDataFrame      #: every matched two-way piece with its change (map layer)
    new_incidents: pd.DataFrame   #: incidents dated in [previous as-of, as-of)
    changes: list[str] = field(default_factory=list)  #: period, parameters, horizon, network
    n_unmatched: int = 0


def _arrow(delta: float) -> str:
    if not np.isfinite(delta) or delta == 0:
        return "="
    return "▲" if delta > 0 else "▼"


def fmt_pp(delta: float) -> str:
    """A change of probability in percentage points with its arrow: ``▲ +1.2 pp``."""
    if not np.isfinite(delta):
        return "n/a"
    pp = delta * 100.0
    text = f"{pp:+.2f}" if abs(pp) < 0.1 else f"{pp:+.1f}"
    return f"{_arrow(delta)} {text} pp"


def compare(previous: Previous, *, summary: Mapping[str, Any],
            segments: gpd.GeoDataFrame, incidents: pd.DataFrame, n_top: int = 10
            ) -> Comparison:
    """Compare the current run (its ``summary`` and two-way ``segments``) with ``previous``.

    Parameters
    ----------
    previous
        From :func:`load_previous`.
    summary
        The current :func:`report_summary`.
    segments
        The current road pieces, one row per two-way piece (``u, v, key, road, p_disrupt``
        and geometry).
    incidents
        The current incidents (``date``, ``event_type``, and optionally ``place``,
        ``source``, ``fatalities``).
    n_top
        How many pieces to list as rising and falling most.
    """
    prev = previous.summary
    before = {c["name"]: c for c in prev["corridors"]}
    rows = []
    for c in summary["corridors"]:
        b = before.get(c["name"], {})
        p0, p1 = _num(b.get("p_disrupt")), _num(c.get("p_disrupt"))
        m0, m1 = _num(b.get("mu")), _num(c.get("mu"))
        rows.append({"name": c["name"], "p_before": p0, "p_now": p1, "dp": p1 - p0,
                     "mu_before": m0, "mu_now": m1, "dmu": m1 - m0,
                     "change": fmt_pp(p1 - p0)})
    cor = pd.DataFrame(rows, columns=["name", "p_before", "p_now", "dp", "mu_before",
                                      "mu_now", "dmu", "change"])
    changes = []
    gone = sorted(set(before) - {c["name"] for c in summary["corridors"]})
    if gone:
        changes.append("Corridors in the previous report only: " + ", ".join(gone))

    old = previous.segments.drop_duplicates(["u", "v", "key"]).set_index(["u", "v", "key"])
    key = pd.MultiIndex.from_frame(segments[["u", "v", "key"]])
    p0 = old["p_disrupt"].reindex(key).to_numpy(dtype=float)
    pieces = segments[["u", "v", "key", "road", "km_from_start", "p_disrupt",
                       "geometry"]].copy()
    pieces = pieces.rename(columns={"p_disrupt": "p_now"})
    pieces["p_before"] = p0
    pieces["dp"] = pieces["p_now"] - pieces["p_before"]
    n_unmatched = int(np.isnan(p0).sum())
    if n_unmatched:
        changes.append(f"{n_unmatched:,} road pieces of this report are not in the previous "
                       "one (a different network): they have no change")
    pieces = pieces[np.isfinite(pieces["dp"])]
    pieces["change"] = pieces["dp"].map(fmt_pp)
    rose = pieces[pieces["dp"] > 0].nlargest(n_top, "dp")
    fell = pieces[pieces["dp"] < 0].nsmallest(n_top, "dp")

    t0, t1 = pd.Timestamp(prev["as_of"]), pd.Timestamp(summary["as_of"])
    dates = pd.to_datetime(incidents["date"])
    lo, hi = min(t0, t1), max(t0, t1)
    new = incidents[(dates >= lo) & (dates < hi)]
    cols = [c for c in ("date", "event_type", "place", "country", "fatalities", "source")
            if c in new.columns]
    new = pd.DataFrame(new[cols]).sort_values("date", ascending=False, kind="stable")
    if t1 < t0:
        changes.append(f"The previous report is later ({prev['as_of']}) than this one "
                       f"({summary['as_of']}): the incidents listed are those between them")
    if int(prev["horizon_days"]) != int(summary["horizon_days"]):
        changes.append(f"Horizon changed from {prev['horizon_days']} to "
                       f"{summary['horizon_days']} days: the probabilities are not for the "
                       "same period and their differences mix both changes")
    changes += _period_changes(prev, summary) + _param_changes(prev["model"], summary["model"])
    return Comparison(previous_as_of=str(prev["as_of"]), as_of=str(summary["as_of"]),
                      previous_folder=str(previous.folder), corridors=cor, rose=rose,
                      fell=fell, pieces=_map_pieces(pieces), new_incidents=new,
                      changes=changes, n_unmatched=n_unmatched)


def _num(x: Any) -> float:
    try:
        return float(x) if x is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def _period_changes(prev: Mapping, now: Mapping) -> list[str]:
    out = []
    a, b = prev.get("covered", {}), now.get("covered", {})
    if a != b:
        out.append(f"Incident data covers {b.get('first_date')} to {b.get('last_date')} "
                   f"(previously {a.get('first_date')} to {a.get('last_date')})")
    files0 = {Path(f["file"]).name: f for f in prev.get("incident_files", [])}
    files1 = {Path(f["file"]).name: f for f in now.get("incident_files", [])}
    for name in sorted(set(files0) | set(files1)):
        f0, f1 = files0.get(name), files1.get(name)
        if f0 is None:
            out.append(f"New incident file {name} ({f1['rows']:,} rows)")
        elif f1 is None:
            out.append(f"Incident file {name} no longer read")
        elif (f0["rows"], f0["first_date"], f0["last_date"]) != (
                f1["rows"], f1["first_date"], f1["last_date"]):
            out.append(f"{name}: {f1['rows']:,} rows, {f1['first_date']} to "
                       f"{f1['last_date']} (previously {f0['rows']:,} rows, "
                       f"{f0['first_date']} to {f0['last_date']})")
    return out


#: Model fields that change with every run and are reported elsewhere.
_VOLATILE = {"as_of", "horizon_days", "n_incidents", "n_ignored_after_as_of", "cv_origins",
             "train_origins", "n_windows_skipped_uncovered", "coverage"}


def _param_changes(prev: Mapping, now: Mapping) -> list[str]:
    out = []
    for k in sorted(set(prev) | set(now)):
        if k in _VOLATILE:
            continue
        a, b = prev.get(k), now.get(k)
        same = a == b
        if isinstance(a, float) and isinstance(b, float):
            same = bool(np.isclose(a, b, rtol=1e-9, atol=0.0))
        if not same:
            fa = fmt_sig(a, 4) if isinstance(a, (int, float)) and a is not None else a
            fb = fmt_sig(b, 4) if isinstance(b, (int, float)) and b is not None else b
            out.append(f"Model parameter {k}: {fb} (previously {fa})")
    return out


def _map_pieces(pieces: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The pieces whose P changed most, coloured and weighted for the change layer."""
    moved = pieces[pieces["dp"].abs() > 0]
    moved = moved.loc[moved["dp"].abs().sort_values(ascending=False).index[:MAP_MAX_PIECES]]
    out = moved.copy()
    top = float(out["dp"].abs().max()) if len(out) else 1.0
    out["_colour"] = np.where(out["dp"] > 0, ROSE, FELL)
    out["_weight"] = 6.0 + 8.0 * np.sqrt(out["dp"].abs() / max(top, 1e-12))
    out["p_before"] = out["p_before"].map(fmt_percent)
    out["p_now"] = out["p_now"].map(fmt_percent)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=pieces.crs)


def tables(result: Comparison) -> dict[str, pd.DataFrame]:
    """The comparison as data files: ``compare_corridors``, ``compare_segments`` (rose and
    fell most) and ``compare_incidents``."""
    seg = pd.concat([result.rose.assign(direction="rose"), result.fell.assign(
        direction="fell")], ignore_index=True)
    seg = pd.DataFrame(seg.drop(columns="geometry", errors="ignore"))
    meta = {"previous_as_of": result.previous_as_of, "as_of": result.as_of}
    return {"compare_corridors": result.corridors.assign(**meta),
            "compare_segments": seg.assign(**meta),
            "compare_incidents": result.new_incidents.assign(**meta)}


def compare_section(result: Comparison, *, horizon_days: int) -> Any:
    """The "What changed" section: corridor changes with arrows, pieces that rose and fell
    most, new incidents, and changes of data period or model parameters."""
    import html

    from routerisk.report._html import Section
    from routerisk.report._tables import fmt_int, html_table
    from routerisk.report._tables import fmt_percent as pct

    def p(text: str, cls: str = "lead") -> str:
        return f"<p class='{cls}'>{html.escape(text)}</p>"

    n_new = len(result.new_incidents)
    parts = [p(f"Compared with the report of {result.previous_as_of} "
               f"({result.previous_folder}): P and μ of each corridor, the road pieces whose "
               f"P over {horizon_days} days rose or fell most (also a map layer), the "
               f"{n_new:,} incidents dated from {min(result.previous_as_of, result.as_of)} "
               f"up to {max(result.previous_as_of, result.as_of)} (excluded), and what "
               "changed in the data or the model.")]
    cor = result.corridors.copy()
    cor["trend"] = cor["dp"].map(_arrow)
    parts.append(html_table(
        cor, table_id="compare-corridors",
        columns={"name": "Corridor", "p_before": f"P, {result.previous_as_of}",
                 "p_now": f"P, {result.as_of}", "change": "Change of P",
                 "mu_before": "μ before", "mu_now": "μ now", "dmu": "Change of μ"},
        formats={"p_before": pct, "p_now": pct, "mu_before": fmt_sig, "mu_now": fmt_sig,
                 "dmu": lambda x: f"{_arrow(float(x))} {float(x):+.3g}"}))
    refit = [c.split(":")[0].removeprefix("Model parameter ") for c in result.changes
             if c.startswith("Model parameter ")]
    if refit:
        parts.append(p("The model refitted at the new as-of date chose different parameters ("
                       + ", ".join(refit) + "; see Data and model below): these changes mix "
                       "the refit with the new incidents.", "note"))
    piece_cols = {"road": "Road link", "km_from_start": "km along it", "p_before": "P before",
                  "p_now": "P now", "change": "Change"}
    piece_fmt = {"p_before": pct, "p_now": pct, "km_from_start": lambda x: f"{float(x):,.0f}"}
    parts.append("<div class='side'><div>" + html_table(
        result.rose, table_id="compare-rose", columns=piece_cols, formats=piece_fmt,
        caption=f"Road pieces whose P rose most ({len(result.rose)})")
        + "</div><div>" + html_table(
        result.fell, table_id="compare-fell", columns=piece_cols, formats=piece_fmt,
        caption=f"Road pieces whose P fell most ({len(result.fell)})") + "</div></div>")
    if len(result.rose) == 0 and len(result.fell) == 0:
        parts.append(p("No road piece changed its P.", "note"))
    parts.append(html_table(
        result.new_incidents, table_id="compare-incidents", max_rows=30,
        caption=f"Incidents new since {result.previous_as_of}: {n_new:,}",
        columns={"date": "Date", "event_type": "Type", "place": "Place",
                 "country": "Country", "fatalities": "Fatalities", "source": "Source"},
        formats={"fatalities": fmt_int}))
    parts.append("<h3>Data and model</h3>")
    if result.changes:
        parts.append("<ul class='rr-changes'>" + "".join(
            f"<li>{html.escape(c)}</li>" for c in result.changes) + "</ul>")
    else:
        parts.append(p("Same incident files and period, same model parameters and horizon.",
                       "note"))
    return Section("changes", f"What changed since {result.previous_as_of}", "".join(parts))
