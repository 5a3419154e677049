"""Tables of the report: frames → HTML tables, and the data files written beside the page.

The data files are what a GIS analyst opens: one CSV per table, one GeoJSON per map layer, and
one GeoPackage ``routerisk.gpkg`` holding every map layer (QGIS opens it directly).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from routerisk._output import (  # noqa: F401  (re-exported)
    csv_safe,
    fmt_bytes,
    fmt_int,
    fmt_km,
    fmt_sig,
)
from routerisk._output import fmt_percent as _fmt_percent

log = logging.getLogger(__name__)

#: Layers of the GeoPackage, in order.
GPKG_NAME = "routerisk.gpkg"
PDF_NAME = "report.pdf"

Formatter = Callable[[object], str]


def fmt_percent(x: object) -> str:
    """``0.0342`` → ``"3.4 %"``, with a no-break space (:func:`routerisk._output.fmt_percent`)."""
    return _fmt_percent(x, space="\u00a0")


def _cell(value: object, fmt: Formatter | None) -> str:
    try:
        missing = bool(pd.isna(value))
    except (TypeError, ValueError):
        missing = False
    if missing:
        return "<td class='na'>–</td>"
    if fmt is not None:
        text = fmt(value)
    elif isinstance(value, pd.Timestamp):
        text = value.date().isoformat()
    elif isinstance(value, (float, np.floating)):
        text = f"{value:.4g}"
    else:
        text = str(value)
    numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool)
    cls = " class='num'" if numeric else (
        " class='date'" if isinstance(value, pd.Timestamp) else "")
    return f"<td{cls}>{html.escape(text)}</td>"


def html_table(frame: pd.DataFrame, *, columns: Mapping[str, str] | None = None,
               formats: Mapping[str, Formatter] | None = None, table_id: str | None = None,
               caption: str | None = None, max_rows: int | None = None) -> str:
    """Render a frame as an HTML table.

    Parameters
    ----------
    frame
        The rows to show (its index is ignored; reset it first to show it).
    columns
        Columns to show (column → header), in order; default all columns as they are named.
    formats
        Formatter per column; others are shown with ``str`` (floats with 4 significant digits).
    table_id
        ``id`` attribute of the table (tests and links find tables by it).
    caption
        Table caption.
    max_rows
        Show at most this many rows and say how many were left out.

    Returns
    -------
    str
        The ``<table>`` element.
    """
    cols = dict(columns) if columns is not None else {c: str(c) for c in frame.columns}
    cols = {c: h for c, h in cols.items() if c in frame.columns}
    fmts = dict(formats or {})
    shown = frame if max_rows is None else frame.head(max_rows)
    attr = f" id='{html.escape(table_id)}'" if table_id else ""
    parts = [f"<div class='rr-tablewrap'><table class='rr-table'{attr}>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(
        f"<th data-col='{html.escape(str(c))}'>{html.escape(h)}</th>" for c, h in cols.items())
        + "</tr></thead><tbody>")
    for row in shown[list(cols)].itertuples(index=False, name=None):
        parts.append("<tr>" + "".join(
            _cell(v, fmts.get(c)) for c, v in zip(cols, row, strict=True)) + "</tr>")
    parts.append("</tbody></table></div>")
    if max_rows is not None and len(frame) > max_rows:
        parts.append(f"<p class='note'>{len(frame) - max_rows:,} more rows in the CSV file.</p>")
    return "".join(parts)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns a CSV/GPKG writer accepts: lists and dicts joined into strings."""
    out = frame.copy()
    for col in out.columns:
        if col == "geometry":
            continue
        if out[col].dtype == object:
            out[col] = out[col].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple, set))
                else (str(v) if isinstance(v, dict) else v))
    return out


