"""``routerisk incidents``: validate incident files and summarise incident history.

* ``routerisk incidents validate FILE [--format acled|ucdp|routerisk]`` — exit 0 and a
  summary (rows, date range, types, precision, what was filtered), or exit 1 and every
  problem on stderr.
* ``routerisk incidents summary [FILES...] [--corridor NAME] [--buffer-km K] [--json]`` —
  counts by year, event type, source and corridor; default: the project catalogue and the
  incident store, else the shared ACLED file (:func:`routerisk.incidents.io.default_incidents`).
* ``fetch``, ``import``, ``store`` — the local incident store
  (:mod:`routerisk.cli.incidents_store`).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from routerisk._output import print_json
from routerisk.cli import _args
from routerisk.errors import ArgumentError, SpecError, ValidationError
from routerisk.incidents import FORMATS

if TYPE_CHECKING:
    import pandas as pd


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``incidents`` command group."""
    p = subparsers.add_parser(
        "incidents", help="validate incident files, summarise incident history",
        description="Validate incident files (ACLED, UCDP GED, routerisk CSV/GeoJSON) and "
                    "summarise incident history by year, type and corridor.")
    sub = p.add_subparsers(dest="incidents_command", metavar="SUBCOMMAND", required=True)

    v = sub.add_parser("validate", help="check an incident file; list every problem",
                       description="Read and validate one incident file. Exit 0 with a "
                                   "summary, or exit 1 with every problem listed.")
    v.add_argument("file", metavar="FILE", help="incident file (CSV or GeoJSON)")
    v.add_argument("--format", choices=FORMATS, default=None,
                   help="file format (default: detected from the columns)")
    v.add_argument("--violent-only", action="store_true",
                   help="count non-violent types as filtered")
    v.add_argument("--encoding", default="utf-8", help="text encoding (default utf-8)")
    v.add_argument("--json", action="store_true", help="print the summary as JSON")
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("summary", help="counts by year, type and corridor",
                       description="Count incidents by year, event type and source, overall "
                                   "and within a buffer of corridors. Default files: the "
                                   "project catalogue and the shared ACLED file, "
                                   "deduplicated.")
    s.add_argument("files", nargs="*", metavar="FILE", help="incident files (default: "
                   "incidents/catalogue.csv + the incident store, else the shared ACLED "
                   "file)")
    s.add_argument("--format", choices=FORMATS, default=None,
                   help="format of every FILE (default: detected per file)")
    s.add_argument("--corridor", action="append", default=[], metavar="NAME",
                   help="count incidents within the buffer of this corridor (repeatable; "
                        "'all' for every corridor)")
    s.add_argument("--buffer-km", type=_args.non_negative, default=None, metavar="K",
                   help="buffer around the corridor, km (default: the corridor's buffer_km)")
    s.add_argument("--violent-only", action="store_true",
                   help="keep only violent event types")
    s.add_argument("--no-dedup", action="store_true",
                   help="do not merge the same event reported by several files")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_summary)

    from routerisk.cli import incidents_store

    incidents_store.register(sub)


# --- summaries (pure) ----------------------------------------------------------------------

def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.value_counts().sort_index().items()}


def summarize(frame: pd.DataFrame) -> dict:
    """Counts of an incident frame: rows, date range, by year/type/target/source/precision."""
    n = len(frame)
    out: dict = {"rows": n}
    if n:
        out["date_range"] = [frame["date"].min().date().isoformat(),
                             frame["date"].max().date().isoformat()]
        out["by_year"] = _counts(frame["date"].dt.year)
        out["by_type"] = _counts(frame["event_type"])
        out["by_target"] = _counts(frame["target"])
        sources = frame["source"].str.split(";").explode().str.strip()
        sources = sources.where(~sources.str.startswith("seeds/"), "catalogue (seeds/...)")
        out["by_source"] = _counts(sources)
        out["date_precision"] = _counts(frame["date_precision"])
        km = frame["location_precision_km"]
        out["location_precision_km"] = {
            "median": float(km.median()), "max": float(km.max()),
            "within_5_km": int((km <= 5).sum()), "over_50_km": int((km > 50).sum())}
        out["fatalities"] = int(frame["fatalities"].fillna(0).sum())
        from routerisk.config import STUDY_BBOX

        x0, y0, x1, y1 = STUDY_BBOX
        inside = frame["longitude"].between(x0, x1) & frame["latitude"].between(y0, y1)
        out["outside_study_area"] = int((~inside).sum())
    else:
        out["date_range"] = None
    return out


def corridor_subset(frame: pd.DataFrame, corridor, *, buffer_km: float | None = None
                    ) -> tuple[pd.DataFrame, float]:
    """Incidents within ``buffer_km`` (default the corridor's ``buffer_km``) of the straight
    polyline through the corridor's waypoints; also returns the buffer used."""
    km = float(buffer_km if buffer_km is not None else corridor.buffer_km)
    if not (km >= 0 and math.isfinite(km)):
        raise ArgumentError(f"--buffer-km must be a finite number >= 0; got {km:g}",
                            option="--buffer-km")
    wps = list(corridor.waypoints)
    if not wps:
        raise SpecError(f"corridor '{corridor.name}' has no waypoints")
    if not len(frame):
        return frame, km
    import shapely

    from routerisk.geo.projection import distance_to_line_km

    line = (shapely.LineString([(w.lon, w.lat) for w in wps]) if len(wps) > 1
            else shapely.Point(wps[0].lon, wps[0].lat))
    d = distance_to_line_km(frame["longitude"].to_numpy(float),
                            frame["latitude"].to_numpy(float), line)
    return frame.loc[d <= km], km


