"""ACLED files: both layouts (HDX dyadic and export-tool monadic), the event-type
and target classification of ACLED's taxonomy and notes, and :func:`read_acled`."""

from __future__ import annotations

import logging
import os

import geopandas as gpd
import numpy as np
import pandas as pd

from routerisk.geo.gazetteer import normalize_name
from routerisk.incidents._files import (
    COUNTRY_ISO3,
    _cached,
    _check_file,
    _duplicates,
    _finish,
    _read_rows,
    _require,
    _row_names,
)
from routerisk.incidents.acled_taxonomy import (
    _inter_codes,
    acled_event_types,
    acled_targets,
)
from routerisk.incidents.filters import BBox
from routerisk.incidents.schema import (
    Incident,
    validate_records,
)

logger = logging.getLogger(__name__)


#: ACLED ``time_precision`` code → date precision.
ACLED_TIME_PRECISION: dict[str, str] = {"1": "day", "2": "week", "3": "month"}


#: ACLED ``geo_precision`` code → location precision (radius, km): 1 the town's own
#: coordinates; 2 "near" a town or part of a district, placed at a nearby town; 3 only the
#: district/province is known, placed at its centroid.
ACLED_GEO_PRECISION_KM: dict[str, float] = {"1": 2.0, "2": 25.0, "3": 75.0}


_ACLED_REQUIRED = ("event_id_cnty", "event_date", "sub_event_type", "latitude", "longitude")


#: The ACLED columns the reader uses (the others of a CSV file are not kept in memory).
_ACLED_READ = (*_ACLED_REQUIRED, "event_type", "actor1", "assoc_actor_1", "inter1", "actor2",
               "assoc_actor_2", "inter2", "notes", "location", "fatalities", "time_precision",
               "geo_precision", "data_id", "iso3", "country")


_ACLED_EVENT_COLUMNS = ("event_date", "event_type", "sub_event_type", "latitude", "longitude",
                        "location", "fatalities", "time_precision", "geo_precision")


#: Incident field → ACLED column, for messages.
_ACLED_COLUMN_OF = {"incident_id": "event_id_cnty", "date": "event_date",
                    "date_precision": "time_precision", "latitude": "latitude",
                    "longitude": "longitude", "location_precision_km": "geo_precision",
                    "place": "location", "event_type": "sub_event_type", "actor": "actor1",
                    "fatalities": "fatalities", "notes": "notes", "country": "iso3"}


def _acled_dates(values: pd.Series) -> pd.Series:
    """ISO dates as strings; unparseable values are kept as given (validation reports them).

    Accepts ``YYYY-MM-DD`` and ACLED's export-tool spellings ``31 December 2020`` and
    ``31-December-2020``.
    """
    out = pd.Series(values, dtype=object).copy()
    todo = np.ones(len(values), dtype=bool)
    for fmt in ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d %b %Y", "%d-%b-%Y"):
        parsed = pd.to_datetime(values.where(todo), format=fmt, errors="coerce")
        ok = parsed.notna().to_numpy() & todo
        out[ok] = parsed[ok].dt.strftime("%Y-%m-%d")
        todo &= ~ok
        if not todo.any():
            break
    return out


def _collapse_actor_rows(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str], int]:
    """One row per ``event_id_cnty`` from ACLED's one-row-per-actor (monadic) layout.

    The first row of an event gives ``actor1``/``assoc_actor_1``/``inter1``; the others,
    in file order, give ``actor2``/``assoc_actor_2``/``inter2`` (joined by "; " when an event
    has more than two actors). Event columns must agree across an event's rows.
    """
    problems = []
    df = df.copy()
    df["_row"] = df.index.to_numpy()
    groups = df.groupby("event_id_cnty", sort=False)
    check = [c for c in _ACLED_EVENT_COLUMNS if c in df.columns]
    nunique = groups[check].nunique()
    for event_id, row in nunique.iterrows():
        for col in check:
            if row[col] > 1 and event_id != "":
                rows = groups.get_group(event_id)
                shown = ", ".join(str(i + 1) for i in rows["_row"][:10])
                values = " vs ".join(repr(v)[:40] for v in pd.unique(rows[col])[:3])
                problems.append(f"rows {shown}, '{col}': the rows of event {event_id!r} "
                                f"disagree ({values}); one-row-per-actor files repeat the "
                                f"event's columns on every actor row")
    first = groups.head(1).set_index("event_id_cnty")
    rest = df[df.duplicated("event_id_cnty", keep="first")]
    others = rest.groupby("event_id_cnty", sort=False).agg({
        "actor1": lambda s: "; ".join(v for v in s if v),
        "assoc_actor_1": lambda s: "; ".join(v for v in s if v),
        "inter1": "first"}) if len(rest) else pd.DataFrame(
            columns=["actor1", "assoc_actor_1", "inter1"])
    others = others.rename(columns={"actor1": "actor2", "assoc_actor_1": "assoc_actor_2",
                                    "inter1": "inter2"})
    out = first.join(others, how="left").reset_index()
    for col in ("actor2", "assoc_actor_2", "inter2"):
        out[col] = out[col].fillna("")
    return out, problems, len(df) - len(out)


