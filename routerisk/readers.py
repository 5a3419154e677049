"""Read incident files into validated incident frames.

Every reader returns a GeoDataFrame with exactly :data:`routerisk.schema.INCIDENT_COLUMNS`
plus ``geometry`` (points, EPSG:4326), one row per validated
:class:`~routerisk.schema.Incident`, built by :func:`routerisk.schema.incidents_to_frame`.

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
Rows are numbered from 1, the header not counted (row 1 is the second line of a CSV file).
"""

from __future__ import annotations

import copy
import csv
import functools
import io
import json
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from routerisk._paths import ACLED_FILE, PROJECT_ROOT, optional_shared_file
from routerisk.errors import DataNotFoundError, ValidationError
from routerisk.gazetteer import normalize_name
from routerisk.schema import (
    INCIDENT_COLUMNS,
    VIOLENT_TYPES,
    EventType,
    Incident,
    Target,
    empty_incident_frame,
    incidents_to_frame,
    validate_records,
)

logger = logging.getLogger(__name__)

#: Formats :func:`read_incidents` knows.
FORMATS: tuple[str, ...] = ("routerisk", "acled", "ucdp")

#: The project's curated catalogue (written from the articles in ``../shared/seeds``).
CATALOGUE_FILE = PROJECT_ROOT / "incidents" / "catalogue.csv"

#: A bounding box (lon_min, lat_min, lon_max, lat_max) in WGS84 degrees.
BBox = tuple[float, float, float, float]

ET = EventType
TG = Target

# --- ACLED ---------------------------------------------------------------------------------

#: ACLED ``sub_event_type`` → event type, before the ``notes`` refinements.
ACLED_SUB_EVENT_TYPES: dict[str, str] = {
    "Armed clash": ET.CLASH.value,
    "Government regains territory": ET.ATTACK_ON_TOWN.value,
    "Non-state actor overtakes territory": ET.ATTACK_ON_TOWN.value,
    "Attack": ET.VIOLENCE_AGAINST_CIVILIANS.value,
    "Sexual violence": ET.VIOLENCE_AGAINST_CIVILIANS.value,
    "Abduction/forced disappearance": ET.KIDNAPPING.value,
    "Remote explosive/landmine/IED": ET.IED.value,
    "Grenade": ET.IED.value,
    "Suicide bomb": ET.ATTACK_ON_TOWN.value,
    "Shelling/artillery/missile attack": ET.ATTACK_ON_TOWN.value,
    "Air/drone strike": ET.CLASH.value,
    "Chemical weapon": ET.ATTACK_ON_TOWN.value,
    "Looting/property destruction": ET.LOOTING.value,
    "Peaceful protest": ET.PROTEST.value,
    "Protest with intervention": ET.PROTEST.value,
    "Excessive force against protesters": ET.PROTEST.value,
    "Violent demonstration": ET.PROTEST.value,
    "Mob violence": ET.PROTEST.value,
    "Agreement": ET.STRATEGIC.value,
    "Arrests": ET.STRATEGIC.value,
    "Change to group/activity": ET.STRATEGIC.value,
    "Disrupted weapons use": ET.STRATEGIC.value,
    "Headquarters or base established": ET.STRATEGIC.value,
    "Non-violent transfer of territory": ET.STRATEGIC.value,
    "Other": ET.STRATEGIC.value,
}

#: ACLED ``event_type`` → event type, used when ``sub_event_type`` is empty or unknown.
ACLED_EVENT_TYPES: dict[str, str] = {
    "Battles": ET.CLASH.value,
    "Violence against civilians": ET.VIOLENCE_AGAINST_CIVILIANS.value,
    "Explosions/Remote violence": ET.IED.value,
    "Protests": ET.PROTEST.value,
    "Riots": ET.PROTEST.value,
    "Strategic developments": ET.STRATEGIC.value,
}

#: ACLED ``time_precision`` code → date precision.
ACLED_TIME_PRECISION: dict[str, str] = {"1": "day", "2": "week", "3": "month"}

