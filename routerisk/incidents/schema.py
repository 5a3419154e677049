"""The incident schema: one validated record per violent incident, and the frame layout.

Every reader (curated catalogue, ACLED, UCDP, routerisk CSV/GeoJSON) produces a
GeoDataFrame with exactly :data:`INCIDENT_COLUMNS` plus ``geometry`` (points, EPSG:4326),
one row per validated :class:`Incident`. Later stages (hazard model, scenarios, reports)
rely on this layout only."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from routerisk.config import STUDY_BBOX
from routerisk.errors import expected

if TYPE_CHECKING:
    import geopandas as gpd


class EventType(str, Enum):
    """Event taxonomy fitted to road disruption (documented in ``incidents/README.md``)."""

    CONVOY_AMBUSH = "convoy_ambush"          #: ambush of a convoy or vehicle on the road
    ATTACK_ON_TOWN = "attack_on_town"        #: attack on a town, camp or military position
    BLOCKADE = "blockade"                    #: blockade or siege declared or enforced
    IED = "ied"                              #: IED, mine, or other remote explosive
    KIDNAPPING = "kidnapping"                #: abduction, notably on the road
    CHECKPOINT = "checkpoint"                #: illegal checkpoint, extortion on the road
    CLASH = "clash"                          #: armed clash between armed groups or forces
    VIOLENCE_AGAINST_CIVILIANS = "violence_against_civilians"
    LOOTING = "looting"                      #: looting or destruction of property
    PROTEST = "protest"                      #: protest or riot (not violent disruption)
    STRATEGIC = "strategic"                  #: strategic development (declaration, ban, ...)


class Target(str, Enum):
    """What was hit."""

    FUEL_TANKER = "fuel_tanker"
    CONVOY = "convoy"                        #: commercial or mixed convoy, trucks
    PASSENGER_TRANSPORT = "passenger_transport"
    MILITARY = "military"                    #: army, police, peacekeepers, their positions
    CIVILIANS = "civilians"
    MINE_OR_COMPANY = "mine_or_company"      #: mine, factory, company site or staff
    GOVERNMENT = "government"                #: officials, administration
    TOWN = "town"                            #: a town as a whole (siege, blockade)
    UNKNOWN = "unknown"


class DatePrecision(str, Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


#: Event types that count as violent road disruption (backtest labels, default filter).
VIOLENT_TYPES: frozenset[str] = frozenset({
    EventType.CONVOY_AMBUSH.value, EventType.ATTACK_ON_TOWN.value, EventType.BLOCKADE.value,
    EventType.IED.value, EventType.KIDNAPPING.value, EventType.CHECKPOINT.value,
    EventType.CLASH.value, EventType.VIOLENCE_AGAINST_CIVILIANS.value,
})


#: Event types that close a road or a town rather than hit a point: scenario material.
CLOSURE_TYPES: frozenset[str] = frozenset({EventType.BLOCKADE.value})


#: Longest accepted ``place`` / ``country`` (characters).
MAX_SHORT_TEXT = 200


#: Longest accepted ``actor`` / ``source`` / ``source_ref`` (characters).
MAX_TEXT = 5_000


#: Longest accepted ``notes`` (characters); ACLED's longest note is about 800.
MAX_NOTES = 20_000




class Incident(BaseModel):
    """One incident, validated.

    Coordinates are WGS84 degrees. ``location_precision_km`` is the radius within which the
    true location lies (a town: ~2 km; "100 km east of Kayes": ~50 km; a region: 100+ km).
    ``closure_radius_km`` is set only for closures (blockades, sieges, bans tied to a place):
    the radius around the place whose roads the closure cuts. ``country`` is an ISO 3166-1
    alpha-3 code (``"MLI"``) where the reader knows it. ``source`` names the document or
    data set (``"ACLED"``, ``"UCDP GED"``, ``"seeds/000_....md"``); ``source_ref`` points
    inside it (a row id, or a verbatim quote). Text fields have length limits
    (:data:`MAX_SHORT_TEXT`, :data:`MAX_TEXT`, :data:`MAX_NOTES`) so a corrupt file with a
    runaway field is reported rather than carried along.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True,
                              validate_default=True)

    incident_id: str = Field(min_length=1, max_length=200)
    date: dt.date
    date_precision: DatePrecision = DatePrecision.DAY
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    location_precision_km: float = Field(default=2.0, gt=0, le=1000, allow_inf_nan=False)
    place: str = Field(default="", max_length=MAX_SHORT_TEXT)
    country: str = Field(default="", max_length=MAX_SHORT_TEXT)
    event_type: EventType
    target: Target = Target.UNKNOWN
    actor: str = Field(default="", max_length=MAX_TEXT)
    fatalities: int | None = Field(default=None, ge=0)
    vehicles_destroyed: int | None = Field(default=None, ge=0)
    closure_radius_km: float | None = Field(default=None, gt=0, le=500, allow_inf_nan=False)
    source: str = Field(min_length=1, max_length=MAX_TEXT)
    source_ref: str = Field(default="", max_length=MAX_TEXT)
    notes: str = Field(default="", max_length=MAX_NOTES)

    @field_validator("date")
    @classmethod
    def _not_future(cls, value: dt.date) -> dt.date:
        if value > dt.date.today():
            raise ValueError(f"date {value.isoformat()} is in the future")
        if value.year < 1900:
            raise ValueError(f"date {value.isoformat()} is before 1900")
        return value

    @model_validator(mode="after")
    def _closure_only_for_closures(self) -> Incident:
        if self.closure_radius_km is not None and self.event_type not in CLOSURE_TYPES:
            raise ValueError("closure_radius_km is only for closure event types "
                             f"({', '.join(sorted(CLOSURE_TYPES))})")
        return self


