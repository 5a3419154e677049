"""The covered period in every command's output.

Each command that fits the hazard model states the history its probabilities rest on
(a ``history`` line in text, a ``history`` object in ``--json``) and, when the as-of date or
the fitting window reaches past the systematic coverage of the incidents, warns in one line
on stderr (:func:`routerisk.incidents.coverage.history_note`)."""

from __future__ import annotations

import sys
from typing import Any


def _as_dict(note: Any) -> dict:
    """A :class:`~routerisk.incidents.coverage.HistoryNote` or its dict form, as a dict."""
    return note if isinstance(note, dict) else note.to_dict()


def warn(note: Any) -> None:
    """Print the coverage warning, if any, as one line on stderr (``note``: a
    :class:`~routerisk.incidents.coverage.HistoryNote` or its dict form)."""
    warning = _as_dict(note).get("warning")
    if warning:
        print(f"routerisk: warning: {warning}", file=sys.stderr)


def lines(note: Any, *, label: str = "history") -> list[str]:
    """Text lines for the output: what the numbers rest on, then the warning (if any)."""
    d = _as_dict(note)
    out = [f"{label:<17} {d['rests_on'].removeprefix('history: ')}"]
    if d.get("warning"):
        out.append(f"{'':<17} ! {d['warning']}")
    return out