#: ACLED ``geo_precision`` code → location precision (radius, km): 1 the town's own
#: coordinates; 2 "near" a town or part of a district, placed at a nearby town; 3 only the
#: district/province is known, placed at its centroid.
ACLED_GEO_PRECISION_KM: dict[str, float] = {"1": 2.0, "2": 25.0, "3": 75.0}

#: ACLED actor-type codes (``inter1``/``inter2``); recent exports spell them out.
ACLED_INTER_NAMES: dict[str, str] = {
    "state forces": "1", "rebel group": "2", "political militia": "3",
    "identity militia": "4", "rioters": "5", "protesters": "6", "civilians": "7",
    "external/other forces": "8", "external forces": "8", "other forces": "8",
}

#: Event types whose ``notes`` may turn them into a convoy ambush, IED, kidnapping or
#: checkpoint (ACLED codes an ambush as "Armed clash", a burnt convoy as "Looting", ...).
_REFINABLE = {ET.CLASH.value, ET.VIOLENCE_AGAINST_CIVILIANS.value, ET.LOOTING.value,
              ET.ATTACK_ON_TOWN.value}

_VEHICLE = (r"(?:convoys?|convois?|trucks?|lorr(?:y|ies)|tankers?|citernes?|camions?|bus(?:es)?"
            r"|minibus(?:es)?|coach(?:es)?|vehicles?|v[ée]hicules?|cars?|passengers?|voyageurs"
            r"|drivers?|chauffeurs?|transporters?|transporteurs?)")
_HIT = (r"(?:ambush(?:ed|es|ing)?|attack(?:ed|s|ing)?|fired (?:on|at|upon)"
        r"|opened fire (?:on|at|against)|shot at|intercept(?:ed|ing)?|stopp?ed"
        r"|hijack(?:ed|ing)?|burn(?:ed|t|ing)?|torch(?:ed|ing)?|set (?:on )?fire"
        r"|loot(?:ed|ing)?|rob(?:bed|bing)?|raid(?:ed|ing)?|seiz(?:ed|ing)|attaqu[ée]\w*"
        r"|incendi[ée]\w*|br[uû]l[ée]\w*|pill[ée]\w*|braqu[ée]\w*)")
#: notes → convoy or vehicle ambush: an ambush, or a vehicle hit on the road.
NOTES_CONVOY_AMBUSH = re.compile(
    rf"\b(?:ambush\w*|embuscades?)\b|\b{_HIT}\b[^.;,]{{0,60}}?\b{_VEHICLE}\b"
    rf"|\b{_VEHICLE}\b[^.;,]{{0,60}}?\b(?:was|were|got|été)\s+{_HIT}\b", re.IGNORECASE)
#: notes → IED or mine.
NOTES_IED = re.compile(
    r"\b(?:ieds?|landmines?|land mines?|improvised explosive|explosive devices?"
    r"|engins? explosifs?|mines? (?:explo\w*|blast)|hit a mine|struck a mine|roadside bomb"
    r"|ied-?\w*)\b", re.IGNORECASE)
#: notes → kidnapping.
NOTES_KIDNAPPING = re.compile(
    r"\b(?:kidnap\w*|abduct\w*|hostages?|enlev\w*|took \w+ captive)\b", re.IGNORECASE)
#: notes → an illegal checkpoint (not an attack on an army checkpoint).
NOTES_CHECKPOINT = re.compile(
    r"\b(?:(?:set|setting|put) up (?:an? )?(?:illegal |fake |makeshift )?"
    r"(?:checkpoints?|roadblocks?)"
    r"|erect\w* (?:an? )?(?:checkpoints?|roadblocks?)|illegal checkpoints?|fake checkpoints?"
    r"|faux barrages?|extort\w*|racket(?:eer\w*|ed|ing|s)|ran[çc]onn\w*)\b", re.IGNORECASE)
#: notes → an attack on a town, camp or position (turns a clash into attack_on_town).
NOTES_ATTACK_POSITION = re.compile(
    r"\b(?:attack\w*|assault\w*|raid\w*|stormed|overran|shell\w*|attaqu\w*)\b[^.;,]{0,50}?"
    r"\b(?:camps?|bases?|posts?|outposts?|positions?|barracks|gendarmerie|police station"
    r"|brigade|town|city|checkpoints?|prison|commissariat)\b", re.IGNORECASE)

