"""Named road corridors: ordered waypoints and a buffer width, validated with pydantic.

The corridors live in ``networks/corridors.toml``: each ``[[corridor]]`` has a ``name``,
``buffer_km``, ``description`` and ordered ``[[corridor.waypoints]]`` (``name``, ``role``:
port / border_post / town, ``country`` ISO3, ``lat``, ``lon`` and where the coordinate came
from in the OSM gazetteer: ``gazetteer``, ``gazetteer_country``, ``osm_node_id``, ``note``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from shapely.geometry import LineString, Polygon

from routerisk.config import package_file, read_toml
from routerisk.errors import DataNotFoundError, SpecError, UnknownNameError, pydantic_problems
from routerisk.geo.projection import to_km_geometry, to_lonlat_geometry

#: The project's corridor file.
CORRIDORS_FILE = package_file("corridors.toml")


Role = Literal["port", "border_post", "town"]


class Waypoint(BaseModel):
    """One place a corridor passes through, in order.

    Attributes
    ----------
    name : str
        Display name (the town the article or the analyst names).
    lat, lon : float
        WGS84 degrees.
    role : {"port", "border_post", "town"}
    country : str
        ISO3 code of the country the place is in.
    gazetteer, gazetteer_country, osm_node_id, note
        Provenance of the coordinate in the OSM gazetteer (optional).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    role: Role = "town"
    country: str = Field(pattern=r"^[A-Z]{3}$")
    gazetteer: str | None = None
    gazetteer_country: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    osm_node_id: int | None = None
    note: str | None = None


class Corridor(BaseModel):
    """A named corridor: ordered waypoints and a buffer width around the line joining them.

    Attributes
    ----------
    name : str
        Lower-case identifier such as ``"dakar-kayes-bamako"``.
    buffer_km : float
        Half-width of the corridor around the waypoint polyline, in km.
    waypoints : list of Waypoint
        At least two, first = origin, last = destination.
    description : str
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    buffer_km: float = Field(gt=0, le=500)
    waypoints: list[Waypoint] = Field(min_length=2)
    description: str = ""

    @field_validator("waypoints")
    @classmethod
    def _distinct_neighbours(cls, waypoints: list[Waypoint]) -> list[Waypoint]:
        for a, b in zip(waypoints[:-1], waypoints[1:], strict=True):
            if (a.lat, a.lon) == (b.lat, b.lon):
                raise ValueError(f"waypoints '{a.name}' and '{b.name}' are at the same point")
        return waypoints

    @model_validator(mode="after")
    def _ends_differ(self) -> Corridor:
        first, last = self.waypoints[0], self.waypoints[-1]
        if (first.lat, first.lon) == (last.lat, last.lon):
            raise ValueError("the first and last waypoints must differ")
        return self

    @property
    def origin(self) -> Waypoint:
        """The first waypoint."""
        return self.waypoints[0]

    @property
    def destination(self) -> Waypoint:
        """The last waypoint."""
        return self.waypoints[-1]

    def line(self) -> LineString:
        """The waypoint polyline (lon, lat) in EPSG:4326."""
        return LineString([(w.lon, w.lat) for w in self.waypoints])

    def spec_key(self) -> str:
        """A stable text form of the whole spec (used in cache keys)."""
        return self.model_dump_json()


def _describe(errors: list[dict], raw: dict, where: str) -> list[str]:
    """Pydantic errors as messages naming the corridor, the waypoint and the field."""
    def waypoint(loc: list) -> tuple[str, list]:
        if len(loc) >= 2 and loc[0] == "waypoints" and isinstance(loc[1], int):
            i, wps = loc[1], raw.get("waypoints") or []
            name = wps[i].get("name", "?") if i < len(wps) and isinstance(wps[i], dict) else "?"
            return f"waypoint {i + 1} '{name}'", loc[2:]
        return "", loc

    return pydantic_problems(errors, where=where, label=waypoint)


def parse_corridors(data: dict, source: str = "<corridors>") -> dict[str, Corridor]:
    """Validate the parsed TOML of a corridor file; collect every problem.

    Raises
    ------
    SpecError
        Listing every problem, each naming the corridor, the waypoint and the field.
    """
    entries = data.get("corridor")
    if not isinstance(entries, list) or not entries:
        raise SpecError(f"{source}: no [[corridor]] tables found")
    problems: list[str] = []
    found: dict[str, Corridor] = {}
    for n, raw in enumerate(entries, start=1):
        name = raw.get("name", f"#{n}") if isinstance(raw, dict) else f"#{n}"
        where = f"corridor '{name}'"
        try:
            corridor = Corridor.model_validate(raw)
        except pydantic.ValidationError as exc:
            problems += _describe(exc.errors(), raw if isinstance(raw, dict) else {}, where)
            continue
        if corridor.name in found:
            problems.append(f"{where}: defined twice")
            continue
        found[corridor.name] = corridor
    if problems:
        raise SpecError(f"{source}: {len(problems)} problem(s): " + "; ".join(problems))
    return found


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int) -> dict[str, Corridor]:
    return parse_corridors(read_toml(path, what="corridor file"), path)


def load_corridors(path: str | os.PathLike[str] | None = None) -> dict[str, Corridor]:
    """Load and validate a corridor file (default ``networks/corridors.toml``).

    Returns
    -------
    dict
        Corridor name → :class:`Corridor`, in file order.

    Raises
    ------
    DataNotFoundError
        When the file does not exist.
    SpecError
        When it is not valid TOML or any corridor is invalid (every problem listed).
    """
    p = Path(path) if path is not None else CORRIDORS_FILE
    if not p.is_file():
        raise DataNotFoundError(f"corridor file not found: {p}")
    return dict(_load(str(p.resolve()), p.stat().st_mtime_ns))


def get_corridor(name: str | Corridor, path: str | os.PathLike[str] | None = None) -> Corridor:
    """The corridor called ``name`` (a :class:`Corridor` is passed through unchanged).

    Raises
    ------
    UnknownNameError
        When there is no such corridor; the message lists the available ones.
    """
    if isinstance(name, Corridor):
        return name
    corridors = load_corridors(path)
    key = str(name).strip().lower()
    if key not in corridors:
        raise UnknownNameError(f"unknown corridor '{name}'; available: "
                               + ", ".join(corridors))
    return corridors[key]


def corridor_polygon(corridor: Corridor | str, buffer_km: float | None = None) -> Polygon:
    """The corridor buffer in EPSG:4326: ``buffer_km`` around the waypoint polyline.

    The buffer is drawn in the study projection (:mod:`routerisk.geo.projection`), so its
    width is in kilometres to within about 1 %.
    """
    c = get_corridor(corridor)
    width_km = c.buffer_km if buffer_km is None else float(buffer_km)
    if not width_km > 0:
        raise SpecError(f"buffer_km must be positive; got {buffer_km!r}")
    ring = to_km_geometry(c.line()).buffer(width_km, quad_segs=16)
    return to_lonlat_geometry(ring)



