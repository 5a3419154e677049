"""File plumbing shared by the incident readers: checked paths, decoding, CSV text,
required columns, row names, duplicate ids, the study-area filter and the read cache."""

from __future__ import annotations

import copy
import csv
import functools
import io
import logging
import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from routerisk.errors import DataNotFoundError, ValidationError
from routerisk.geo.gazetteer import normalize_name
from routerisk.incidents.coverage import file_coverage
from routerisk.incidents.schema import (
    VIOLENT_TYPES,
    Incident,
    empty_incident_frame,
    incidents_to_frame,
)

logger = logging.getLogger(__name__)


#: A bounding box (lon_min, lat_min, lon_max, lat_max) in WGS84 degrees.
BBox = tuple[float, float, float, float]


#: Country names (as ACLED and UCDP spell them) → ISO3, for the region.
COUNTRY_ISO3: dict[str, str] = {normalize_name(k): v for k, v in {
    "Mali": "MLI", "Burkina Faso": "BFA", "Niger": "NER", "Senegal": "SEN",
    "Mauritania": "MRT", "Guinea": "GIN", "Guinea-Bissau": "GNB", "Sierra Leone": "SLE",
    "Liberia": "LBR", "Ivory Coast": "CIV", "Cote d'Ivoire": "CIV", "Côte d’Ivoire": "CIV",
    "Ghana": "GHA", "Togo": "TGO", "Benin": "BEN", "Nigeria": "NGA", "Algeria": "DZA",
    "Gambia": "GMB", "The Gambia": "GMB", "Chad": "TCD", "Cameroon": "CMR",
    "Morocco": "MAR", "Western Sahara": "ESH", "Libya": "LBY",
}.items()}


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


def _drop_hxl_row(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop the HXL hashtag row (``#date+occurred``, ``#geo+lat``, ...) that HDX files carry
    as their second line; the index is kept, so row numbers still match the file."""
    if not len(df):
        return df, 0
    first = [str(v).strip() for v in df.iloc[0]]
    tagged = [v for v in first if v]
    if tagged and all(v.startswith("#") for v in tagged):
        return df.iloc[1:], 1
    return df, 0


def records_frame(records: Sequence[dict]) -> pd.DataFrame:
    """Rows of a JSON API response as a frame of stripped strings ("" for null), the same
    shape :func:`_read_csv_text` gives, so one classification serves files and APIs."""
    def text(v: object) -> str:
        if v is None or (isinstance(v, float) and v != v):
            return ""
        if isinstance(v, bool):
            return "1" if v else "0"
        if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return str(v).strip()

    columns = list(dict.fromkeys(k for r in records for k in r))
    return pd.DataFrame([[text(r.get(c)) for c in columns] for r in records],
                        columns=columns, dtype=object)


#: Where each JSON layout keeps its rows: ACLED's API ``{"status":..,"data":[...]}`` and
#: UCDP's ``{"TotalCount":..,"Result":[...]}``.
JSON_ROW_KEYS: tuple[str, ...] = ("data", "Result")


def _json_rows(p: Path, encoding: str) -> tuple[list[dict], str]:
    """The rows of an API JSON response saved to a file, and the key they were under."""
    import json

    text = _decode(p, encoding)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(str(p), [f"line {exc.lineno}: not valid JSON ({exc.msg})"]) \
            from None
    key = ""
    if isinstance(doc, dict):
        for k in JSON_ROW_KEYS:
            if isinstance(doc.get(k), list):
                key, doc = k, doc[k]
                break
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise ValidationError(str(p), ["expected an API response: an object with a 'data' "
                                       "(ACLED) or 'Result' (UCDP) list of rows, or a list "
                                       "of row objects"])
    return doc, key


def _read_rows(p: Path, encoding: str) -> tuple[pd.DataFrame, int]:
    """A CSV file or a saved JSON API response as a frame of strings; and the number of
    HXL tag rows skipped (HDX files)."""
    if p.suffix.lower() == ".json":
        rows, _ = _json_rows(p, encoding)
        return records_frame(rows), 0
    return _drop_hxl_row(_read_csv_text(p, encoding))


def _require(df: pd.DataFrame, required: Sequence[str], p: Path, what: str) -> None:
    missing = [c for c in required if c not in df.columns]
    problems = [f"missing column '{c}' (required in {what} files)" for c in missing]
    if not len(df):
        problems.append("no incident rows: the file has a header but no data rows")
    if problems:
        raise ValidationError(str(p), problems)


def _row_names(index: Sequence[int]) -> list[str]:
    """Row labels ``"row i+1"`` for 0-based positions in the file's data rows."""
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


def _finish(incidents: list[Incident], problems: list[str], p: Path, *, fmt: str,
            violent_only: bool, bbox: BBox | None,
            filtered: dict[str, int] | None = None) -> gpd.GeoDataFrame:
    if problems:
        raise ValidationError(str(p), problems)
    frame = incidents_to_frame(incidents) if incidents else empty_incident_frame()
    frame, filtered = filter_incidents(frame, violent_only=violent_only, bbox=bbox,
                                       filtered=filtered)
    frame.attrs.update({"source_file": str(p), "format": fmt, "rows_read": len(incidents),
                        "events_kept": len(frame), "filtered": filtered,
                        "coverage": file_coverage(fmt, [i.date for i in incidents],
                                                  [i.longitude for i in incidents],
                                                  [i.latitude for i in incidents], bbox=bbox)})
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

