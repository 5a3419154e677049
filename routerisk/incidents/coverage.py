"""What an incident frame covers systematically, and the one-line history statement.

Every incident frame carries ``frame.attrs["coverage"]``: a list of entries, one per
systematic source and period, each a dict::

    {"source": "ACLED", "start": "1997-01-06", "end": "2019-12-31",
     "bbox": [west, south, east, north] or None, "basis": "file"}

``basis`` says how the range is known: ``"file"`` (the first and last event date of a file
read whole), ``"declared"`` (stated by the user for a file or a source) or ``"fetched"`` (the
range and area asked of a source's API). Curated reports (the project catalogue, analysts'
own files) are anecdotal: they never count as coverage, however many there are. A period
that no entry covers is *uncovered*: its few curated reports are not a complete history, so
a probability fitted or scored across it is a lower bound.

* :func:`file_coverage` — the entry of a file read whole;
* :func:`declare_coverage` — attach a declared range to a frame;
* :func:`merge_coverage` — coverage of several frames together (:func:`routerisk.incidents.io.
  combine` uses it);
* :func:`history_note` — given a frame and the period a result rests on (fitting window,
  as-of date, test window), the "rests on" statement and, when the period reaches past the
  coverage, the one-line warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from routerisk.errors import ValidationError

#: How a coverage range is known.
COVERAGE_BASES: tuple[str, ...] = ("file", "declared", "fetched")

#: Coverage source name of each reader format (files in routerisk's own format, such as the
#: curated catalogue, are anecdotal and carry no coverage unless declared).
FORMAT_SOURCE: dict[str, str] = {"acled": "ACLED", "ucdp": "UCDP"}

#: The name curated (non-systematic) reports go by in statements.
CURATED = "curated"

_ONE_DAY = dt.timedelta(days=1)


def _date(value: Any, what: str = "date") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValidationError("coverage", [f"'{what}': must be a date YYYY-MM-DD; got "
                                           f"{value!r}"]) from None


def coverage_entry(source: str, start: Any, end: Any, *, bbox: Sequence[float] | None = None,
                   basis: str = "declared") -> dict[str, Any]:
    """One validated coverage entry (see the module docstring for the layout).

    Raises
    ------
    ValidationError
        Empty source, unknown basis, a start after the end, or a malformed bbox.
    """
    problems = []
    if not str(source).strip():
        problems.append("'source': must not be empty")
    if basis not in COVERAGE_BASES:
        problems.append(f"'basis': must be one of {', '.join(COVERAGE_BASES)}; got {basis!r}")
    d0, d1 = _date(start, "start"), _date(end, "end")
    if d0 > d1:
        problems.append(f"'start' {d0} is after 'end' {d1}")
    box = None
    if bbox is not None:
        box = [float(v) for v in bbox]
        if len(box) != 4 or not (box[0] <= box[2] and box[1] <= box[3]):
            problems.append(f"'bbox': must be [west, south, east, north] with west <= east and "
                            f"south <= north; got {list(bbox)}")
    if problems:
        raise ValidationError("coverage", problems)
    return {"source": str(source).strip(), "start": d0.isoformat(), "end": d1.isoformat(),
            "bbox": box, "basis": basis}


def file_coverage(fmt: str, dates: Iterable[Any], lons: Iterable[float],
                  lats: Iterable[float], *, bbox: Sequence[float] | None = None,
                  ) -> list[dict[str, Any]]:
    """Coverage of a file read whole: its first to last event date, over its events' extent.

    Parameters
    ----------
    fmt
        The reader format; only :data:`FORMAT_SOURCE` formats (ACLED, UCDP) are systematic.
    dates, lons, lats
        Every event read from the file (before any filter).
    bbox
        The reader's area filter, if any: the extent is clipped to it.

    Returns
    -------
    list of dict
        One entry with basis ``"file"``, or none (anecdotal format, or no events).
    """
    source = FORMAT_SOURCE.get(fmt)
    days = pd.to_datetime(pd.Series(list(dates)), errors="coerce").dropna()
    if source is None or not len(days):
        return []
    x = pd.Series(list(lons), dtype=float)
    y = pd.Series(list(lats), dtype=float)
    box = [float(x.min()), float(y.min()), float(x.max()), float(y.max())]
    if bbox is not None:
        w, s, e, n = (float(v) for v in bbox)
        box = [max(box[0], w), max(box[1], s), min(box[2], e), min(box[3], n)]
        if box[0] > box[2] or box[1] > box[3]:
            box = [w, s, e, n]
    return [coverage_entry(source, days.min(), days.max(), bbox=box, basis="file")]


def declare_coverage(frame: pd.DataFrame, source: str, start: Any, end: Any, *,
                     bbox: Sequence[float] | None = None) -> pd.DataFrame:
    """Declare that ``frame`` covers ``source`` systematically from ``start`` to ``end``.

    The declared entry replaces the file-derived entries of the same source (a declared
    range, e.g. the query of an export, is what the user knows the file holds).
    Returns the same frame (``attrs`` updated in place).
    """
    entry = coverage_entry(source, start, end, bbox=bbox, basis="declared")
    kept = [c for c in frame.attrs.get("coverage", [])
            if not (c["source"] == entry["source"] and c["basis"] == "file")]
    frame.attrs["coverage"] = merge_coverage([kept, [entry]])
    return frame


def merge_coverage(lists: Iterable[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Coverage of frames taken together: entries of one source, basis and area whose
    periods overlap or touch are joined; the result is sorted by source then start."""
    entries = [dict(c) for cov in lists for c in (cov or [])]
    entries.sort(key=lambda c: (c["source"], c["basis"], str(c.get("bbox")), c["start"]))
    out: list[dict[str, Any]] = []
    for c in entries:
        last = out[-1] if out else None
        if (last is not None and last["source"] == c["source"] and last["basis"] == c["basis"]
                and last.get("bbox") == c.get("bbox")
                and _date(c["start"]) <= _date(last["end"]) + _ONE_DAY):
            last["end"] = max(last["end"], c["end"])
            continue
        out.append(c)
    out.sort(key=lambda c: (c["source"], c["start"], c["basis"]))
    return out