#: notes → target, first match wins (fuel tankers before convoys before military).
NOTES_TARGETS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (TG.FUEL_TANKER.value, re.compile(
        r"\b(?:tankers?|citernes?|camions?[- ]citernes?|(?:fuel|petrol|gasoline|diesel|oil"
        r"|refuel\w*|carburant|essence|gasoil)\s+(?:trucks?|lorr(?:y|ies)|convoys?|supply"
        r"|transport\w*|camions?|tankers?)|(?:trucks?|camions?|convoys?)\s+(?:\w+\s+)?"
        r"(?:carrying|transporting|loaded with|de|of)\s+(?:fuel|petrol|diesel|carburant"
        r"|gasoil))\b", re.IGNORECASE)),
    (TG.PASSENGER_TRANSPORT.value, re.compile(
        r"\b(?:bus(?:es)?|minibus(?:es)?|coach(?:es)?|passengers?|public transport"
        r"|transports? en commun|voyageurs|sotrama|taxi(?:-brousse)?s?)\b", re.IGNORECASE)),
    (TG.CONVOY.value, re.compile(
        r"\b(?:convoys?|convois?|trucks?|lorr(?:y|ies)|camions?|truckers?|truck drivers?"
        r"|transporters?|transporteurs?)\b",
        re.IGNORECASE)),
    (TG.MINE_OR_COMPANY.value, re.compile(
        r"\b(?:gold|mining|orpaill\w*|mine sites?|sites? miniers?|gold ?mines?|compan(?:y|ies)"
        r"|contractors?|subcontractors?|soci[ée]t[ée]s?|entreprises?|factory|usine)\b",
        re.IGNORECASE)),
)
_GOVERNMENT = re.compile(r"\b(?:government|officials?|mayors?|prefects?|sub-prefects?|customs"
                         r"|judges?|administrat\w*|civil servants?|maires?|pr[ée]fets?)\b",
                         re.IGNORECASE)

_ACLED_REQUIRED = ("event_id_cnty", "event_date", "sub_event_type", "latitude", "longitude")
_ACLED_EVENT_COLUMNS = ("event_date", "event_type", "sub_event_type", "latitude", "longitude",
                        "location", "fatalities", "time_precision", "geo_precision")
#: Incident field → ACLED column, for messages.
_ACLED_COLUMN_OF = {"incident_id": "event_id_cnty", "date": "event_date",
                    "date_precision": "time_precision", "latitude": "latitude",
                    "longitude": "longitude", "location_precision_km": "geo_precision",
                    "place": "location", "event_type": "sub_event_type", "actor": "actor1",
                    "fatalities": "fatalities", "notes": "notes", "country": "iso3"}

# --- UCDP ----------------------------------------------------------------------------------

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

#: Country names (as ACLED and UCDP spell them) → ISO3, for the region.
COUNTRY_ISO3: dict[str, str] = {normalize_name(k): v for k, v in {
    "Mali": "MLI", "Burkina Faso": "BFA", "Niger": "NER", "Senegal": "SEN",
    "Mauritania": "MRT", "Guinea": "GIN", "Guinea-Bissau": "GNB", "Sierra Leone": "SLE",
    "Liberia": "LBR", "Ivory Coast": "CIV", "Cote d'Ivoire": "CIV", "Côte d’Ivoire": "CIV",
    "Ghana": "GHA", "Togo": "TGO", "Benin": "BEN", "Nigeria": "NGA", "Algeria": "DZA",
    "Gambia": "GMB", "The Gambia": "GMB", "Chad": "TCD", "Cameroon": "CMR",
    "Morocco": "MAR", "Western Sahara": "ESH", "Libya": "LBY",
}.items()}


# --- file reading --------------------------------------------------------------------------

def _check_file(path: str | os.PathLike[str]) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise DataNotFoundError(f"incident file not found: {p}")
    if not p.is_file():
        raise DataNotFoundError(f"incident file {p} is not a regular file")
    return p


