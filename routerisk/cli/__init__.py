"""The ``routerisk`` command line.

Each command group lives in its own module under ``routerisk.cli`` and exposes
``register(subparsers)``; the function it sets as ``func`` returns the exit code.
A :class:`~routerisk.errors.RouteRiskError` becomes one line on stderr and exit code 1;
bad arguments exit with code 2 (argparse). No traceback reaches the user for either.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from routerisk import __version__
from routerisk.errors import RouteRiskError

#: Command modules, in the order their commands appear in ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "routerisk.cli.network",
    "routerisk.cli.incidents",
    "routerisk.cli.model",
    "routerisk.cli.score",
    "routerisk.cli.exposure",
    "routerisk.cli.report",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="routerisk",
        description="Disruption risk of road supply routes from incident history.")
    parser.add_argument("--version", action="version", version=f"routerisk {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress messages on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="routerisk: %(message)s", stream=sys.stderr, force=True)
    try:
        return int(args.func(args) or 0)
    except RouteRiskError as exc:
        print(f"routerisk: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("routerisk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
