"""The incident schema: one validated record per violent incident, and the frame layout.

Every reader (curated catalogue, ACLED, UCDP, routerisk CSV/GeoJSON) produces a
GeoDataFrame with exactly :data:`INCIDENT_COLUMNS` plus ``geometry`` (points, EPSG:4326),
one row per validated :class:`Incident`. Later stages (hazard model, scenarios, reports)
rely on this layout only.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

import geopandas as gpd
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


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


class Incident(BaseModel):
    """One incident, validated.

    Coordinates are WGS84 degrees. ``location_precision_km`` is the radius within which the
    true location lies (a town: ~2 km; "100 km east of Kayes": ~50 km; a region: 100+ km).
    ``closure_radius_km`` is set only for closures (blockades, sieges, bans tied to a place):
    the radius around the place whose roads the closure cuts.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)

    incident_id: str = Field(min_length=1)
    date: dt.date
    date_precision: DatePrecision = DatePrecision.DAY
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    location_precision_km: float = Field(default=2.0, gt=0, le=1000)
    place: str = ""
    country: str = ""
    event_type: EventType
    target: Target = Target.UNKNOWN
    actor: str = ""
    fatalities: int | None = Field(default=None, ge=0)
    vehicles_destroyed: int | None = Field(default=None, ge=0)
    closure_radius_km: float | None = Field(default=None, gt=0, le=500)
    source: str = Field(min_length=1)
    source_ref: str = ""
    notes: str = ""

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


def empty_incident_frame() -> gpd.GeoDataFrame:
    """An incident frame with no rows but the standard columns and dtypes."""
    return _typed_frame(pd.DataFrame(columns=list(INCIDENT_COLUMNS)))


def _typed_frame(df: pd.DataFrame) -> gpd.GeoDataFrame:
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
