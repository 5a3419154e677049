"""File plumbing shared by the incident readers: checked paths, decoding, CSV text,
required columns, row names, duplicate ids, the study-area filter and the read cache."""

from __future__ import annotations

import codecs
import copy
import csv
import functools
import logging
import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from routerisk.errors import (
    ArgumentError,
    DataNotFoundError,
    ResourceLimitError,
    ValidationError,
)
from routerisk.geo.gazetteer import normalize_name
from routerisk.incidents.coverage import file_coverage
from routerisk.incidents.filters import BBox, filter_incidents
from routerisk.incidents.schema import (
    Incident,
    empty_incident_frame,
    incidents_to_frame,
)

logger = logging.getLogger(__name__)


#: Country names (as ACLED and UCDP spell them) → ISO3, for the region.
COUNTRY_ISO3: dict[str, str] = {normalize_name(k): v for k, v in {
    "Mali": "MLI", "Burkina Faso": "BFA", "Niger": "NER", "Senegal": "SEN",
    "Mauritania": "MRT", "Guinea": "GIN", "Guinea-Bissau": "GNB", "Sierra Leone": "SLE",
    "Liberia": "LBR", "Ivory Coast": "CIV", "Cote d'Ivoire": "CIV", "Côte d’Ivoire": "CIV",
    "Ghana": "GHA", "Togo": "TGO", "Benin": "BEN", "Nigeria": "NGA", "Algeria": "DZA",
    "Gambia": "GMB", "The Gambia": "GMB", "Chad": "TCD", "Cameroon": "CMR",
    "Morocco": "MAR", "Western Sahara": "ESH", "Libya": "LBY",
}.items()}


#: Largest cell of an incident file, characters: beyond it reading stops (an unclosed quote
#: would otherwise swallow the rest of the file). The schema's own limits (e.g. 20,000
#: characters of notes) are checked after reading, row by row.
MAX_FIELD_CHARS = 16 * 1024 * 1024
#: Largest incident file read whole into memory (GeoJSON), bytes; CSV files are streamed.
MAX_WHOLE_FILE_BYTES = 256 * 1024 * 1024


def _check_file(path: str | os.PathLike[str]) -> Path:
    p = Path(path).expanduser()
    try:
        exists, is_file = p.exists(), p.is_file()
    except OSError as exc:  # a name too long, a loop of links, ...
        raise DataNotFoundError(f"incident file {str(p)[:120]}: {exc.strerror}") from None
    if not exists:
        raise DataNotFoundError(f"incident file not found: {p}")
    if not is_file:
        raise DataNotFoundError(f"incident file {p} is not a regular file")
    return p


def check_encoding(encoding: str) -> str:
    """The canonical name of a text encoding; :class:`ArgumentError` when Python has none."""
    try:
        return codecs.lookup(encoding).name
    except (LookupError, TypeError, ValueError):
        raise ArgumentError(f"--encoding '{encoding}': unknown text encoding; expected e.g. "
                            f"utf-8, latin-1 or cp1252", option="--encoding") from None


def _read_limited(p: Path) -> bytes:
    """The whole file, refused (not read) beyond :data:`MAX_WHOLE_FILE_BYTES`."""
    try:
        size = p.stat().st_size
        if size > MAX_WHOLE_FILE_BYTES:
            raise ResourceLimitError(
                f"{p}: {size:,} bytes; files read whole (GeoJSON) may have at most "
                f"{MAX_WHOLE_FILE_BYTES:,} bytes; convert it to CSV, which is streamed")
        return p.read_bytes()
    except OSError as exc:
        raise DataNotFoundError(f"cannot read incident file {p}: {exc.strerror}") from exc


