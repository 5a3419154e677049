"""``routerisk report``: the analyst report, one self-contained HTML page plus its tables.

``routerisk report [--as-of DATE] [--horizon-days N] [--incidents FILE...] [--network PATH]
[--no-backtest] [--no-tiles] [--no-notes] [--compare PREVIOUS_REPORT_DIR] [--pdf] --out DIR``
writes ``DIR/index.html`` and the CSV, GeoJSON and GeoPackage files behind it (see
:func:`routerisk.report.build_report`), swapped into place only when complete.
``--compare`` adds what changed since a previous report; ``--pdf`` also prints the page to
``DIR/report.pdf`` with headless Chromium. Progress goes to stderr (silence it with
``routerisk --quiet report ...``); the last line on stdout is the path of the page.
"""

from __future__ import annotations

import argparse
import logging

from routerisk.cli import _args, _model
from routerisk.errors import SpecError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` command."""
    from routerisk.model import DEFAULT_BACKTEST_AS_OF, DEFAULT_BACKTEST_HORIZON_DAYS

    p = subparsers.add_parser(
        "report", help="write the analyst report (HTML page, maps, charts, tables)",
        description="Run the whole pipeline (network, incidents, hazard model, corridor "
                    "risk, fuel exposure, scenarios, backtest) and write a self-contained "
                    "HTML report with its tables (CSV, GeoJSON, GeoPackage) into DIR.")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--as-of", type=_args.iso_date, default=None, metavar="DATE",
                   help="forecast date (default: the day after the latest incident)")
    p.add_argument("--horizon-days", type=_args.positive_int, default=30, metavar="N",
                   help="horizon of every probability, days (default 30)")
    p.add_argument("--incidents", nargs="+", default=None, metavar="FILE",
                   help="incident files (routerisk CSV/GeoJSON, ACLED, UCDP; default: the "
                        "project catalogue + the shared ACLED file)")
    _model.add_network_option(p)
    _model.add_model_option(p)
    p.add_argument("--no-backtest", action="store_true",
                   help="leave out the backtest (saves about half a minute; the page says "
                        "it was skipped)")
    p.add_argument("--backtest-as-of", type=_args.iso_date, default=DEFAULT_BACKTEST_AS_OF,
                   metavar="DATE", help="time split of the backtest inside the ACLED file "
                   f"(default {DEFAULT_BACKTEST_AS_OF})")
    p.add_argument("--backtest-horizon-days", type=_args.positive_int,
                   default=DEFAULT_BACKTEST_HORIZON_DAYS, metavar="N",
                   help=f"backtest window, days (default {DEFAULT_BACKTEST_HORIZON_DAYS})")
    p.add_argument("--backtest-incidents", default=None, metavar="FILE",
                   help="ACLED file for the backtest (default: the shared one)")
    p.add_argument("--no-tiles", action="store_true",
                   help="no OpenStreetMap background tiles (the page then makes no network "
                        "request at all)")
    p.add_argument("--compare", default=None, metavar="PREVIOUS_REPORT_DIR",
                   help="folder of a previous report: add a 'What changed' section and map "
                        "layer (change of P and μ per corridor, pieces that rose or fell "
                        "most, new incidents, changed data period or parameters)")
    p.add_argument("--pdf", action="store_true",
                   help="also print the page to DIR/report.pdf with headless Chromium")
    p.add_argument("--no-notes", action="store_true",
                   help="leave the incidents' raw source text (notes) out of the page and "
                        "every export, for a report meant for publication (ACLED's terms "
                        "forbid redistributing its rows)")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Build the report; print the path of ``index.html``."""
    from routerisk.report import build_report

    # third-party chatter ("Created 9,678 records") is not progress
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    for name in args.incidents or []:
        if not name.strip():
            raise SpecError("--incidents: empty file name")
    model = _model.model(args)[0] if args.model else None
    result = build_report(
        args.out, as_of=args.as_of, horizon_days=args.horizon_days, incidents=args.incidents,
        network=args.network, backtest=not args.no_backtest,
        backtest_as_of=args.backtest_as_of, backtest_horizon_days=args.backtest_horizon_days,
        backtest_incidents=args.backtest_incidents, tiles=None if args.no_tiles else "osm",
        compare=args.compare, pdf=args.pdf, model=model, notes=not args.no_notes)
    log = logging.getLogger(__name__)
    for item in result.missing:
        log.warning("not in the report: %s", item)
    print(result.index)
    return 0
