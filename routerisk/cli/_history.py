"""The covered period in every command's output.

Each command that fits the hazard model states the history its probabilities rest on
(a ``history`` line in text, a ``history`` object in ``--json``) and, when the as-of date or
the fitting window reaches past the systematic coverage of the incidents, warns in one line
on stderr (:func:`routerisk.incidents.coverage.history_note`)."""

from __future__ import annotations

import sys

from routerisk.incidents.coverage import HistoryNote


def warn(note: HistoryNote | dict) -> None:
    """Print the coverage warning, if any, as one line on stderr."""
    warning = note.get("warning") if isinstance(note, dict) else note.warning
    if warning:
        print(f"routerisk: warning: {warning}", file=sys.stderr)


def lines(note: HistoryNote | dict, *, label: str = "history") -> list[str]:
    """Text lines for the output: what the numbers rest on, then the warning (if any).

    ``note`` is a :class:`HistoryNote` or its :meth:`~HistoryNote.to_dict` form."""
    d = note.to_dict() if isinstance(note, HistoryNote) else note
    out = [f"{label:<17} {d['rests_on'].removeprefix('history: ')}"]
    if d.get("warning"):
        out.append(f"{'':<17} ! {d['warning']}")
    return out