@_cached
def read_acled(path: str | os.PathLike[str], *, violent_only: bool = False,
               bbox: BBox | None = None, encoding: str = "utf-8",
               check_swapped: bool = True) -> gpd.GeoDataFrame:
    """Read an ACLED CSV export (one row per event, or one row per actor).

    One-row-per-actor files (no ``actor2`` column; the event id repeated on each actor's
    row) are collapsed to one row per ``event_id_cnty``. Mapping (see ``docs/incidents.md``):
    ``sub_event_type`` → :class:`~routerisk.incidents.schema.EventType` via
    :data:`ACLED_SUB_EVENT_TYPES`, refined by ``notes`` (:func:`acled_event_types`); target
    from ``notes`` and the second actor (:func:`acled_targets`); ``time_precision`` 1/2/3 →
    day/week/month; ``geo_precision`` 1/2/3 → 2/25/75 km; ``incident_id`` ``"ACLED-<event id>"``,
    ``source`` ``"ACLED"``, ``source_ref`` ``"<event_id_cnty> (data_id <data_id>)"``, ``actor``
    the first actor (with its associates), ``country`` the ISO3 code.

    Parameters
    ----------
    path
        The CSV export.
    violent_only
        Keep only violent event types (protests, riots, looting and strategic developments
        are dropped and counted).
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)``; rows outside are dropped and counted.
    encoding
        Text encoding of the file.
    check_swapped
        Report rows whose latitude and longitude look swapped.

    Returns
    -------
    geopandas.GeoDataFrame
        ``INCIDENT_COLUMNS`` + ``geometry`` (EPSG:4326); ``attrs`` holds ``filtered``,
        ``layout`` and ``actor_rows_collapsed``.
    """
    p = _check_file(path)
    df, hxl = _read_rows(p, encoding, columns=_ACLED_READ)
    _require(df, _ACLED_REQUIRED, p, "ACLED")
    incidents, problems, info = acled_incidents(df, check_swapped=check_swapped)
    return _finish(incidents, problems, p, fmt="acled", violent_only=violent_only, bbox=bbox,
                   study_region=check_swapped, rows_read=len(df),
                   extra={**info, "hxl_rows_skipped": hxl})


def acled_incidents(df: pd.DataFrame, *, check_swapped: bool = True,
                    ) -> tuple[list[Incident], list[str], dict]:
    """Classify ACLED rows (a file's or the API's) into validated incidents.

    Parameters
    ----------
    df
        One row per event or per actor, every cell a string ("" when empty), as
        :func:`routerisk.incidents._files._read_rows` or
        :func:`~routerisk.incidents._files.records_frame` give; the index numbers the rows
        (0 is "row 1").
    check_swapped
        Report rows whose latitude and longitude look swapped.

    Returns
    -------
    (incidents, problems, info)
        The valid incidents, one message per invalid row, and ``{"layout": ...,
        "actor_rows_collapsed": n}``.
    """
    df = df.copy()
    for col in ("event_type", "actor1", "assoc_actor_1", "inter1", "notes", "location",
                "fatalities", "time_precision", "geo_precision", "data_id", "iso3", "country"):
        if col not in df.columns:
            df[col] = ""
    per_actor = "actor2" not in df.columns and "inter2" not in df.columns
    problems: list[str] = []
    collapsed = 0
    if per_actor:
        df, problems, collapsed = _collapse_actor_rows(df)
        rows = [f"row {i + 1}" for i in df["_row"]]
    else:
        problems = _duplicates(df["event_id_cnty"], "event_id_cnty")
        rows = _row_names(df.index)
    for col in ("actor2", "assoc_actor_2", "inter2"):
        if col not in df.columns:
            df[col] = ""
    inter2 = _inter_codes(df["inter2"])
    tp = df["time_precision"].replace("", "1").str.replace(r"\.0$", "", regex=True)
    gp = df["geo_precision"].replace("", "1").str.replace(r"\.0$", "", regex=True)
    for col, codes, values in (("time_precision", ACLED_TIME_PRECISION, tp),
                               ("geo_precision", ACLED_GEO_PRECISION_KM, gp)):
        bad = ~values.isin(list(codes))
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(f"{rows[i]}, '{col}': must be 1, 2 or 3; got {values.iloc[i]!r}")
    event_type = acled_event_types(df["sub_event_type"], df["event_type"], df["notes"])
    target = acled_targets(df["notes"], inter2, df["actor2"], df["assoc_actor_2"], event_type)
    actor = df["actor1"].where(df["assoc_actor_1"] == "",
                               df["actor1"] + " (with " + df["assoc_actor_1"] + ")")
    country = df["iso3"].where(df["iso3"] != "",
                               df["country"].map(lambda c: COUNTRY_ISO3.get(normalize_name(c),
                                                                            c)))
    ref = df["event_id_cnty"].where(df["data_id"] == "",
                                    df["event_id_cnty"] + " (data_id " + df["data_id"] + ")")
    fields = pd.DataFrame({
        "incident_id": ("ACLED-" + df["event_id_cnty"]).where(df["event_id_cnty"] != "", ""),
        "date": _acled_dates(df["event_date"]),
        "date_precision": tp.map(ACLED_TIME_PRECISION),
        "latitude": df["latitude"], "longitude": df["longitude"],
        "location_precision_km": gp.map(ACLED_GEO_PRECISION_KM),
        "place": df["location"], "country": country,
        "event_type": event_type, "target": target, "actor": actor,
        "fatalities": df["fatalities"], "source": "ACLED", "source_ref": ref,
        "notes": df["notes"],
    })
    records = fields.astype(object).where(fields.notna(), None).to_dict("records")
    incidents, more = validate_records(records, rows=rows, columns=_ACLED_COLUMN_OF,
                                       check_swapped=check_swapped)
    return incidents, problems + more, {
        "layout": "one row per actor" if per_actor else "one row per event",
        "actor_rows_collapsed": collapsed}

