"""UCDP GED files (full and reduced columns): violence types, precision codes and
:func:`read_ucdp`."""

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
from routerisk.incidents.acled_taxonomy import ET, TG
from routerisk.incidents.filters import BBox
from routerisk.incidents.schema import Incident, validate_records

logger = logging.getLogger(__name__)


#: UCDP ``type_of_violence`` → (event type, target).
UCDP_VIOLENCE: dict[str, tuple[str, str]] = {
    "1": (ET.CLASH.value, TG.MILITARY.value),          # state-based
    "2": (ET.CLASH.value, TG.UNKNOWN.value),           # non-state
    "3": (ET.VIOLENCE_AGAINST_CIVILIANS.value, TG.CIVILIANS.value),  # one-sided
}


#: UCDP ``where_prec`` → location precision (radius, km): 1 exact place; 2 within 25 km;
#: 3 second-order administrative division; 4 first-order division; 5 a linear feature or
#: "somewhere in" a larger area; 6 the country; 7 international waters or airspace.
UCDP_WHERE_PREC_KM: dict[str, float] = {"1": 2.0, "2": 25.0, "3": 50.0, "4": 150.0,
                                        "5": 100.0, "6": 500.0, "7": 1000.0}


#: UCDP ``date_prec`` → date precision: 1 exact day; 2 within 2–6 days; 3 within a week;
#: 4 within a month; 5 more than a month, within the year.
UCDP_DATE_PREC: dict[str, str] = {"1": "day", "2": "week", "3": "week", "4": "month",
                                  "5": "year"}


#: Precision assumed for the reduced UCDP sample, which drops where_prec and date_prec.
UCDP_SAMPLE_PRECISION_KM = 25.0


_UCDP_COLUMN_OF = {"incident_id": "id", "date": "date_start", "latitude": "latitude",
                   "longitude": "longitude", "event_type": "type_of_violence",
                   "fatalities": "best", "location_precision_km": "where_prec",
                   "date_precision": "date_prec"}


@_cached
def read_ucdp(path: str | os.PathLike[str], *, violent_only: bool = False,
              bbox: BBox | None = None, encoding: str = "utf-8",
              check_swapped: bool = True) -> gpd.GeoDataFrame:
    """Read a UCDP GED CSV: the full column set, or the reduced sample.

    Full files have ``date_start``, ``where_prec``, ``date_prec``, ``side_a``, ``side_b``,
    ``where_coordinates``, ``country``, ``best``, ...; the reduced sample has ``id,
    conflict_id, latitude, longitude, date, type_of_violence, best, civilian_deaths,
    combatant_deaths, country, region``. Mapping: ``type_of_violence`` 1 (state-based) and 2
    (non-state) → clash, 3 (one-sided) → violence against civilians; ``where_prec`` → km
    (:data:`UCDP_WHERE_PREC_KM`); ``date_prec`` → date precision (:data:`UCDP_DATE_PREC`);
    without them (sample) the date is taken as exact and the location as within
    :data:`UCDP_SAMPLE_PRECISION_KM`. ``fatalities`` = ``best``.
    """
    p = _check_file(path)
    df, hxl = _read_rows(p, encoding)
    date_col = "date_start" if "date_start" in df.columns else "date"
    _require(df, ("id", date_col, "latitude", "longitude", "type_of_violence"), p, "UCDP GED")
    incidents, problems, info = ucdp_incidents(df, check_swapped=check_swapped)
    return _finish(incidents, problems, p, fmt="ucdp", violent_only=violent_only, bbox=bbox,
                   study_region=check_swapped, rows_read=len(df),
                   extra={**info, "hxl_rows_skipped": hxl})


def ucdp_incidents(df: pd.DataFrame, *, check_swapped: bool = True,
                   ) -> tuple[list[Incident], list[str], dict]:
    """Classify UCDP GED rows (a file's or the API's) into validated incidents.

    Parameters
    ----------
    df
        GED rows, every cell a string ("" when empty); the index numbers the rows.
    check_swapped
        Report rows whose latitude and longitude look swapped.

    Returns
    -------
    (incidents, problems, info)
        The valid incidents, one message per invalid row, and ``{"layout": ...}``.
    """
    df = df.copy()
    date_col = "date_start" if "date_start" in df.columns else "date"
    full = "date_start" in df.columns
    for col in ("relid", "where_prec", "date_prec", "side_a", "side_b", "where_coordinates",
                "adm_1", "country", "best", "source_headline", "where_description",
                "conflict_new_id", "conflict_id"):
        if col not in df.columns:
            df[col] = ""
    rows = _row_names(df.index)
    problems = _duplicates(df["id"], "id")
    tov = df["type_of_violence"].str.replace(r"\.0$", "", regex=True)
    wp = df["where_prec"].str.replace(r"\.0$", "", regex=True)
    dp = df["date_prec"].str.replace(r"\.0$", "", regex=True)
    for col, codes, values in (("type_of_violence", UCDP_VIOLENCE, tov),
                               ("where_prec", UCDP_WHERE_PREC_KM, wp),
                               ("date_prec", UCDP_DATE_PREC, dp)):
        bad = ~values.isin(list(codes)) & ((values != "") | (col == "type_of_violence"))
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(f"{rows[i]}, '{col}': must be one of "
                            f"{', '.join(codes)}; got {values.iloc[i]!r}")
    kinds = tov.map(lambda v: UCDP_VIOLENCE.get(v, ("", ""))[0])
    targets = tov.map(lambda v: UCDP_VIOLENCE.get(v, ("", ""))[1])
    actor = (df["side_a"] + " vs " + df["side_b"]).where(df["side_b"] != "", df["side_a"])
    ref = df["id"].where(df["relid"] == "", df["id"] + " (relid " + df["relid"] + ")")
    conflict = df["conflict_new_id"].where(df["conflict_new_id"] != "", df["conflict_id"])
    notes = df["source_headline"].where(df["source_headline"] != "", df["where_description"])
    notes = notes.where(conflict == "", notes + (notes != "").map({True: "; ", False: ""})
                        + "UCDP conflict " + conflict)
    fields = pd.DataFrame({
        "incident_id": ("UCDP-" + df["id"]).where(df["id"] != "", ""),
        "date": df[date_col].str.slice(0, 10),
        "date_precision": dp.map(UCDP_DATE_PREC).fillna("day"),
        "latitude": df["latitude"], "longitude": df["longitude"],
        "location_precision_km": wp.map(UCDP_WHERE_PREC_KM).fillna(UCDP_SAMPLE_PRECISION_KM),
        "place": df["where_coordinates"].str.slice(0, 200),
        "country": df["country"].map(lambda c: COUNTRY_ISO3.get(normalize_name(c), c)),
        "event_type": kinds.where(kinds != "", tov), "target": targets.where(targets != "",
                                                                           None),
        "actor": actor, "fatalities": df["best"], "source": "UCDP GED", "source_ref": ref,
        "notes": notes,
    })
    records = fields.astype(object).where(fields.notna(), None).to_dict("records")
    cols = dict(_UCDP_COLUMN_OF, date=date_col)
    incidents, more = validate_records(records, rows=rows, columns=cols,
                                       check_swapped=check_swapped)
    return incidents, problems + more, {"layout": "full" if full else "reduced sample"}
