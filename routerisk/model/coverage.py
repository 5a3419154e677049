"""Which periods an incident frame covers systematically, as day numbers for the fit.

A period without incidents in the data is a quiet period only when a systematic source
(ACLED, UCDP, a complete export) covered it. ``frame.attrs["coverage"]``
(:mod:`routerisk.incidents.coverage`), when present, lists what each systematic source
covers; the curated catalogue (a source containing ``"catalogue"``) is anecdotal and never
counts. Without the attribute the date span of the ACLED and UCDP rows is taken."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from routerisk.incidents.coverage import covered_intervals
from routerisk.model.kernels import _day_number

logger = logging.getLogger(__name__)


def _anecdotal(source: object) -> bool:
    return "catalogue" in str(source).lower()


def coverage_days(frame: pd.DataFrame) -> list[tuple[float, float]]:
    """Covered periods as ``[start_day, end_day)`` in days since 1970-01-01, merged.

    Parameters
    ----------
    frame
        An incident frame, with or without ``attrs["coverage"]``.
    """
    spans: list[tuple[float, float]] = []
    entries = getattr(frame, "attrs", {}).get("coverage")
    if entries is not None:
        kept = [e for e in entries if not _anecdotal(e.get("source", ""))]
        for start, end in covered_intervals(kept):
            s, t = _day_number(pd.DatetimeIndex([pd.Timestamp(start), pd.Timestamp(end)]))
            spans.append((float(s), float(t) + 1.0))
    elif len(frame) and "source" in frame.columns:
        src = frame["source"].astype(str)
        systematic = src.str.contains("acled|ucdp", case=False, regex=True)
        dates = pd.to_datetime(frame.loc[systematic.to_numpy(), "date"], errors="coerce")
        dates = dates.dropna()
        if len(dates):
            s, t = _day_number(pd.DatetimeIndex([dates.min().normalize(),
                                                 dates.max().normalize()]))
            spans.append((float(s), float(t) + 1.0))
    spans.sort()
    merged: list[tuple[float, float]] = []
    for s, t in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], t))
        else:
            merged.append((s, t))
    return merged


def covered(spans: list[tuple[float, float]], start_day: float, end_day: float) -> bool:
    """Whether ``[start_day, end_day)`` lies inside one covered period."""
    return any(s <= start_day and end_day <= t for s, t in spans)


def spans_to_dates(spans: list[tuple[float, float]]) -> list[dict[str, str]]:
    """Covered periods as ISO dates (``end`` inclusive), for reports and JSON."""
    out = []
    for s, t in spans:
        a = pd.Timestamp(np.datetime64(int(round(s)), "D"))
        b = pd.Timestamp(np.datetime64(int(round(t)) - 1, "D"))
        out.append({"start": a.date().isoformat(), "end": b.date().isoformat()})
    return out
