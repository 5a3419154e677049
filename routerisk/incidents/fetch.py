"""What the API fetchers share: the query, its result, credentials and country codes.

The fetchers themselves are :func:`routerisk.incidents.acled_api.fetch_acled` and
:func:`routerisk.incidents.ucdp_api.fetch_ucdp`; both page through an API into the
:class:`~routerisk.incidents.store.IncidentStore`, one transaction per page.

Credentials come from environment variables, else from ``credentials.toml`` in
:func:`routerisk.config.user_data_dir` (``$ROUTERISK_CREDENTIALS`` names another file)::

    [acled]
    username = "me@example.org"     # or ACLED_USERNAME (ACLED_EMAIL)
    password = "..."                # or ACLED_PASSWORD
    # access_token = "..."          # or ACLED_ACCESS_TOKEN, instead of username/password
    [ucdp]
    access_token = "..."            # or UCDP_ACCESS_TOKEN

They are never taken from the command line and never logged or printed."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from routerisk.config import STUDY_BBOX, read_toml, user_data_dir
from routerisk.errors import SpecError

#: A bounding box (lon_min, lat_min, lon_max, lat_max) in WGS84 degrees.
BBox = tuple[float, float, float, float]

logger = logging.getLogger(__name__)

#: Environment variable naming the credentials file.
CREDENTIALS_ENV = "ROUTERISK_CREDENTIALS"
#: Environment variables for the base URLs (a mirror, or a local test server).
ACLED_URL_ENV = "ROUTERISK_ACLED_URL"
UCDP_URL_ENV = "ROUTERISK_UCDP_URL"
#: Default base URLs: ACLED's site (``/oauth/token``, ``/api/acled/read``,
#: ``/api/deleted/read``) and the UCDP API host (``/api/gedevents/<version>``).
ACLED_URL = "https://acleddata.com"
UCDP_URL = "https://ucdpapi.pcr.uu.se"

#: ISO3 → (ACLED country name, Gleditsch–Ward number UCDP filters by), for the region.
COUNTRIES: dict[str, tuple[str, int]] = {
    "MLI": ("Mali", 432), "BFA": ("Burkina Faso", 439), "NER": ("Niger", 436),
    "SEN": ("Senegal", 433), "MRT": ("Mauritania", 435), "GIN": ("Guinea", 438),
    "CIV": ("Ivory Coast", 437), "GNB": ("Guinea-Bissau", 404), "GMB": ("Gambia", 420),
    "SLE": ("Sierra Leone", 451), "LBR": ("Liberia", 450), "GHA": ("Ghana", 452),
    "TGO": ("Togo", 461), "BEN": ("Benin", 434), "NGA": ("Nigeria", 475),
    "DZA": ("Algeria", 615), "TCD": ("Chad", 483),
}

#: Default countries: Mali and every country a corridor leg of the project crosses.
DEFAULT_COUNTRIES: tuple[str, ...] = ("MLI", "BFA", "NER", "SEN", "MRT", "GIN", "CIV")


#: Default fetch and import area: the study area; rows outside are counted as filtered,
#: not stored.
DEFAULT_BBOX: BBox = STUDY_BBOX


def country_code(name: str) -> str:
    """ISO3 code for ``"MLI"``, ``"mli"`` or ``"Mali"``; SpecError for unknown names."""
    from routerisk.geo.gazetteer import normalize_name
    from routerisk.incidents._files import COUNTRY_ISO3

    code = name.strip().upper()
    if code in COUNTRIES:
        return code
    code = COUNTRY_ISO3.get(normalize_name(name), "")
    if code in COUNTRIES:
        return code
    raise SpecError(f"unknown country {name!r}; expected an ISO3 code or name, one of "
                    f"{', '.join(COUNTRIES)}")


@dataclass(frozen=True)
class FetchQuery:
    """What to fetch: source, countries (ISO3), area, date range, and UCDP version.

    ``end`` ``None`` means "up to today"; such a query is the one an incremental fetch
    continues. The query's :meth:`key` names its cursor and coverage in the store.
    """

    source: str
    countries: tuple[str, ...] = DEFAULT_COUNTRIES
    bbox: BBox | None = None
    start: dt.date = dt.date(1997, 1, 1)
    end: dt.date | None = None
    version: str | None = None

    def key(self) -> str:
        d = asdict(self)
        d["countries"] = sorted(self.countries)
        d["bbox"] = None if self.bbox is None else [float(v) for v in self.bbox]
        d["start"] = self.start.isoformat()
        d["end"] = None if self.end is None else self.end.isoformat()
        return json.dumps(d, sort_keys=True)

    def end_or_today(self) -> dt.date:
        return self.end or dt.datetime.now(dt.timezone.utc).date()

    def inside(self, lon: float, lat: float) -> bool:
        if self.bbox is None:
            return True
        x0, y0, x1, y1 = self.bbox
        return x0 <= lon <= x1 and y0 <= lat <= y1


@dataclass
class FetchResult:
    """What one fetch did (counts are of this run; ``resumed`` when it continued an
    interrupted one)."""

    source: str
    query: str
    resumed: bool = False
    up_to_date: bool = False
    incremental: bool = False
    pages: int = 0
    rows: int = 0
    new: int = 0
    revised: int = 0
    unchanged: int = 0
    stale: int = 0
    deleted: int = 0
    filtered: dict[str, int] = field(default_factory=dict)
    invalid: int = 0
    problems: list[str] = field(default_factory=list)
    coverage: dict | None = None

    def count_filtered(self, reason: str, n: int = 1) -> None:
        if n:
            self.filtered[reason] = self.filtered.get(reason, 0) + n

    def as_dict(self) -> dict:
        d = asdict(self)
        d["query"] = json.loads(self.query)
        return d


#: A progress callback: called with one line of text after every page.
Progress = Callable[[str], None]


@dataclass(frozen=True, repr=False)
class Credentials:
    """Credentials for one source (``repr`` never shows them)."""

    username: str = ""
    password: str = ""
    access_token: str = ""
    origin: str = ""

    def __repr__(self) -> str:
        return f"Credentials(from {self.origin or 'nowhere'})"


def credentials_file() -> Path:
    """The credentials file: ``$ROUTERISK_CREDENTIALS`` or ``credentials.toml`` in the user
    data directory."""
    env = os.environ.get(CREDENTIALS_ENV)
    return Path(env).expanduser() if env else user_data_dir() / "credentials.toml"


def _from_file(section: str) -> tuple[dict, str]:
    p = credentials_file()
    if not p.is_file():
        return {}, ""
    mode = p.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        logger.warning("%s is readable by other users; chmod 600 it", p)
    doc = read_toml(p, what="credentials file")
    values = doc.get(section, {})
    if not isinstance(values, dict):
        raise SpecError(f"{p}: [{section}] must be a table")
    return {k: str(v) for k, v in values.items()}, str(p)


def acled_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    """ACLED credentials: ``ACLED_ACCESS_TOKEN``, or ``ACLED_USERNAME`` (or ``ACLED_EMAIL``)
    and ``ACLED_PASSWORD``; else the ``[acled]`` table of the credentials file."""
    env = os.environ if env is None else env
    user = env.get("ACLED_USERNAME") or env.get("ACLED_EMAIL") or ""
    if env.get("ACLED_ACCESS_TOKEN") or (user and env.get("ACLED_PASSWORD")):
        return Credentials(user, env.get("ACLED_PASSWORD", ""),
                           env.get("ACLED_ACCESS_TOKEN", ""), "environment")
    values, origin = _from_file("acled")
    return Credentials(values.get("username", values.get("email", "")),
                       values.get("password", ""), values.get("access_token", ""), origin)


def ucdp_credentials(env: Mapping[str, str] | None = None) -> Credentials:
    """UCDP API token: ``UCDP_ACCESS_TOKEN``, else ``[ucdp] access_token`` in the file."""
    env = os.environ if env is None else env
    if env.get("UCDP_ACCESS_TOKEN"):
        return Credentials(access_token=env["UCDP_ACCESS_TOKEN"], origin="environment")
    values, origin = _from_file("ucdp")
    return Credentials(access_token=values.get("access_token", ""), origin=origin)


def base_url(option: str | None, env_var: str, default: str) -> str:
    """A source's base URL: the option, else the environment variable, else the default."""
    return (option or os.environ.get(env_var) or default).rstrip("/")