#: Columns of an incident frame, in order (plus ``geometry``).
INCIDENT_COLUMNS: tuple[str, ...] = tuple(Incident.model_fields)


def incidents_to_frame(incidents: list[Incident]) -> gpd.GeoDataFrame:
    """Turn validated incidents into the standard GeoDataFrame (EPSG:4326).

    ``date`` becomes ``datetime64[ns]``; ``fatalities`` and ``vehicles_destroyed`` are
    nullable integers; the index is a plain RangeIndex.
    """
    records = [i.model_dump() for i in incidents]
    df = pd.DataFrame.from_records(records, columns=list(INCIDENT_COLUMNS))
    return _typed_frame(df)


def frame_from_records(records: list[dict]) -> gpd.GeoDataFrame:
    """The standard frame from records that were validated before (e.g. the incident
    store's ``Incident.model_dump(mode="json")`` rows); no validation is repeated."""
    if not records:
        return empty_incident_frame()
    return _typed_frame(pd.DataFrame.from_records(records, columns=list(INCIDENT_COLUMNS)))


def empty_incident_frame() -> gpd.GeoDataFrame:
    """An incident frame with no rows but the standard columns and dtypes."""
    return _typed_frame(pd.DataFrame(columns=list(INCIDENT_COLUMNS)))