def _get_corridors(names: Sequence[str]) -> list:
    """Corridors by name; ``all`` stands for every corridor in ``networks/corridors.toml``."""
    try:
        from routerisk.network.corridors import get_corridor, load_corridors
    except ImportError as exc:  # the corridor stage is not installed
        raise SpecError(f"corridors are not available in this installation ({exc})") from None
    out = []
    for name in names:
        if name.strip().lower() == "all":
            out.extend(load_corridors().values())
        else:
            out.append(get_corridor(name))
    return list({c.name: c for c in out}.values())


# --- commands ------------------------------------------------------------------------------

def _print_summary(summary: dict, out=None, indent: str = "") -> None:
    out = out or sys.stdout
    print(f"{indent}rows: {summary['rows']}", file=out)
    if summary.get("date_range"):
        a, b = summary["date_range"]
        print(f"{indent}date range: {a} .. {b}", file=out)
    for key, label in (("by_type", "event types"), ("by_target", "targets"),
                       ("by_source", "sources"), ("date_precision", "date precision")):
        if summary.get(key):
            items = ", ".join(f"{k} {v}" for k, v in
                              sorted(summary[key].items(), key=lambda kv: (-kv[1], kv[0])))
            print(f"{indent}{label}: {items}", file=out)
    if summary.get("location_precision_km"):
        lp = summary["location_precision_km"]
        print(f"{indent}location precision: median {lp['median']:g} km, max {lp['max']:g} km, "
              f"{lp['within_5_km']} within 5 km, {lp['over_50_km']} over 50 km", file=out)
    if summary.get("outside_study_area"):
        from routerisk.config import STUDY_BBOX

        print(f"{indent}outside the study area ({','.join(f'{v:g}' for v in STUDY_BBOX)}): "
              f"{summary['outside_study_area']} (kept here; `incidents import` and `fetch` "
              f"count them as filtered)", file=out)
    if summary.get("by_year"):
        years = ", ".join(f"{k} {v}" for k, v in summary["by_year"].items())
        print(f"{indent}by year: {years}", file=out)


def _filtered_line(filtered: dict) -> str:
    if not filtered:
        return "filtered: nothing"
    return "filtered: " + ", ".join(f"{k} {v}" for k, v in sorted(filtered.items()))


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate one file; print a summary, or every problem on stderr (exit 1)."""
    from routerisk.incidents.io import read_incidents

    try:
        frame = read_incidents(args.file, format=args.format, violent_only=args.violent_only,
                               encoding=args.encoding)
    except ValidationError as exc:
        print(f"routerisk: error: {exc.source}: {len(exc.problems)} problem(s); "
              f"the file is not valid", file=sys.stderr)
        for p in exc.problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    summary = summarize(frame)
    summary.update({"file": str(args.file), "format": frame.attrs.get("format"),
                    "layout": frame.attrs.get("layout"),
                    "rows_read": frame.attrs.get("rows_read", len(frame)),
                    "filtered": frame.attrs.get("filtered", {})})
    if frame.attrs.get("actor_rows_collapsed"):
        summary["actor_rows_collapsed"] = frame.attrs["actor_rows_collapsed"]
    if frame.attrs.get("hxl_rows_skipped"):
        summary["hxl_rows_skipped"] = frame.attrs["hxl_rows_skipped"]
    summary["events_kept"] = len(frame)
    if args.json:
        print_json(summary)
        return 0
    layout = f", {summary['layout']}" if summary.get("layout") else ""
    print(f"{args.file}: valid ({summary['format']}{layout})")
    print(f"rows read: {summary['rows_read']}; events kept: {summary['events_kept']}")
    if summary.get("hxl_rows_skipped"):
        print("HXL tag row (second line) skipped")
    if summary.get("actor_rows_collapsed"):
        print(f"actor rows collapsed into their events: {summary['actor_rows_collapsed']}")
    print(_filtered_line(summary["filtered"]))
    _print_summary(summary)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    """Counts by year, type, source and corridor."""
    from routerisk.incidents.io import combine, default_incidents, read_incidents

    if args.files:
        frames = [read_incidents(f, format=args.format, violent_only=args.violent_only)
                  for f in args.files]
        frame = combine(frames, dedup=not args.no_dedup)
    else:
        frame = default_incidents(violent_only=args.violent_only, dedup=not args.no_dedup)
    result = summarize(frame)
    result["files"] = list(frame.attrs.get("sources", []))
    result["filtered"] = frame.attrs.get("filtered", {})
    result["duplicates_merged"] = int(frame.attrs.get("duplicates_merged", 0))
    result["rows_read"] = int(frame.attrs.get("rows_read", len(frame)))
    result["events_kept"] = len(frame)
    corridors = []
    for corridor in _get_corridors(args.corridor):
        sub, km = corridor_subset(frame, corridor, buffer_km=args.buffer_km)
        entry = {"corridor": corridor.name, "buffer_km": km,
                 "waypoints": [w.name for w in corridor.waypoints]}
        entry.update(summarize(sub))
        corridors.append(entry)
    if corridors:
        result["corridors"] = corridors
    if args.json:
        print_json(result)
        return 0
    print("files: " + ("; ".join(result["files"]) or "(none)"))
    print(f"rows read: {result['rows_read']}; events kept: {result['events_kept']}")
    print(_filtered_line(result["filtered"])
          + f"; duplicates merged: {result['duplicates_merged']}")
    _print_summary(result)
    for entry in corridors:
        print(f"\ncorridor {entry['corridor']} (within {entry['buffer_km']:g} km of "
              f"{' - '.join(entry['waypoints'])}):")
        _print_summary(entry, indent="  ")
    return 0