def _decode(p: Path, encoding: str) -> str:
    """The file's text; non-decodable bytes are reported with their line numbers."""
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataNotFoundError(f"cannot read incident file {p}: {exc.strerror}") from exc
    if not data.strip():
        raise ValidationError(str(p), ["the file is empty; expected a header line with the "
                                       "column names, then one row per incident"])
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        bad = []
        for lineno, line in enumerate(data.split(b"\n"), start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as exc:
                byte = line[exc.start:exc.start + 1]
                bad.append(f"line {lineno}: bytes that are not valid {encoding} (first: "
                           f"0x{byte.hex()} at character {exc.start + 1}); save the file as "
                           f"{encoding}, or pass the encoding it is in (e.g. latin-1)")
        raise ValidationError(str(p), bad) from None
    except LookupError:
        raise ValidationError(str(p), [f"unknown text encoding '{encoding}'"]) from None
    return text.removeprefix("\ufeff")


def _read_csv_text(p: Path, encoding: str) -> pd.DataFrame:
    """All cells as stripped strings ("" for empty); malformed CSV becomes ValidationError.

    Parsed with the standard :mod:`csv` module so that a row with more or fewer cells than
    the header is reported (pandas would silently shift or pad it).
    """
    text = _decode(p, encoding)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, len(text) + 1))
    problems = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise ValidationError(str(p), ["the file has no header line"])
            width = len(header)
            body = []
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip() and width > 1):
                    continue  # blank line
                if len(row) != width:
                    problems.append(f"line {reader.line_num}: {len(row)} cells but the header "
                                    f"has {width}; not a well-formed CSV file (a missing "
                                    f"or extra comma, or an unquoted comma in a value?)")
                    continue
                body.append(row)
        except csv.Error as exc:
            raise ValidationError(str(p), [f"line {reader.line_num}: not a well-formed CSV "
                                           f"file ({exc})"]) from None
    finally:
        csv.field_size_limit(old_limit)
    if problems:
        raise ValidationError(str(p), problems)
    columns = [str(c).strip() for c in header]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise ValidationError(str(p), [f"column '{c}' appears more than once in the header"
                                       for c in dupes])
    unnamed = [i + 1 for i, c in enumerate(columns) if not c]
    if unnamed:
        raise ValidationError(str(p), [f"column {i} of the header has no name" for i in unnamed])
    df = pd.DataFrame(body, columns=columns, dtype=object)
    return df.apply(lambda s: s.str.strip()) if len(df) else df


def _require(df: pd.DataFrame, required: Sequence[str], p: Path, what: str) -> None:
    missing = [c for c in required if c not in df.columns]
    problems = [f"missing column '{c}' (required in {what} files)" for c in missing]
    if not len(df):
        problems.append("no incident rows: the file has a header but no data rows")
    if problems:
        raise ValidationError(str(p), problems)


def _row_names(index: Sequence[int]) -> list[str]:
    return [f"row {i + 1}" for i in index]


def _duplicates(ids: pd.Series, column: str) -> list[str]:
    """One problem per id that occurs on more than one row."""
    ids = ids[ids != ""]
    dup = ids[ids.duplicated(keep=False)]
    problems = []
    for value, group in dup.groupby(dup, sort=False):
        rows = ", ".join(str(i + 1) for i in group.index[:10])
        problems.append(f"rows {rows}, '{column}': duplicate id {value!r}; each row needs its "
                        f"own id")
    return problems


# --- filtering and the final frame ---------------------------------------------------------

def _finish(incidents: list[Incident], problems: list[str], p: Path, *, fmt: str,
            violent_only: bool, bbox: BBox | None,
            filtered: dict[str, int] | None = None) -> gpd.GeoDataFrame:
    if problems:
        raise ValidationError(str(p), problems)
    frame = incidents_to_frame(incidents) if incidents else empty_incident_frame()
    frame, filtered = filter_incidents(frame, violent_only=violent_only, bbox=bbox,
                                       filtered=filtered)
    frame.attrs.update({"source_file": str(p), "format": fmt, "rows_read": len(incidents),
                        "filtered": filtered})
    logger.info("%s: %d incidents read (%s)%s", p.name, len(frame), fmt,
                "" if not filtered else "; filtered: " + ", ".join(
                    f"{k} {v}" for k, v in filtered.items()))
    return frame