def _typed_frame(df: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd  # only when frames are built (a saved model needs none)

    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[ns]")
    for col in ("latitude", "longitude", "location_precision_km", "closure_radius_km"):
        df[col] = pd.to_numeric(df[col]).astype(float)
    for col in ("fatalities", "vehicles_destroyed"):
        df[col] = pd.array(df[col].astype(object).where(df[col].notna(), None), dtype="Int64")
    for col in ("incident_id", "date_precision", "place", "country", "event_type", "target",
                "actor", "source", "source_ref", "notes"):
        df[col] = df[col].astype(object)
    return gpd.GeoDataFrame(
        df, geometry=gpd.points_from_xy(df["longitude"], df["latitude"]), crs="EPSG:4326")


def _bounds(field: str) -> tuple[float | None, float | None, bool, bool]:
    """(lower, upper, lower_inclusive, upper_inclusive) declared on an Incident field."""
    lo = hi = None
    lo_incl = hi_incl = True
    info = Incident.model_fields.get(field)
    for meta in getattr(info, "metadata", []):
        for attr, is_lo, incl in (("ge", True, True), ("gt", True, False),
                                  ("le", False, True), ("lt", False, False)):
            value = getattr(meta, attr, None)
            if value is not None:
                if is_lo:
                    lo, lo_incl = value, incl
                else:
                    hi, hi_incl = value, incl
    return lo, hi, lo_incl, hi_incl


def describe_error(err: dict, *, columns: dict[str, str] | None = None) -> tuple[str, str]:
    """Turn one pydantic error of :class:`Incident` into ``(column, what was expected)``.

    Parameters
    ----------
    err
        One item of ``pydantic.ValidationError.errors()``.
    columns
        Map from Incident field to the column name of the file being read (e.g. ACLED's
        ``event_date`` for ``date``), so messages name the column the user sees.
    """
    loc = err.get("loc") or ()
    field = str(loc[0]) if loc else ""
    if not field and err.get("type") == "value_error" and "closure_radius_km" in err.get("msg", ""):
        field = "closure_radius_km"
    column = (columns or {}).get(field, field) or "row"
    if err.get("type") == "extra_forbidden":
        return column, f"unknown field; expected one of {', '.join(INCIDENT_COLUMNS)}"
    return column, expected(err, bounds=_bounds(field))


def _swapped(lat: object, lon: object) -> bool:
    """True when (lat, lon) lies outside :data:`STUDY_BBOX` but (lon, lat) inside."""
    try:
        la, lo = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    x0, y0, x1, y1 = STUDY_BBOX

    def inside(y: float, x: float) -> bool:
        return y0 <= y <= y1 and x0 <= x <= x1

    return not inside(la, lo) and inside(lo, la)


def validate_records(records: list[dict], *, rows: list[str] | None = None,
                     columns: dict[str, str] | None = None,
                     check_swapped: bool = True) -> tuple[list[Incident], list[str]]:
    """Validate many incident records with :class:`Incident`; collect every problem.

    Parameters
    ----------
    records
        One dict per incident (Incident field → value, as read; empty strings and ``None``
        mean "not given").
    rows
        How to name each record in messages (e.g. ``"row 17"``); default ``"row i"`` from 1.
    columns
        Map from Incident field to the file's column name, used in messages.
    check_swapped
        Report rows whose latitude/longitude look swapped: outside :data:`STUDY_BBOX` as
        given, inside it when swapped.

    Returns
    -------
    (incidents, problems)
        The valid incidents (in input order) and one message per problem, of the form
        ``"row 17, 'latitude': must be between -90 and 90; got 123.4"``.
    """
    from pydantic import ValidationError as PydanticError

    names = rows or [f"row {i}" for i in range(1, len(records) + 1)]
    cols = columns or {}
    out: list[Incident] = []
    problems: list[str] = []
    for name, rec in zip(names, records, strict=True):
        clean = {k: v for k, v in rec.items() if v is not None and not (
            isinstance(v, str) and not v.strip()) and not (isinstance(v, float) and v != v)}
        swapped = check_swapped and _swapped(clean.get("latitude"), clean.get("longitude"))
        if swapped:
            problems.append(
                f"{name}, '{cols.get('latitude', 'latitude')}'/"
                f"'{cols.get('longitude', 'longitude')}': latitude and longitude look "
                f"swapped (latitude {clean['latitude']}, longitude {clean['longitude']} is "
                f"outside the study area, the swapped point is inside it); swap the columns")
            # check the rest of the row too, with the coordinates swapped back
            clean["latitude"], clean["longitude"] = clean["longitude"], clean["latitude"]
        try:
            incident = Incident.model_validate(clean)
            if not swapped:
                out.append(incident)
        except PydanticError as exc:
            for err in exc.errors(include_url=False):
                column, what = describe_error(err, columns=cols)
                problems.append(f"{name}, '{column}': {what}")
    return out, problems

