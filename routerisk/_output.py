"""One convention for what routerisk shows and writes: numbers, JSON and atomic files.

- Numbers for people: :func:`fmt_percent`, :func:`fmt_sig`, :func:`fmt_km`, :func:`fmt_int`
  (missing values read ``n/a``).
- JSON for programs: :func:`jsonable` turns numpy scalars, timestamps, paths and
  non-finite floats into strict JSON (NaN and ±inf become ``null``); probabilities are
  never rounded; names carry units (``p_disrupt``, ``length_km``, ``horizon_days``).
- Files: :func:`write_text_atomic` writes beside the target and renames, so a reader sees
  the old file or the new one, never a half-written one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

#: What a missing number reads as.
MISSING = "n/a"


def _number(x: object) -> float | None:
    """``x`` as a finite float, or ``None`` when missing or not finite."""
    if x is None:
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def fmt_percent(x: object, *, space: str = " ") -> str:
    """``0.0342`` → ``"3.4 %"``; below 0.1 % two significant digits; ``n/a`` when missing.

    ``space`` separates number and sign (``"\\u00a0"`` in HTML so they never wrap apart).
    """
    v = _number(x)
    if v is None:
        return MISSING
    if v == 0:
        return f"0{space}%"
    if abs(v) < 0.001:
        return f"{v * 100:.2g}{space}%"
    return f"{v * 100:.1f}{space}%"


def fmt_sig(x: object, digits: int = 3) -> str:
    """``digits`` significant digits; ``n/a`` when missing."""
    v = _number(x)
    return MISSING if v is None else f"{v:.{digits}g}"


def fmt_km(x: object) -> str:
    """One decimal with thousands separators; ``n/a`` when missing."""
    v = _number(x)
    return MISSING if v is None else f"{v:,.1f}"


def fmt_int(x: object) -> str:
    """Whole number with thousands separators; ``n/a`` when missing."""
    v = _number(x)
    return MISSING if v is None else f"{int(round(v)):,}"


def fmt_bytes(n: object) -> str:
    """A file size with honest units: bytes below 1,000, then kB and MB (powers of 1,000):
    ``232`` → ``"232 B"``, ``14_692`` → ``"14.7 kB"``, ``4_850_759`` → ``"4.9 MB"``."""
    v = _number(n)
    if v is None:
        return MISSING
    if v < 1000:
        return f"{int(v):,} B"
    if v < 1_000_000:
        return f"{v / 1000:,.1f} kB"
    return f"{v / 1_000_000:,.1f} MB"


def jsonable(obj: Any) -> Any:
    """``obj`` converted to plain JSON types, recursively.

    numpy scalars and arrays become Python numbers and lists, NaN and ±inf ``None``,
    timestamps and dates ISO strings (a date when there is no time of day), paths
    strings, dataclasses dicts, sets sorted lists; anything else unknown its ``str``.
    """
    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return sorted((jsonable(v) for v in obj), key=str)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable(dataclasses.asdict(obj))
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    module = type(obj).__module__
    if module.startswith("numpy"):
        if hasattr(obj, "tolist"):
            return jsonable(obj.tolist())
    if module.startswith("pandas"):
        import pandas as pd

        if obj is pd.NaT or obj is pd.NA:
            return None
        if isinstance(obj, pd.Timestamp):
            return obj.date().isoformat() if obj == obj.normalize() else obj.isoformat()
        if isinstance(obj, (pd.Series, pd.Index)):
            return jsonable(obj.tolist())
    if isinstance(obj, dt.datetime):
        return obj.isoformat()
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return str(obj)


def dumps_json(obj: Any) -> str:
    """Strict, indented JSON text of ``obj`` (see :func:`jsonable`), with a final newline."""
    return json.dumps(jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def print_json(obj: Any, stream: IO[str] | None = None) -> None:
    """Write ``obj`` as strict JSON to ``stream`` (standard output by default)."""
    import sys

    (stream or sys.stdout).write(dumps_json(obj))


def write_text_atomic(path: str | os.PathLike[str], text: str, *,
                      encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    On any failure the temporary file is removed and ``path`` is left as it was.
    """
    return write_bytes_atomic(path, text.encode(encoding))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Binary twin of :func:`write_text_atomic`."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        # mkstemp creates the file readable by its owner only; give it the mode an ordinary
        # write would (0o666 less the umask) so a shared report stays readable
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p
