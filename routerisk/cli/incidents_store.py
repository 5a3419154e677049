"""``routerisk incidents fetch | import | store``: the local incident store.

* ``routerisk incidents fetch [--source acled|ucdp|all] [--country C ...] [--bbox W,S,E,N]
  [--start D] [--end D]`` — bring the store up to date from the ACLED API and/or the UCDP
  GED API (credentials from the environment or the credentials file, never options);
  progress on stderr, a summary on stdout (``--json``). Exit 1 when a source refuses the
  credentials or cannot be read after the retries (the pages already fetched are kept and
  the next run resumes).
* ``routerisk incidents import FILE ...`` — add incident files of any supported layout.
* ``routerisk incidents store [--json]`` — counts by source and year, and the coverage.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from routerisk._output import fmt_int, print_json
from routerisk.cli._args import iso_date, positive_int
from routerisk.incidents import FORMATS
from routerisk.incidents.fetch import (
    ACLED_URL,
    ACLED_URL_ENV,
    DEFAULT_BBOX,
    DEFAULT_COUNTRIES,
    UCDP_URL,
    UCDP_URL_ENV,
    country_code,
    version_period,
)

if TYPE_CHECKING:
    from routerisk.incidents.fetch import FetchResult

def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        vals = tuple(float(v) for v in text.split(","))
    except ValueError:
        vals = ()
    if len(vals) != 4 or not (vals[0] < vals[2] and vals[1] < vals[3]):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a bounding box W,S,E,N in degrees (west < east, south < north)")
    return vals  # type: ignore[return-value]


def _country(text: str) -> str:
    try:
        return country_code(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _ucdp_version(text: str) -> str:
    try:
        version_period(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _store_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", metavar="PATH", default=None,
                   help="the incident store (default: $ROUTERISK_STORE, else "
                        "incidents.sqlite in the user data directory)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``fetch``, ``import`` and ``store`` to the ``incidents`` group."""
    f = sub.add_parser(
        "fetch", help="bring the incident store up to date from ACLED / UCDP",
        description="Fetch events from the ACLED API and/or the UCDP GED API into the local "
                    "incident store. Resumable (an interrupted fetch continues where it "
                    "stopped) and incremental (a later fetch of the same query asks only for "
                    "what changed, applies revisions and removes deleted events). "
                    "Credentials: ACLED_USERNAME + ACLED_PASSWORD (or ACLED_ACCESS_TOKEN), "
                    "UCDP_ACCESS_TOKEN, or credentials.toml in the user data directory (or "
                    "$ROUTERISK_CREDENTIALS): [acled] username/password/access_token, [ucdp] "
                    "access_token.")
    f.add_argument("--source", choices=("acled", "ucdp", "all"), default="acled",
                   help="which API (default acled)")
    f.add_argument("--country", action="append", type=_country, default=None, metavar="C",
                   help=f"ISO3 code or name, repeatable (default: "
                        f"{' '.join(DEFAULT_COUNTRIES)})")
    f.add_argument("--bbox", type=_bbox, default=DEFAULT_BBOX, metavar="W,S,E,N",
                   help="keep events inside this box, degrees (default: the study area "
                        f"{','.join(f'{v:g}' for v in DEFAULT_BBOX)}); rows outside are "
                        "counted, not stored")
    f.add_argument("--start", type=iso_date, default=None, metavar="YYYY-MM-DD",
                   help="first event date (default: 1997-01-01 ACLED, 1989-01-01 UCDP)")
    f.add_argument("--end", type=iso_date, default=None, metavar="YYYY-MM-DD",
                   help="last event date (default: today; an open end is what later "
                        "incremental fetches continue)")
    f.add_argument("--ucdp-version", type=_ucdp_version, default=None, metavar="V",
                   help="GED version: annual 'YY.1' (default 25.1) or monthly Candidate "
                        "'YY.0.M'")
    f.add_argument("--acled-url", default=None, metavar="URL",
                   help=f"ACLED base URL (default: ${ACLED_URL_ENV}, else {ACLED_URL})")
    f.add_argument("--ucdp-url", default=None, metavar="URL",
                   help=f"UCDP API base URL (default: ${UCDP_URL_ENV}, else {UCDP_URL})")
    f.add_argument("--page-size", type=positive_int, default=None, metavar="N",
                   help="rows per page (default: ACLED 5000, UCDP 1000)")
    f.add_argument("--refresh", action="store_true",
                   help="fetch a finished UCDP version again")
    f.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    f.add_argument("--json", action="store_true", help="print the summary as JSON")
    _store_option(f)
    f.set_defaults(func=cmd_fetch)

    i = sub.add_parser("import", help="add incident files to the store",
                       description="Add incident files (ACLED CSV/HDX/API JSON, UCDP GED "
                                   "CSV/API JSON, routerisk CSV/GeoJSON) to the store. ACLED "
                                   "and UCDP rows are keyed by their source ids, so a later "
                                   "fetch revises them.")
    i.add_argument("files", nargs="+", metavar="FILE")
    i.add_argument("--format", choices=FORMATS, default=None,
                   help="format of every FILE (default: detected per file)")
    i.add_argument("--bbox", type=_bbox, default=DEFAULT_BBOX, metavar="W,S,E,N",
                   help="keep events inside this box (default: the study area); rows "
                        "outside are counted as filtered, not stored")
    i.add_argument("--json", action="store_true", help="print the summary as JSON")
    _store_option(i)
    i.set_defaults(func=cmd_import)

    s = sub.add_parser("store", help="what the incident store holds and covers",
                       description="Counts of the incident store by source and year, and "
                                   "its coverage (the date range and area fetched per "
                                   "source).")
    s.add_argument("--reclassify", action="store_true",
                   help="classify the stored raw rows of fetched events again with the "
                        "current event-type and target rules")
    s.add_argument("--json", action="store_true", help="print JSON")
    _store_option(s)
    s.set_defaults(func=cmd_store)


