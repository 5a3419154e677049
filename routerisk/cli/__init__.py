"""The ``routerisk`` command line.

Each command group lives in its own module under ``routerisk.cli`` and exposes
``register(subparsers)``; the function it sets as ``func`` returns the exit code.

Failures become one line on stderr, never a traceback (``-v`` shows it):

- exit 1: bad data (:class:`~routerisk.errors.RouteRiskError`), an unreadable or unwritable
  file, a full disk, or an unexpected error;
- exit 2: bad arguments (argparse, :class:`~routerisk.errors.ArgumentError`);
- exit 130 on Ctrl-C, 143 on SIGTERM (outputs are left as they were: see
  ``docs/guarantees.md``); a closed stdout (``| head``) ends quietly with exit 0.
"""

from __future__ import annotations

import argparse
import errno
import gc
import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

from routerisk import __version__
from routerisk.errors import ArgumentError, RouteRiskError

#: Command modules, in the order their commands appear in ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "routerisk.cli.network",
    "routerisk.cli.incidents",
    "routerisk.cli.model",
    "routerisk.cli.score",
    "routerisk.cli.exposure",
    "routerisk.cli.report",
)

#: Exit codes.
EXIT_DATA, EXIT_USAGE, EXIT_SIGINT, EXIT_SIGTERM = 1, 2, 130, 143


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM arrives, so cleanup code runs as on Ctrl-C."""


def _on_sigterm(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    raise Terminated()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="routerisk",
        description="Disruption risk of road supply routes from incident history.")
    parser.add_argument("--version", action="version", version=f"routerisk {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress messages on stderr")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="debug messages, and the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _say(text: str) -> None:
    try:
        print(f"routerisk: {text}", file=sys.stderr)
        sys.stderr.flush()
    except OSError:
        pass


def _os_message(exc: OSError) -> str:
    name = exc.filename if exc.filename is not None else None
    what = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        what = "no space left on the device; free some space and run again (nothing was " \
               "left half-written)"
    elif exc.errno == errno.ENAMETOOLONG:
        what = "file name too long"
    return f"{name}: {what}" if name else what


def _stdout_gone() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        verbose = args.verbose
        level = logging.DEBUG if verbose else logging.WARNING if args.quiet else logging.INFO
        logging.basicConfig(level=level, format="routerisk: %(message)s", stream=sys.stderr,
                            force=True)
        return int(args.func(args) or 0)
    except ArgumentError as exc:
        if verbose:
            raise
        _say(f"error: {exc}")
        return EXIT_USAGE
    except RouteRiskError as exc:
        if verbose:
            raise
        _say(f"error: {exc}")
        return EXIT_DATA
    except Terminated:
        _say("terminated (SIGTERM); outputs left as they were")
        return EXIT_SIGTERM
    except KeyboardInterrupt:
        _say("interrupted; outputs left as they were")
        return EXIT_SIGINT
    except BrokenPipeError:
        _stdout_gone()
        return 0
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            _stdout_gone()
            return 0
        if verbose:
            raise
        if exc.errno == errno.ENOSPC and exc.filename is None:
            _stdout_gone()
        _say(f"error: {_os_message(exc)}")
        return EXIT_DATA
    except (RecursionError, MemoryError) as exc:
        if verbose:
            raise
        _say(f"error: the input is too large or too deeply nested ({type(exc).__name__})")
        return EXIT_DATA
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        if verbose:
            raise
        _say(f"error: unexpected {type(exc).__name__}: {exc} (run with -v for the traceback)")
        return EXIT_DATA


def run() -> None:
    """Console-script entry point: SIGTERM handled like Ctrl-C, exit with the code.

    The cyclic garbage collector runs about 70 times less often than Python's default
    (a first-generation threshold of 50,000 allocations instead of 700): a command builds its
    big structures once (road graph, gazetteer, incident arrays) and keeps them to the end,
    and the collector would rescan them again and again (about a sixth of a warm command's
    time); cycles are still collected, so a long run's memory stays bounded. :func:`main`
    called in-process leaves the collector as it is.

    OpenBLAS runs single-threaded unless ``OPENBLAS_NUM_THREADS`` says otherwise: a command's
    matrix products are small, and spare BLAS threads spinning for work cost about 0.15 CPU s
    per warm command on a busy 2-core machine.
    """
    gc.set_threshold(50_000, 20, 20)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is first imported
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):  # not the main thread
        pass
    try:
        code = main()
    except Terminated:
        _say("terminated (SIGTERM)")
        code = EXIT_SIGTERM
    except KeyboardInterrupt:
        _say("interrupted")
        code = EXIT_SIGINT
    try:
        sys.stdout.flush()
    except OSError:
        _stdout_gone()
    sys.exit(code)