def filter_incidents(frame: gpd.GeoDataFrame, *, violent_only: bool = False,
                     bbox: BBox | None = None, filtered: dict[str, int] | None = None,
                     ) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Drop non-violent types and rows outside ``bbox``; count what is dropped, by reason.

    Parameters
    ----------
    frame
        An incident frame.
    violent_only
        Keep only :data:`routerisk.schema.VIOLENT_TYPES`; each dropped type is counted as
        ``"non-violent type: <type>"``.
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)`` in degrees; rows outside count as
        ``"outside bbox"``.
    filtered
        Counts so far, added to (not modified).

    Returns
    -------
    (frame, filtered)
        The kept rows (index reset) and the counts, reason → number of rows.
    """
    counts = dict(filtered or {})
    keep = np.ones(len(frame), dtype=bool)
    if bbox is not None:
        x0, y0, x1, y1 = (float(v) for v in bbox)
        if not (x0 <= x1 and y0 <= y1):
            raise ValidationError("bbox", [f"bbox must be (lon_min, lat_min, lon_max, lat_max) "
                                           f"with min <= max; got {tuple(bbox)}"])
        inside = (frame["longitude"].between(x0, x1) & frame["latitude"].between(y0, y1))
        out = int((~inside).sum())
        if out:
            counts["outside bbox"] = counts.get("outside bbox", 0) + out
        keep &= inside.to_numpy()
    if violent_only:
        violent = frame["event_type"].isin(VIOLENT_TYPES).to_numpy()
        dropped = frame.loc[keep & ~violent, "event_type"].value_counts()
        for kind, n in sorted(dropped.items()):
            key = f"non-violent type: {kind}"
            counts[key] = counts.get(key, 0) + int(n)
        keep &= violent
    out_frame = frame.loc[keep].reset_index(drop=True)
    out_frame.attrs = dict(frame.attrs)
    return out_frame, counts


# --- a small cache: the same unchanged file read with the same options is parsed once -----

#: Frames kept per reader (most recently used).
CACHE_SIZE = 8


def _cached(reader):
    """Cache a reader's result by (file, size, mtime, options); callers get a copy.

    A file that changes on disk (size or modification time) is read again; errors are
    never cached. ``reader.cache_clear()`` empties the cache.
    """
    cache: OrderedDict[tuple, gpd.GeoDataFrame] = OrderedDict()

    @functools.wraps(reader)
    def wrapper(path, *, violent_only=False, bbox=None, encoding="utf-8", check_swapped=True):
        p = _check_file(path)
        st = p.stat()
        key = (str(p.resolve()), st.st_size, st.st_mtime_ns, st.st_ctime_ns, bool(violent_only),
               None if bbox is None else tuple(float(v) for v in bbox), encoding,
               bool(check_swapped))
        frame = cache.get(key)
        if frame is None:
            frame = reader(p, violent_only=violent_only, bbox=bbox, encoding=encoding,
                           check_swapped=check_swapped)
            cache[key] = frame
            while len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
            logger.debug("%s: from the reader cache", p.name)
        out = frame.copy()
        out.attrs = copy.deepcopy(frame.attrs)
        return out

    wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
    return wrapper


# --- routerisk's own schema ----------------------------------------------------------------

_REQUIRED = ("incident_id", "date", "latitude", "longitude", "event_type", "source")


@_cached
def read_routerisk(path: str | os.PathLike[str], *, violent_only: bool = False,
                   bbox: BBox | None = None, encoding: str = "utf-8",
                   check_swapped: bool = True) -> gpd.GeoDataFrame:
    """Read a CSV or GeoJSON file in routerisk's own incident schema.

    CSV: a header with the :class:`~routerisk.schema.Incident` field names (``incident_id,
    date, latitude, longitude, event_type, source`` required, the others optional), one
    incident per row; empty cells take the field's default. GeoJSON (``.geojson`` or
    ``.json``): a FeatureCollection of Point features whose ``properties`` are the fields;
    ``latitude``/``longitude`` may be left out (taken from the point).

    Parameters
    ----------
    path
        The file.
    violent_only, bbox
        Optional filters, see :func:`filter_incidents`; what they drop is counted in
        ``frame.attrs["filtered"]``.
    encoding
        Text encoding of the file.
    check_swapped
        Report rows whose latitude and longitude look swapped for study-area data.

    Returns
    -------
    geopandas.GeoDataFrame
        ``INCIDENT_COLUMNS`` + ``geometry`` (EPSG:4326).

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    ValidationError
        Anything wrong with the content; every problem is listed.
    """
    p = _check_file(path)
    if p.suffix.lower() in {".geojson", ".json"}:
        records, names, problems = _geojson_records(p, encoding)
        ids = pd.Series([str(r.get("incident_id") or "").strip() for r in records])
        ids.index = range(len(ids))
        problems += _duplicates(ids, "incident_id")
        incidents, more = validate_records(records, rows=names, check_swapped=check_swapped)
        return _finish(incidents, problems + more, p, fmt="routerisk",
                       violent_only=violent_only, bbox=bbox)
    df = _read_csv_text(p, encoding)
    unknown = [c for c in df.columns if c not in INCIDENT_COLUMNS and c != "geometry"]
    _require(df, _REQUIRED, p, "routerisk incident")
    problems = [f"unknown column '{c}'; routerisk incident files have only "
                f"{', '.join(INCIDENT_COLUMNS)}" for c in unknown]
    if problems:
        raise ValidationError(str(p), problems)
    df = df.drop(columns=["geometry"], errors="ignore")
    problems = _duplicates(df["incident_id"], "incident_id")
    records = df.to_dict("records")
    incidents, more = validate_records(records, rows=_row_names(range(len(df))),
                                       check_swapped=check_swapped)
    return _finish(incidents, problems + more, p, fmt="routerisk", violent_only=violent_only,
                   bbox=bbox)


def _geojson_records(p: Path, encoding: str) -> tuple[list[dict], list[str], list[str]]:
    text = _decode(p, encoding)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(str(p), [f"line {exc.lineno}, column {exc.colno}: not valid "
                                       f"JSON ({exc.msg})"]) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ValidationError(str(p), ["expected a GeoJSON FeatureCollection"])
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise ValidationError(str(p), ["no incident features: 'features' is missing or "
                                       "empty"])
    records, names, problems = [], [], []
    for i, feat in enumerate(features, start=1):
        name = f"feature {i}"
        props = feat.get("properties") if isinstance(feat, dict) else None
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        if not isinstance(props, dict):
            problems.append(f"{name}, 'properties': must be an object with the incident "
                            f"fields")
            continue
        rec = {k: v for k, v in props.items()}
        if isinstance(geom, dict) and geom.get("type") == "Point":
            coords = geom.get("coordinates")
            if (isinstance(coords, list) and len(coords) >= 2
                    and all(isinstance(c, int | float) for c in coords[:2])):
                lon, lat = float(coords[0]), float(coords[1])
                for field, value in (("latitude", lat), ("longitude", lon)):
                    given = rec.get(field)
                    if given in (None, ""):
                        rec[field] = value
                    else:
                        try:
                            if abs(float(given) - value) > 1e-6:
                                problems.append(f"{name}, '{field}': {given} disagrees with "
                                                f"the point geometry ({value})")
                        except (TypeError, ValueError):
                            pass  # reported by validation
            else:
                problems.append(f"{name}, 'geometry': Point coordinates must be "
                                f"[longitude, latitude]; got {coords!r:.60}")
        elif geom is not None:
            kind = geom.get("type") if isinstance(geom, dict) else type(geom).__name__
            problems.append(f"{name}, 'geometry': must be a Point; got {kind}")
        records.append(rec)
        names.append(name)
    return records, names, problems


# --- ACLED ---------------------------------------------------------------------------------

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
    df["_row"] = np.arange(len(df))
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


def _inter_codes(values: pd.Series) -> pd.Series:
    """ACLED actor-type codes as strings "1"…"8" ("" when absent), from codes or names."""
    v = values.astype(str).str.strip()
    v = v.str.replace(r"\.0$", "", regex=True)
    named = v.str.lower().map(ACLED_INTER_NAMES)
    return named.fillna(v).where(v.str.lower() != "nan", "")


def acled_event_types(sub_event_type: pd.Series, event_type: pd.Series,
                      notes: pd.Series) -> pd.Series:
    """Event types for ACLED rows: ``sub_event_type`` mapped, then refined by ``notes``.

    Among clashes, attacks on civilians, looting and attacks on positions, the notes can
    make an event a convoy/vehicle ambush (an ambush, or a convoy, truck, tanker, bus or
    vehicle attacked, burnt or looted), then an IED, a kidnapping, an illegal checkpoint, or
    (for clashes) an attack on a town, camp or position. Unknown sub-event types fall back
    to ``event_type``; values neither knows are left as given (validation reports them).
    """
    base = sub_event_type.map(ACLED_SUB_EVENT_TYPES)
    base = base.fillna(event_type.map(ACLED_EVENT_TYPES))
    base = base.fillna(sub_event_type.where(sub_event_type != "", event_type)).astype(object)
    text = notes.fillna("").astype(str)
    refinable = base.isin(_REFINABLE)
    out = base.copy()
    todo = refinable.copy()
    for kind, pattern, allowed in (
            (ET.CONVOY_AMBUSH.value, NOTES_CONVOY_AMBUSH, None),
            (ET.IED.value, NOTES_IED, None),
            (ET.KIDNAPPING.value, NOTES_KIDNAPPING,
             {ET.VIOLENCE_AGAINST_CIVILIANS.value, ET.LOOTING.value}),
            (ET.CHECKPOINT.value, NOTES_CHECKPOINT, None),
            (ET.ATTACK_ON_TOWN.value, NOTES_ATTACK_POSITION, {ET.CLASH.value})):
        hit = todo & text.str.contains(pattern)
        if allowed is not None:
            hit &= base.isin(allowed)
        out[hit] = kind
        todo &= ~hit
    return out


def acled_targets(notes: pd.Series, inter2: pd.Series, actor2: pd.Series,
                  assoc_actor_2: pd.Series, event_type: pd.Series) -> pd.Series:
    """Targets for ACLED rows: from ``notes`` words first, then the second actor.

    Order: fuel tanker, passenger transport, convoy (a convoy with state or external forces
    as second actor is ``military``), mine or company; then ``military`` when the second
    actor is state or external forces (``inter2`` 1 or 8), ``government`` when it names
    officials, ``civilians`` for ``inter2`` 7, ``town`` for attacks on towns; else unknown.
    """
    text = notes.fillna("").astype(str)
    out = pd.Series(TG.UNKNOWN.value, index=notes.index, dtype=object)
    todo = pd.Series(True, index=notes.index)
    military = inter2.isin(["1", "8"])
    for target, pattern in NOTES_TARGETS:
        hit = todo & text.str.contains(pattern)
        if target == TG.CONVOY.value:
            out[hit & military] = TG.MILITARY.value
            out[hit & ~military] = target
        else:
            out[hit] = target
        todo &= ~hit
    who = actor2.fillna("").astype(str) + " " + assoc_actor_2.fillna("").astype(str)
    for target, hit in (
            (TG.MILITARY.value, military),
            (TG.GOVERNMENT.value, who.str.contains(_GOVERNMENT)),
            (TG.CIVILIANS.value, inter2 == "7"),
            (TG.TOWN.value, event_type == ET.ATTACK_ON_TOWN.value)):
        hit = todo & hit
        out[hit] = target
        todo &= ~hit
    return out


@_cached
def read_acled(path: str | os.PathLike[str], *, violent_only: bool = False,
               bbox: BBox | None = None, encoding: str = "utf-8",
               check_swapped: bool = True) -> gpd.GeoDataFrame:
    """Read an ACLED CSV export (one row per event, or one row per actor).

    One-row-per-actor files (no ``actor2`` column; the event id repeated on each actor's
    row) are collapsed to one row per ``event_id_cnty``. Mapping (see ``docs/incidents.md``):
    ``sub_event_type`` → :class:`~routerisk.schema.EventType` via
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
    df = _read_csv_text(p, encoding)
    _require(df, _ACLED_REQUIRED, p, "ACLED")
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
        rows = _row_names(range(len(df)))
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
    frame = _finish(incidents, problems + more, p, fmt="acled", violent_only=violent_only,
                    bbox=bbox)
    frame.attrs["layout"] = "one row per actor" if per_actor else "one row per event"
    frame.attrs["actor_rows_collapsed"] = collapsed
    return frame


