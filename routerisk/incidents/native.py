"""routerisk's own incident files: CSV and GeoJSON in the
:class:`~routerisk.incidents.schema.Incident` schema."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from routerisk.errors import ValidationError
from routerisk.incidents._files import (
    MAX_FIELD_CHARS,
    _cached,
    _check_file,
    _decode,
    _duplicates,
    _finish,
    _read_csv_text,
    _require,
    _row_names,
)
from routerisk.incidents.filters import BBox
from routerisk.incidents.schema import (
    INCIDENT_COLUMNS,
    validate_records,
)

logger = logging.getLogger(__name__)


_REQUIRED = ("incident_id", "date", "latitude", "longitude", "event_type", "source")


@_cached
def read_routerisk(path: str | os.PathLike[str], *, violent_only: bool = False,
                   bbox: BBox | None = None, encoding: str = "utf-8",
                   check_swapped: bool = True) -> gpd.GeoDataFrame:
    """Read a CSV or GeoJSON file in routerisk's own incident schema.

    CSV: a header with the :class:`~routerisk.incidents.schema.Incident` field names (``incident_id,
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
                       violent_only=violent_only, bbox=bbox,
                    study_region=check_swapped)
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
                   bbox=bbox,
                    study_region=check_swapped)


def _geojson_records(p: Path, encoding: str) -> tuple[list[dict], list[str], list[str]]:
    text = _decode(p, encoding)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(str(p), [f"line {exc.lineno}, column {exc.colno}: not valid "
                                       f"JSON ({exc.msg})"]) from None
    except RecursionError:
        raise ValidationError(str(p), ["JSON nested too deeply (arrays or objects inside "
                                       "each other hundreds of levels deep); expected a "
                                       "GeoJSON FeatureCollection"]) from None
    del text
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
        rec = {}
        for k, v in props.items():
            if isinstance(v, dict | list):
                problems.append(f"{name}, '{k}': expected a text or a number; got a JSON "
                                f"{'object' if isinstance(v, dict) else 'array'}")
            elif isinstance(v, str) and len(v) > MAX_FIELD_CHARS:
                problems.append(f"{name}, '{k}': {len(v):,} characters; at most "
                                f"{MAX_FIELD_CHARS:,} allowed")
            else:
                rec[k] = v
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