def covered_intervals(coverage: Sequence[dict[str, Any]]) -> list[tuple[dt.date, dt.date]]:
    """The union of the coverage periods of all sources, as disjoint sorted (start, end)."""
    spans = sorted((_date(c["start"]), _date(c["end"])) for c in coverage)
    out: list[tuple[dt.date, dt.date]] = []
    for s, e in spans:
        if out and s <= out[-1][1] + _ONE_DAY:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def uncovered(coverage: Sequence[dict[str, Any]], start: dt.date,
              end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Sub-periods of ``[start, end]`` (inclusive) that no coverage entry covers."""
    gaps = []
    cursor = start
    for s, e in covered_intervals(coverage):
        if e < cursor:
            continue
        if s > end:
            break
        if s > cursor:
            gaps.append((cursor, min(end, s - _ONE_DAY)))
        cursor = max(cursor, e + _ONE_DAY)
        if cursor > end:
            break
    if cursor <= end:
        gaps.append((cursor, end))
    return gaps


def systematic_mask(incidents: pd.DataFrame, coverage: Sequence[dict[str, Any]]) -> pd.Series:
    """True for rows reported by a source that has a coverage entry (``"UCDP GED"`` rows
    belong to ``"UCDP"``; a merged row ``"ACLED; seeds/…"`` belongs to ACLED)."""
    if not len(incidents):
        return pd.Series([], dtype=bool)
    return incidents["source"].map(lambda v: coverage_source(v, coverage) != CURATED
                                   ).astype(bool)


def coverage_source(value: object, coverage: Sequence[dict[str, Any]]) -> str:
    """The coverage source a row's ``source`` belongs to, else :data:`CURATED`."""
    names = sorted({c["source"] for c in coverage})
    for part in str(value).split(";"):
        part = part.strip()
        for n in names:
            if part == n or part.startswith(n + " "):
                return n
    return CURATED


@dataclass(frozen=True)
class HistoryNote:
    """Which period of history a result rests on, and whether it reaches past the coverage.

    Attributes
    ----------
    coverage
        The coverage entries of the incidents.
    rests_on
        E.g. ``"history: ACLED 1997-01-06 … 2019-12-31 + 29 curated reports 2013–2025"``.
    warning
        One line when the period reaches past the coverage, else ``None``.
    period
        ``(start, end)`` of the history the result relies on.
    gaps
        Uncovered sub-periods of ``period``, each with the curated reports dated in it.
    """

    coverage: list[dict[str, Any]]
    rests_on: str
    warning: str | None
    period: tuple[dt.date, dt.date]
    gaps: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``history`` object of ``--json`` outputs)."""
        return {"coverage": self.coverage, "rests_on": self.rests_on,
                "warning": self.warning,
                "period": {"start": self.period[0].isoformat(),
                           "end": self.period[1].isoformat()},
                "gaps": self.gaps}


def _years(dates: pd.Series) -> str:
    y0, y1 = int(dates.min().year), int(dates.max().year)
    return str(y0) if y0 == y1 else f"{y0}–{y1}"


def rests_on(incidents: pd.DataFrame, coverage: Sequence[dict[str, Any]] | None = None,
             *, until: Any = None) -> str:
    """``"history: ACLED 1997-01-06 … 2019-12-31 + 29 curated reports 2013–2025"``.

    Only incidents dated before ``until`` (exclusive; default all) are counted.
    """
    cov = list(incidents.attrs.get("coverage", []) if coverage is None else coverage)
    df = incidents
    if until is not None and len(df):
        df = df[pd.to_datetime(df["date"]) < pd.Timestamp(_date(until, "until"))]
    last = None if until is None else (_date(until, "until") - _ONE_DAY).isoformat()
    parts = [f"{c['source']} {c['start']} … {min(c['end'], last or c['end'])}"
             + ("" if c["basis"] == "file" else f" ({c['basis']})")
             for c in cov if last is None or c["start"] <= last]
    curated = df[~systematic_mask(df, cov).to_numpy()] if len(df) else df
    if len(curated):
        n = len(curated)
        parts.append(f"{n:,} {CURATED} report{'s' if n != 1 else ''} "
                     f"{_years(pd.to_datetime(curated['date']))}")
    if not parts:
        return "history: no incidents"
    return "history: " + " + ".join(parts)


#: What an uncovered period means for a forecast.
LOWER_BOUNDS = "probabilities are lower bounds"


def history_note(incidents: pd.DataFrame, *, end: Any, start: Any = None,
                 coverage: Sequence[dict[str, Any]] | None = None,
                 consequence: str = LOWER_BOUNDS) -> HistoryNote:
    """The "rests on" statement and the coverage warning for a result.

    Parameters
    ----------
    incidents
        The incident frame the result was computed from (its ``attrs["coverage"]`` is used
        unless ``coverage`` is given).
    end
        Last day of history the result relies on (inclusive): the day before the as-of date
        for a forecast, the last day of the test window for a backtest.
    start
        First day it relies on; default the first coverage start, else the first incident.
    coverage
        Coverage entries (default ``incidents.attrs["coverage"]``).
    consequence
        What the gap means, ending the warning (default :data:`LOWER_BOUNDS`).

    Returns
    -------
    HistoryNote
        ``warning`` is set when a part of ``[start, end]`` has no systematic coverage, e.g.
        ``"systematic history ends 2019-12-31; 2020-01-01 … 2025-09-14 has only 27 curated
        reports: probabilities are lower bounds"``.
    """
    cov = list(incidents.attrs.get("coverage", []) if coverage is None else coverage)
    d1 = _date(end, "end")
    dates = pd.to_datetime(pd.Series(incidents["date"] if len(incidents) else [],
                                     dtype="datetime64[ns]"))
    if start is not None:
        d0 = _date(start, "start")
    elif cov:
        d0 = min(_date(c["start"]) for c in cov)
    elif len(dates):
        d0 = dates.min().date()
    else:
        d0 = d1
    d0 = min(d0, d1)
    until = d1 + _ONE_DAY
    statement = rests_on(incidents, cov, until=until)
    gaps = []
    for g0, g1 in uncovered(cov, d0, d1):
        n = int(((dates >= pd.Timestamp(g0)) & (dates < pd.Timestamp(g1 + _ONE_DAY))).sum())
        gaps.append({"start": g0.isoformat(), "end": g1.isoformat(), "curated_reports": n})
    warning = None
    if gaps:
        def reports(n: int) -> str:
            return f"only {n:,} {CURATED} report{'s' if n != 1 else ''}" if n else \
                f"no {CURATED} report"

        if not cov:
            g = gaps[0]
            warning = (f"no systematic history (ACLED, UCDP) in the data: {g['start']} … "
                       f"{g['end']} has {reports(g['curated_reports'])}: {consequence}")
        else:
            last_end = max(_date(c["end"]) for c in cov)
            text = []
            for g in gaps:
                span = f"{g['start']} … {g['end']}"
                if _date(g["start"]) > last_end:
                    text.append(f"systematic history ends {last_end.isoformat()}; {span} has "
                                f"{reports(g['curated_reports'])}")
                else:
                    text.append(f"no systematic history {span}, which has "
                                f"{reports(g['curated_reports'])}")
            warning = "; ".join(text) + f": {consequence}"
    return HistoryNote(coverage=cov, rests_on=statement, warning=warning, period=(d0, d1),
                       gaps=gaps)


def forecast_note(incidents: pd.DataFrame, as_of: Any) -> HistoryNote:
    """:func:`history_note` for a forecast made on ``as_of``: the model is fitted on the
    history before it, so the period ends the day before ``as_of``."""
    return history_note(incidents, end=_date(as_of, "as_of") - _ONE_DAY)