def split_rows(rows: Sequence[dict], incidents: Sequence, id_column: str, prefix: str,
               query: FetchQuery, result: FetchResult) -> list[tuple[str, object, dict]]:
    """Pair each valid incident with its raw row; count rows outside the area as filtered
    and invalid rows as invalid. Returns ``(event_id, incident, raw)`` for rows to store."""
    raw_by_id = {str(r.get(id_column, "")).strip(): r for r in rows}
    out = []
    for inc in incidents:
        eid = inc.incident_id.removeprefix(f"{prefix}-")
        if not query.inside(inc.longitude, inc.latitude):
            result.count_filtered("outside bbox")
            continue
        out.append((eid, inc, raw_by_id.get(eid, {})))
    result.invalid += len(rows) - len(incidents)
    return out


_VERSION = re.compile(r"^(\d{2})\.(?:1|0\.(\d{1,2}))$")


def version_period(version: str) -> tuple[dt.date, dt.date]:
    """The period a GED version covers systematically, from UCDP's naming.

    ``YY.1`` — the annual GED: 1989-01-01 to 31 December 20YY-1. ``YY.0.M`` — a monthly
    Candidate release: the month M of 20YY.

    Raises
    ------
    SpecError
        For names of neither form.
    """
    m = _VERSION.match(version.strip())
    if not m:
        raise SpecError(f"UCDP version {version!r}: expected 'YY.1' (annual GED, e.g. 25.1) "
                        f"or 'YY.0.M' (monthly Candidate, e.g. 25.0.7)")
    year = 2000 + int(m.group(1))
    if m.group(2) is None:
        return dt.date(1989, 1, 1), dt.date(year - 1, 12, 31)
    month = int(m.group(2))
    if not 1 <= month <= 12:
        raise SpecError(f"UCDP version {version!r}: month {month} is not 1-12")
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