# --- UCDP GED ------------------------------------------------------------------------------

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
    df = _read_csv_text(p, encoding)
    date_col = "date_start" if "date_start" in df.columns else "date"
    _require(df, ("id", date_col, "latitude", "longitude", "type_of_violence"), p, "UCDP GED")
    full = "date_start" in df.columns
    for col in ("relid", "where_prec", "date_prec", "side_a", "side_b", "where_coordinates",
                "adm_1", "country", "best", "source_headline", "where_description",
                "conflict_new_id", "conflict_id"):
        if col not in df.columns:
            df[col] = ""
    rows = _row_names(range(len(df)))
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
    frame = _finish(incidents, problems + more, p, fmt="ucdp", violent_only=violent_only,
                    bbox=bbox)
    frame.attrs["layout"] = "full" if full else "reduced sample"
    return frame


# --- dispatch, catalogue, defaults ---------------------------------------------------------

def detect_format(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> str:
    """Guess a file's format from its extension and header: routerisk, acled or ucdp."""
    p = _check_file(path)
    if p.suffix.lower() in {".geojson", ".json"}:
        return "routerisk"
    try:
        with p.open(encoding=encoding, errors="replace", newline="") as fh:
            header = fh.readline(1_000_000)
    except OSError as exc:
        raise DataNotFoundError(f"cannot read incident file {p}: {exc.strerror}") from exc
    cols = {c.strip().strip('"').lstrip("\ufeff") for c in header.split(",")}
    if {"event_id_cnty", "sub_event_type"} & cols:
        return "acled"
    if "type_of_violence" in cols:
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
                      dedup: bool = True) -> gpd.GeoDataFrame:
    """Project catalogue + the shared ACLED file when present, deduplicated.

    Parameters
    ----------
    violent_only
        Keep only violent event types.
    catalogue
        Catalogue path; default ``incidents/catalogue.csv`` in the project.
    acled
        ACLED export; default the shared ``incidents/acled_mli_bfa_ner_1997_2019.csv``
        when it is found (see :mod:`routerisk._paths`), else no ACLED rows.
    dedup
        Merge the same event reported by both (:func:`routerisk.dedup.deduplicate`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``attrs["filtered"]`` adds up what each file's reader filtered;
        ``attrs["sources"]`` lists the files read.
    """
    from routerisk.dedup import deduplicate

    frames = [load_catalogue(catalogue, violent_only=violent_only)]
    acled_path = Path(acled) if acled is not None else optional_shared_file(ACLED_FILE)
    if acled_path is not None:
        frames.append(read_acled(acled_path, violent_only=violent_only))
    else:
        logger.info("shared ACLED file not found; using the catalogue only")
    return combine(frames, dedup=dedup, deduplicate=deduplicate)


def combine(frames: Sequence[gpd.GeoDataFrame], *, dedup: bool = True,
            deduplicate=None) -> gpd.GeoDataFrame:
    """Concatenate incident frames (adding up their ``filtered`` counts), optionally
    deduplicated; incident ids must be unique across the frames."""
    if deduplicate is None:
        from routerisk.dedup import deduplicate
    filtered: dict[str, int] = {}
    sources = []
    for f in frames:
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
    out.attrs = {"filtered": filtered, "sources": sources}
    if dedup and len(out):
        out = deduplicate(out)
    return out