def _bad_bytes(p: Path, encoding: str) -> ValidationError:
    """The lines of ``p`` that are not valid ``encoding`` (streamed, at most 50 listed)."""
    bad = []
    with p.open("rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as exc:
                byte = line[exc.start:exc.start + 1]
                bad.append(f"line {lineno}: bytes that are not valid {encoding} (first: "
                           f"0x{byte.hex()} at character {exc.start + 1}); save the file as "
                           f"{encoding}, or pass the encoding it is in (e.g. latin-1)")
                if len(bad) >= 50:
                    break
    return ValidationError(str(p), bad or [f"not valid {encoding} text"])


def _decode(p: Path, encoding: str) -> str:
    """The file's text; non-decodable bytes are reported with their line numbers."""
    encoding = check_encoding(encoding)
    data = _read_limited(p)
    if not data.strip():
        raise ValidationError(str(p), ["the file is empty; expected a header line with the "
                                       "column names, then one row per incident"])
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise _bad_bytes(p, encoding) from None
    return text.removeprefix("\ufeff")


def _delimiter_problem(header: list[str]) -> str | None:
    """A message when a one-column header is really split by another delimiter."""
    if len(header) != 1:
        return None
    line = header[0]
    for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|' characters")):
        if line.count(sep) >= 2:
            return (f"line 1: the header is separated by {name}, not commas; export the file "
                    f"as comma-separated CSV")
    return None


def _read_csv_text(p: Path, encoding: str,
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
    """All cells as stripped strings ("" for empty); malformed CSV becomes ValidationError.

    Parsed with the standard :mod:`csv` module, streaming, so that a row with more or fewer
    cells than the header is reported (pandas would silently shift or pad it). A cell longer
    than :data:`MAX_FIELD_CHARS` or holding a NUL character is a problem of its row. When
    ``columns`` is given only those columns (where present) are kept, and repeated values
    share one string, so memory stays a small multiple of the kept text.
    """
    encoding = check_encoding(encoding)
    problems: list[str] = []
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        with p.open(encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, strict=True)
            try:
                header = next(reader, None)
                if header is None or not any(c.strip() for c in header):
                    raise ValidationError(str(p), [
                        "the file is empty; expected a header line with the column names, "
                        "then one row per incident"])
                header = [c.strip().lstrip("\ufeff").strip() for c in header]
                delim = _delimiter_problem(header)
                if delim:
                    raise ValidationError(str(p), [delim])
                width = len(header)
                keep = (list(range(width)) if columns is None
                        else [i for i, c in enumerate(header) if c in set(columns)])
                cols: list[list[str]] = [[] for _ in keep]
                shared: list[dict[str, str]] = [{} for _ in keep]
                row_no = 0
                for row in reader:
                    if not row or (len(row) == 1 and not row[0].strip() and width > 1):
                        continue  # blank line
                    row_no += 1
                    if len(row) != width:
                        problems.append(
                            f"line {reader.line_num}: {len(row)} cells but the header has "
                            f"{width}; not a well-formed CSV file (a missing or extra comma, "
                            f"or an unquoted comma in a value?)")
                        continue
                    for j, i in enumerate(keep):
                        v = row[i].strip()
                        if "\x00" in v:
                            problems.append(f"row {row_no}, '{header[i]}': contains a NUL "
                                            f"character; expected text")
                        cols[j].append(shared[j].setdefault(v, v) if len(v) < 40 else v)
                    if len(problems) > 1000:
                        break
            except csv.Error as exc:
                msg = str(exc)
                if "field larger than field limit" in msg:
                    msg = (f"a cell longer than {MAX_FIELD_CHARS:,} characters (an unclosed "
                           f"quote?)")
                raise ValidationError(str(p), [f"line {reader.line_num}: not a well-formed "
                                               f"CSV file ({msg})"]) from None
    except UnicodeDecodeError:
        raise _bad_bytes(p, encoding) from None
    except OSError as exc:
        raise DataNotFoundError(f"cannot read incident file {p}: {exc.strerror}") from exc
    finally:
        csv.field_size_limit(old_limit)
    if problems:
        raise ValidationError(str(p), problems)
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise ValidationError(str(p), [f"column '{c}' appears more than once in the header"
                                       for c in dupes])
    unnamed = [i + 1 for i, c in enumerate(header) if not c]
    if unnamed:
        raise ValidationError(str(p), [f"column {i} of the header has no name" for i in unnamed])
    return pd.DataFrame({header[i]: pd.Series(cols[j], dtype=object)
                         for j, i in enumerate(keep)}, columns=[header[i] for i in keep])


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
    except RecursionError:
        raise ValidationError(str(p), ["JSON nested too deeply (arrays or objects inside "
                                       "each other hundreds of levels deep)"]) from None
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


def _read_rows(p: Path, encoding: str, columns: Sequence[str] | None = None
               ) -> tuple[pd.DataFrame, int]:
    """A CSV file or a saved JSON API response as a frame of strings; and the number of
    HXL tag rows skipped (HDX files). ``columns``: keep only these of a CSV file."""
    if p.suffix.lower() == ".json":
        rows, _ = _json_rows(p, encoding)
        return records_frame(rows), 0
    return _drop_hxl_row(_read_csv_text(p, encoding, columns=columns))


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
            filtered: dict[str, int] | None = None,
            study_region: bool = True, rows_read: int | None = None,
            extra: dict | None = None) -> gpd.GeoDataFrame:
    """The validated frame of a file: raise every problem, filter (counted), and record
    ``source_file``, ``format``, ``rows_read`` (file rows; default one per incident),
    ``events_kept``, ``filtered``, ``coverage`` and the reader's ``extra`` attributes."""
    if problems:
        raise ValidationError(str(p), problems)
    frame = incidents_to_frame(incidents) if incidents else empty_incident_frame()
    frame.attrs["source_file"] = str(p)
    frame, filtered = filter_incidents(frame, violent_only=violent_only, bbox=bbox,
                                       filtered=filtered, study_region=study_region)
    frame.attrs.update({"source_file": str(p), "format": fmt,
                        "rows_read": len(incidents) if rows_read is None else rows_read,
                        "events_kept": len(frame), "filtered": filtered,
                        "coverage": file_coverage(fmt, [i.date for i in incidents],
                                                  [i.longitude for i in incidents],
                                                  [i.latitude for i in incidents], bbox=bbox),
                        **(extra or {})})
    logger.info("%s: %d incidents read (%s)%s", p.name, len(frame), fmt,
                "" if not filtered else "; filtered: " + ", ".join(
                    f"{k} {v}" for k, v in filtered.items()))
    return frame


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