def write_tables(out_dir: Path, tables: Mapping[str, pd.DataFrame]) -> dict[str, Path]:
    """Write every table as ``NAME.csv`` (geometry as WKT) and map layers as ``NAME.geojson``.

    Text cells that a spreadsheet would run as a formula are neutralised in the CSV files
    (:func:`routerisk._output.csv_safe`).

    Returns
    -------
    dict
        File name → path of every file written.
    """
    written: dict[str, Path] = {}
    for name, frame in tables.items():
        plain = _plain(frame)
        csv_path = out_dir / f"{name}.csv"
        if isinstance(plain, gpd.GeoDataFrame):
            as_csv = pd.DataFrame(plain.drop(columns="geometry"))
            as_csv["geometry_wkt"] = plain.geometry.to_wkt(rounding_precision=6)
            csv_safe(as_csv).to_csv(csv_path, index=False)
            gj_path = out_dir / f"{name}.geojson"
            if gj_path.exists():
                gj_path.unlink()
            plain.to_crs("EPSG:4326").to_file(gj_path, driver="GeoJSON", engine="pyogrio")
            written[gj_path.name] = gj_path
        else:
            csv_safe(plain).to_csv(csv_path, index=False)
        written[csv_path.name] = csv_path
    return written


def write_geopackage(path: Path, layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """Write the map layers into one GeoPackage (EPSG:4326), one layer each.

    Layers with no rows are written empty only when they have a geometry type to declare;
    otherwise they are left out (QGIS cannot open a layer without a geometry type).
    """
    if path.exists():
        path.unlink()
    for name, gdf in layers.items():
        if gdf is None or gdf.empty:
            log.info("GeoPackage: layer %s is empty, not written", name)
            continue
        _plain(gdf).to_crs("EPSG:4326").to_file(path, layer=name, driver="GPKG",
                                                 engine="pyogrio")
    return path


#: What each file holds (file name or stem → text).
_WHAT = {
    "index.html": "this report (self-contained)",
    GPKG_NAME: "GeoPackage: segments, incidents, corridors, fuel_routes, closures (QGIS)",
    "segments": "every directed road piece with its risk",
    "incidents": "incidents read (age and whether the model used them)",
    "corridors": "corridor routes with their risk",
    "corridor_profiles": "per-segment risk along each corridor",
    "corridor_top_segments": "ten riskiest segments per corridor",
    "fuel_routes": "fuel-import routes with their exposure",
    "fuel_links": "road links by volume-weighted risk",
    "scenarios": "seed scenarios against the baseline",
    "closures": "road pieces or areas closed by the scenarios",
    "backtest": "backtest scores, model vs baselines",
    "reliability": "reliability table of the backtest",
    "incident_files": "incident files read, with date ranges",
    "provenance.json": "inputs, parameters, assumptions, timings",
    "summary.json": "key figures a later report compares with (--compare)",
    "compare_corridors": "change of P and μ per corridor since the previous report",
    "compare_segments": "road pieces whose P rose or fell most since the previous report",
    "compare_incidents": "incidents new since the previous report's as-of date",
    PDF_NAME: "this page as PDF (--pdf)",
}


def file_list(files: Mapping[str, Path], *, pdf: bool = False) -> pd.DataFrame:
    """The files written beside the page with what they hold and their size (bytes for
    small files, kB and MB above)."""
    rows = [{"file": "index.html", "what": _WHAT["index.html"], "size": "this page"}]
    if pdf:
        rows.append({"file": PDF_NAME, "what": _WHAT[PDF_NAME],
                     "size": "printed from this page"})
    for name, path in sorted(files.items()):
        if name in ("index.html", PDF_NAME):
            continue
        stem = name.split(".")[0]
        kind = name.rsplit(".", 1)[-1].upper()
        size = fmt_bytes(path.stat().st_size) if path.exists() else "not written"
        rows.append({"file": name, "what": f"{_WHAT.get(name, _WHAT.get(stem, ''))} ({kind})",
                     "size": size})
    return pd.DataFrame(rows)
