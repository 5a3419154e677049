"""Read incident files into validated incident frames.

Every reader returns a GeoDataFrame with exactly
:data:`routerisk.incidents.schema.INCIDENT_COLUMNS` plus ``geometry`` (points, EPSG:4326),
one row per validated :class:`~routerisk.incidents.schema.Incident`, built by
:func:`routerisk.incidents.schema.incidents_to_frame`.

* :func:`read_routerisk` — routerisk's own schema, CSV or GeoJSON (analysts' own reports,
  the curated catalogue);
* :func:`read_acled` — ACLED CSV exports, one row per event (dyadic) or one row per actor
  (monadic, collapsed to one row per ``event_id_cnty``);
* :func:`read_ucdp` — UCDP GED CSV, the full column set or the reduced sample;
* :func:`read_incidents` — any of the above, the format detected from the columns;
* :func:`load_catalogue`, :func:`default_incidents` — the project's own data.

Validation collects every problem of a file and raises one
:class:`~routerisk.errors.ValidationError` naming the file, and for each problem the row,
the column and what was expected. Rows left out on purpose (``violent_only``, ``bbox``) are
counted in ``frame.attrs["filtered"]`` (reason → count) and logged, never silently lost.
Rows are numbered from 1, the header not counted (row 1 is the second line of a CSV file)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from routerisk.config import (  # CATALOGUE_FILE: re-exported
    ACLED_FILE,
    CATALOGUE_FILE,
    optional_shared_file,
)
from routerisk.errors import ArgumentError, DataNotFoundError, ValidationError
from routerisk.incidents import FORMATS
from routerisk.incidents._files import (
    JSON_ROW_KEYS,
    _check_file,
    _delimiter_problem,
    _read_limited,
    check_encoding,
)
from routerisk.incidents.acled import read_acled
from routerisk.incidents.coverage import merge_coverage
from routerisk.incidents.filters import BBox, filter_incidents
from routerisk.incidents.native import read_routerisk
from routerisk.incidents.schema import (
    empty_incident_frame,
)
from routerisk.incidents.ucdp import read_ucdp

logger = logging.getLogger(__name__)


#: Formats :func:`read_incidents` knows.



#: Columns that identify each CSV format (any one of them votes for the format).
_SIGNATURES: dict[str, frozenset[str]] = {
    "acled": frozenset({"event_id_cnty", "sub_event_type", "event_date", "actor1",
                        "geo_precision", "time_precision", "inter1", "assoc_actor_1"}),
    "ucdp": frozenset({"type_of_violence", "date_start", "date_end", "where_prec",
                       "conflict_new_id", "side_a", "side_b", "best", "where_coordinates",
                       "civilian_deaths", "combatant_deaths", "relid"}),
}


def detect_format(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> str:
    """Guess a file's format from its extension and header: routerisk, acled or ucdp.

    The CSV header votes: the format sharing the most identifying columns wins (so a UCDP
    file missing one column is still read as UCDP, and the reader names the missing column);
    with none, routerisk's own schema. A header split by semicolons or tabs is reported.
    """
    p = _check_file(path)
    if p.suffix.lower() == ".geojson":
        return "routerisk"
    if p.suffix.lower() == ".json":
        return _detect_json(p, encoding)
    encoding = check_encoding(encoding)
    try:
        with p.open(encoding=encoding, errors="replace", newline="") as fh:
            header = fh.readline(1_000_000)
    except OSError as exc:
        raise DataNotFoundError(f"cannot read incident file {p}: {exc.strerror}") from exc
    cells = [c.strip().strip('"').lstrip("\ufeff") for c in header.split(",")]
    problem = _delimiter_problem([header.strip()]) if len(cells) == 1 else None
    if problem:
        raise ValidationError(str(p), [problem])
    cols = set(cells)
    votes = {fmt: len(sig & cols) for fmt, sig in _SIGNATURES.items()}
    best = max(votes, key=lambda f: votes[f])
    return best if votes[best] else "routerisk"


def _detect_json(p: Path, encoding: str) -> str:
    """ACLED API JSON (``{"data": [...]}``), UCDP GED API JSON (``{"Result": [...]}``), or
    else routerisk GeoJSON."""
    import json

    try:
        doc = json.loads(_read_limited(p).decode(encoding, errors="replace"))
    except (OSError, ValueError, RecursionError):
        return "routerisk"  # the reader reports what is wrong
    rows = None
    if isinstance(doc, dict):
        rows = next((doc[k] for k in JSON_ROW_KEYS if isinstance(doc.get(k), list)), None)
    elif isinstance(doc, list):
        rows = doc
    first = rows[0] if rows and isinstance(rows[0], dict) else {}
    if "event_id_cnty" in first:
        return "acled"
    if "type_of_violence" in first:
        return "ucdp"
    return "routerisk"


def read_incidents(path: str | os.PathLike[str], *, format: str | None = None,
                   violent_only: bool = False, bbox: BBox | None = None,
                   encoding: str = "utf-8") -> gpd.GeoDataFrame:
    """Read any incident file; the format is detected unless given.

    Parameters
    ----------
    path
        CSV (routerisk, ACLED or UCDP GED) or GeoJSON (routerisk).
    format
        ``"routerisk"``, ``"acled"`` or ``"ucdp"``; default: :func:`detect_format`.
    violent_only, bbox, encoding
        As in :func:`read_routerisk`.
    """
    fmt = format or detect_format(path, encoding=encoding)
    readers = {"routerisk": read_routerisk, "acled": read_acled, "ucdp": read_ucdp}
    if fmt not in readers:
        raise ValidationError(str(path), [f"unknown format {fmt!r}; expected one of "
                                          f"{', '.join(FORMATS)}"])
    return readers[fmt](path, violent_only=violent_only, bbox=bbox, encoding=encoding)


#: Farthest an as-of date may lie after the latest incident, days (about 2.5 half-lives of
#: the default hazard model): beyond it the history no longer says anything about the date.
MAX_AS_OF_GAP_DAYS = 1826


def check_as_of(frame: pd.DataFrame, as_of, *, option: str = "--as-of",
                max_gap_days: int = MAX_AS_OF_GAP_DAYS) -> None:
    """Refuse an as-of date the incidents cannot answer for.

    Parameters
    ----------
    frame
        The incidents (a ``date`` column).
    as_of
        The forecast date (anything :class:`pandas.Timestamp` reads); ``None`` (the day after
        the latest incident) is always accepted when there are incidents.
    option
        The option named in the message.
    max_gap_days
        Largest accepted gap between the latest incident and ``as_of``.

    Raises
    ------
    ArgumentError
        When no incident is dated before ``as_of`` (P would be 0 and every metric n/a), or
        ``as_of`` lies more than ``max_gap_days`` after the latest incident.
    ValidationError
        When there are no incidents at all.
    """
    dates = pd.to_datetime(frame["date"]) if len(frame) else pd.Series([], dtype="M8[ns]")
    if not len(dates):
        raise ValidationError(", ".join(frame.attrs.get("sources", [])) or "incidents",
                              ["no incidents to fit the model on"])
    first, last = dates.min(), dates.max()
    span = f"the incidents run from {first.date()} to {last.date()}"
    if as_of is None:
        return
    ts = pd.Timestamp(as_of)
    if not (dates < ts).any():
        raise ArgumentError(f"{option} {ts.date()}: no incident is dated before it ({span}); "
                            f"a forecast needs history: choose a date after {first.date()}",
                            option=option)
    gap = (ts - last).days
    if gap > max_gap_days:
        raise ArgumentError(f"{option} {ts.date()}: {gap:,} days after the latest incident "
                            f"({span}); at most {max_gap_days:,} days are accepted, since the "
                            f"history says nothing about a date that far ahead",
                            option=option)


def load_catalogue(path: str | os.PathLike[str] | None = None, *,
                   violent_only: bool = False) -> gpd.GeoDataFrame:
    """The project's curated incident catalogue (``incidents/catalogue.csv``).

    Raises
    ------
    DataNotFoundError
        When the catalogue file does not exist.
    """
    p = Path(path) if path is not None else CATALOGUE_FILE
    if not p.is_file():
        raise DataNotFoundError(f"incident catalogue not found: {p}")
    return read_routerisk(p, violent_only=violent_only)


def default_incidents(*, violent_only: bool = False,
                      catalogue: str | os.PathLike[str] | None = None,
                      acled: str | os.PathLike[str] | None = None,
                      store: str | os.PathLike[str] | None = None,
                      dedup: bool = True) -> gpd.GeoDataFrame:
    """The incident history every command uses by default, deduplicated.

    The project catalogue, plus the local incident store when it exists
    (:mod:`routerisk.incidents.store`: what ``routerisk incidents fetch`` and ``import``
    put there), else the shared ACLED file when present.

    Parameters
    ----------
    violent_only
        Keep only violent event types.
    catalogue
        Catalogue path; default ``incidents/catalogue.csv`` in the project.
    acled
        An ACLED export to use instead of the store; default: the store when it exists,
        else the shared ``incidents/acled_mli_bfa_ner_1997_2019.csv`` when it is found,
        else no ACLED rows.
    store
        The store file; default :func:`routerisk.incidents.store.store_path`.
    dedup
        Merge the same event reported by both (:func:`routerisk.incidents.dedup.deduplicate`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``attrs["filtered"]`` adds up what each file's reader filtered;
        ``attrs["sources"]`` lists the files read; ``attrs["coverage"]`` what they cover
        systematically (source, start, end, bbox, basis; the store's fetched ranges or the
        ACLED file's first to last event date; never the catalogue).
    """
    from routerisk.incidents.dedup import deduplicate
    from routerisk.incidents.store import load_store

    cat = load_catalogue(catalogue, violent_only=violent_only)
    frames = [cat]
    stored = load_store(store) if acled is None else None
    if stored is not None:
        # a catalogue row imported into the store: the project's own copy wins
        dup = stored["incident_id"].isin(set(cat["incident_id"]))
        if dup.any():
            attrs = dict(stored.attrs)
            stored = stored.loc[~dup].reset_index(drop=True)
            stored.attrs = attrs
        stored, filtered = filter_incidents(stored, violent_only=violent_only)
        stored.attrs["filtered"] = filtered
        frames.append(stored)
    else:
        acled_path = Path(acled) if acled is not None else optional_shared_file(ACLED_FILE)
        if acled_path is not None:
            frames.append(read_acled(acled_path, violent_only=violent_only))
        else:
            logger.info("no incident store and no shared ACLED file; using the catalogue "
                        "only")
    return combine(frames, dedup=dedup, deduplicate=deduplicate)


def combine(frames: Sequence[gpd.GeoDataFrame], *, dedup: bool = True,
            deduplicate=None) -> gpd.GeoDataFrame:
    """Concatenate incident frames (adding up their ``filtered`` counts), optionally
    deduplicated; incident ids must be unique across the frames.

    ``attrs["coverage"]`` joins the frames' coverage entries
    (:func:`routerisk.incidents.coverage.merge_coverage`): curated frames add none."""
    if deduplicate is None:
        from routerisk.incidents.dedup import deduplicate
    filtered: dict[str, int] = {}
    sources = []
    coverage = merge_coverage(f.attrs.get("coverage", []) for f in frames)
    rows_read = 0
    for f in frames:
        rows_read += int(f.attrs.get("rows_read", len(f)))
        for k, v in f.attrs.get("filtered", {}).items():
            filtered[k] = filtered.get(k, 0) + v
        if "source_file" in f.attrs:
            sources.append(f.attrs["source_file"])
    parts = [f for f in frames if len(f)]
    if not parts:
        out = empty_incident_frame()
    else:
        out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    ids = out["incident_id"]
    dup = sorted(set(ids[ids.duplicated()]))
    if dup:
        raise ValidationError(", ".join(sources) or "incidents",
                              [f"'incident_id': {i!r} appears in more than one file"
                               for i in dup])
    out.attrs = {"filtered": filtered, "sources": sources, "rows_read": rows_read,
                 "coverage": coverage}
    if dedup and len(out):
        out = deduplicate(out)
    return out

