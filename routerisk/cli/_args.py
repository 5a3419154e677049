"""Value types for the command-line options (``type=`` of ``add_argument``).

Each takes the option's text and returns the value, or raises
:class:`argparse.ArgumentTypeError` with a message naming what was expected; argparse then
prints it and exits with code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math


def _convert(text: str, convert, noun: str):
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not {noun}") from None


def iso_date(text: str) -> dt.date:
    """A date written YYYY-MM-DD."""
    return _convert(text, dt.date.fromisoformat, "a date (YYYY-MM-DD)")


def _positive_float(text: str, unit: str = "") -> float:
    val = _convert(text, float, f"a number{unit}")
    if not (val > 0 and math.isfinite(val)):
        raise argparse.ArgumentTypeError(f"must be a positive number{unit}; got {text}")
    return val


def positive(text: str) -> float:
    """A finite number > 0."""
    return _positive_float(text)


def non_negative(text: str) -> float:
    """A finite number >= 0."""
    val = _convert(text, float, "a number")
    if not (val >= 0 and math.isfinite(val)):
        raise argparse.ArgumentTypeError(f"must be a number >= 0; got {text}")
    return val


def km(text: str) -> float:
    """A distance in km: a finite number > 0."""
    return _positive_float(text, " of km")


def positive_int(text: str) -> int:
    """A whole number > 0."""
    val = _convert(text, int, "a whole number")
    if val <= 0:
        raise argparse.ArgumentTypeError(
            f"must be positive; got {text} (expected a positive whole number)")
    return val


def non_negative_int(text: str) -> int:
    """A whole number >= 0."""
    val = _convert(text, int, "a whole number")
    if val < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more; got {text}")
    return val


def count(text: str) -> int:
    """A whole number from 0 to 20 (rows to list, alternatives to look for)."""
    val = _convert(text, int, "a whole number")
    if not 0 <= val <= 20:
        raise argparse.ArgumentTypeError(f"must be between 0 and 20; got {text}")
    return val