def _progress(quiet: bool):
    if quiet:
        return None
    return lambda line: print(line, file=sys.stderr, flush=True)


def _result_line(r: FetchResult) -> str:
    if r.up_to_date:
        return f"{r.source}: up to date (this version was fetched in full before)"
    how = "resumed" if r.resumed else ("incremental" if r.incremental else "full")
    parts = [f"{r.source} ({how}): {fmt_int(r.rows)} rows in {r.pages} page(s)",
             f"{fmt_int(r.new)} new", f"{fmt_int(r.revised)} revised"]
    if r.unchanged:
        parts.append(f"{fmt_int(r.unchanged)} unchanged")
    if r.stale:
        parts.append(f"{fmt_int(r.stale)} older than stored (kept stored)")
    if r.deleted:
        parts.append(f"{fmt_int(r.deleted)} deleted by the source, removed")
    for reason, n in sorted(r.filtered.items()):
        parts.append(f"filtered {reason} {fmt_int(n)}")
    if r.invalid:
        parts.append(f"{fmt_int(r.invalid)} invalid rows not stored")
    line = "; ".join(parts)
    if r.coverage:
        line += f"\n  covers {r.coverage['start']} … {r.coverage['end']}"
    return line


def cmd_fetch(args: argparse.Namespace) -> int:
    """Fetch from the chosen APIs into the store."""
    from routerisk.incidents.acled_api import fetch_acled
    from routerisk.incidents.fetch import (
        FetchQuery,
        acled_credentials,
        base_url,
        ucdp_credentials,
    )
    from routerisk.incidents.store import IncidentStore
    from routerisk.incidents.ucdp_api import fetch_ucdp

    countries = tuple(dict.fromkeys(args.country or DEFAULT_COUNTRIES))
    bbox = args.bbox
    results = []
    with IncidentStore(args.store) as store:
        progress = _progress(args.quiet)
        if args.source in ("acled", "all"):
            query = FetchQuery("ACLED", countries, bbox, args.start or
                               FetchQuery.start, args.end)
            kw = {"page_size": args.page_size} if args.page_size else {}
            results.append(fetch_acled(
                store, query, base=base_url(args.acled_url, ACLED_URL_ENV, ACLED_URL),
                credentials=acled_credentials(), progress=progress, **kw))
        if args.source in ("ucdp", "all"):
            import datetime as dt

            from routerisk.incidents.ucdp_api import DEFAULT_VERSION

            query = FetchQuery("UCDP", countries, bbox,
                               args.start or dt.date(1989, 1, 1), args.end,
                               args.ucdp_version or DEFAULT_VERSION)
            kw = {"page_size": args.page_size} if args.page_size else {}
            results.append(fetch_ucdp(
                store, query, base=base_url(args.ucdp_url, UCDP_URL_ENV, UCDP_URL),
                credentials=ucdp_credentials(), progress=progress, refresh=args.refresh,
                **kw))
        path = store.path
    if args.json:
        print_json({"store": str(path), "results": [r.as_dict() for r in results]})
        return 0
    print(f"store: {path}")
    for r in results:
        print(_result_line(r))
        for p in r.problems[:5]:
            print(f"  - {p}", file=sys.stderr)
        if len(r.problems) > 5:
            print(f"  ... and {len(r.problems) - 5} more problems", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Read each file (validated as ``incidents validate`` does) and add it to the store."""
    from routerisk.incidents.io import read_incidents
    from routerisk.incidents.store import IncidentStore

    bbox = args.bbox
    out = []
    with IncidentStore(args.store) as store:
        for f in args.files:
            frame = read_incidents(f, format=args.format, bbox=bbox)
            counts = store.import_frame(frame, origin=f"file:{f}", bbox=bbox)
            out.append({"file": str(f), "format": frame.attrs.get("format"),
                        "rows_read": frame.attrs.get("rows_read", len(frame)),
                        "hxl_rows_skipped": frame.attrs.get("hxl_rows_skipped", 0),
                        "filtered": frame.attrs.get("filtered", {}),
                        "events": len(frame), "new": counts.new, "revised": counts.revised,
                        "older_than_stored": counts.stale})
        path = store.path
    if args.json:
        print_json({"store": str(path), "files": out})
        return 0
    print(f"store: {path}")
    for e in out:
        hxl = ", HXL tag row skipped" if e["hxl_rows_skipped"] else ""
        filtered = "".join(f", filtered {k} {fmt_int(v)}" for k, v in
                           sorted(e["filtered"].items()))
        print(f"{e['file']} ({e['format']}{hxl}): {fmt_int(e['rows_read'])} rows read"
              f"{filtered}; {fmt_int(e['events'])} events stored: {fmt_int(e['new'])} new, "
              f"{fmt_int(e['revised'])} replaced"
              + (f", {fmt_int(e['older_than_stored'])} older than stored"
                 if e["older_than_stored"] else ""))
    return 0


def cmd_store(args: argparse.Namespace) -> int:
    """Counts by source and year, and the coverage."""
    from routerisk.incidents.store import IncidentStore, store_path

    path = store_path(args.store)
    if not path.is_file():
        print(f"routerisk: error: no incident store at {path}; create it with `routerisk "
              f"incidents fetch` or `routerisk incidents import FILE`", file=sys.stderr)
        return 1
    with IncidentStore(path, create=False) as store:
        redone = store.reclassify() if args.reclassify else None
        counts, coverage = store.counts(), store.coverage()
    if args.json:
        print_json({"store": str(path), "counts": counts, "coverage": coverage,
                    **({"reclassified": redone} if redone else {})})
        return 0
    if redone:
        print(f"reclassified: {redone['changed']} changed, {redone['unchanged']} unchanged, "
              f"{redone['not_reclassifiable']} imported from files (kept as read)")
    total = sum(n for by_year in counts.values() for n in by_year.values())
    print(f"store: {path}: {fmt_int(total)} incidents")
    for source, by_year in counts.items():
        years = ", ".join(f"{y} {n}" for y, n in by_year.items())
        print(f"  {source}: {fmt_int(sum(by_year.values()))} ({years})")
    print("coverage:" if coverage else "coverage: none recorded")
    for c in coverage:
        where = ("bbox " + ",".join(f"{v:g}" for v in c["bbox"])) if c["bbox"] else "any area"
        if c["countries"]:
            where += "; " + " ".join(c["countries"])
        print(f"  {c['source']} {c['start']} … {c['end']} ({c['basis']}; {where})")
    return 0
