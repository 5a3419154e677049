"""One convention for what routerisk shows and writes: numbers, JSON and atomic files.

- Numbers for people: :func:`fmt_percent`, :func:`fmt_sig`, :func:`fmt_km`, :func:`fmt_int`
  (missing values read ``n/a``).
- JSON for programs: :func:`jsonable` turns numpy scalars, timestamps, paths and
  non-finite floats into strict JSON (NaN and ±inf become ``null``); probabilities are
  never rounded; names carry units (``p_disrupt``, ``length_km``, ``horizon_days``).
- Files: :func:`write_text_atomic` writes beside the target and renames, so a reader sees
  the old file or the new one, never a half-written one; :func:`output_folder` does the
  same for a whole folder (the report); :func:`csv_safe` neutralises spreadsheet formulas.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
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


#: First characters that make a spreadsheet treat a CSV cell as a formula (OWASP).
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` safe for a spreadsheet: text starting with ``= + - @``, a tab or a carriage
    return gets a leading single quote (OWASP, CSV injection), and carriage returns inside
    text become newlines (pandas leaves a bare CR unquoted, which splits the row in any
    reader); anything else is unchanged."""
    if not isinstance(value, str):
        return value
    if value.startswith(CSV_FORMULA_START):
        value = "'" + value
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def csv_safe(frame: Any) -> Any:
    """A copy of a DataFrame with every text cell (and column name) passed through
    :func:`csv_cell`; numeric columns are left as they are."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].map(csv_cell)
    out.columns = [csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def ensure_dir(path: str | os.PathLike[str], *, option: str = "folder") -> Path:
    """Create the folder ``path`` (and its parents) unless it exists; return it.

    Raises
    ------
    routerisk.errors.ArgumentError
        When ``path`` (or a parent) is a file, or the folder cannot be created; the message
        names ``option`` and why.
    """
    from routerisk.errors import ArgumentError

    p = Path(path).expanduser()
    try:
        if p.exists() and not p.is_dir():
            raise ArgumentError(f"{option} {p}: is a file, not a folder", option=option)
        p.mkdir(parents=True, exist_ok=True)
    except ArgumentError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, (FileExistsError, NotADirectoryError)):
            reason = "a part of the path is a file, not a folder"
        raise ArgumentError(f"{option} {str(p)[:200]}: cannot create the folder ({reason})",
                            option=option) from None
    return p


def write_text_atomic(path: str | os.PathLike[str], text: str, *,
                      encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    On any failure the temporary file is removed and ``path`` is left as it was.
    """
    return write_bytes_atomic(path, text.encode(encoding))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """Permission bits ``open()`` gives a new file under the current umask."""
    return 0o666 & ~_umask()


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Binary twin of :func:`write_text_atomic`."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name[:100]}.", suffix=".tmp", dir=p.parent)
    try:
        os.fchmod(fd, new_file_mode())  # as open() would create it, not mkstemp's 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


#: File marking a folder as written by :func:`output_folder` (so it may be replaced whole).
OUTPUT_MARKER = ".routerisk-output"


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def _replaceable(folder: Path) -> bool:
    """Whether ``folder`` is empty or holds an earlier output (safe to replace whole)."""
    if (folder / OUTPUT_MARKER).is_file() or not any(folder.iterdir()):
        return True
    index = folder / "index.html"  # a report written before the marker existed
    try:
        return index.is_file() and 'content="routerisk"' in index.read_text("utf-8",
                                                                               "replace")[:4000]
    except OSError:
        return False


@contextlib.contextmanager
def output_folder(path: str | os.PathLike[str], *, option: str = "--out"
                  ) -> Iterator[Path]:
    """Write a whole output folder atomically.

    Yields a fresh temporary folder ``.NAME.tmp-XXXX`` beside ``path``; when the block ends
    without error it replaces ``path`` in one step (an atomic exchange on Linux, else two
    renames), under an exclusive lock on ``.NAME.lock`` beside it, so two runs writing the
    same folder never leave a mix of both; the previous output is then deleted. On any
    error, Ctrl-C or SIGTERM the temporary folder is deleted and ``path`` is left as it was.

    Raises
    ------
    routerisk.errors.ArgumentError
        ``path`` is a file, its parent cannot be created, or ``path`` holds files that are
        not an earlier output (they would be lost).
    """
    import fcntl
    import shutil

    from routerisk.errors import ArgumentError

    final = Path(path).expanduser()
    if final.name in ("", ".", ".."):
        final = final.resolve()
    parent = ensure_dir(final.parent, option=option)
    try:
        name_max = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    if len(os.fsencode(final.name)) > name_max:
        raise ArgumentError(f"{option} {final.name[:40]}...: the folder name has "
                            f"{len(os.fsencode(final.name))} bytes; at most {name_max} are "
                            f"allowed here", option=option)
    if final.exists() and not final.is_dir():
        raise ArgumentError(f"{option} {final}: is a file, not a folder", option=option)
    if final.is_dir() and not _replaceable(final):
        raise ArgumentError(f"{option} {final}: the folder holds other files; give a new or "
                            f"empty folder (or one routerisk wrote before)", option=option)
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{final.name[:80]}.tmp-", dir=parent))
    except OSError as exc:
        raise ArgumentError(f"{option} {final}: cannot write beside it ({exc.strerror})",
                            option=option) from None
    try:
        os.chmod(work, 0o777 & ~_umask())  # as mkdir would create it, not mkdtemp's 0700
        (work / OUTPUT_MARKER).write_text("written by routerisk; replaced whole on rewrite\n",
                                          encoding="utf-8")
        yield work
        lock_path = parent / f".{final.name[:80]}.lock"
        with open(lock_path, "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            if final.is_dir() and not _replaceable(final):
                raise ArgumentError(f"{option} {final}: the folder now holds other files; "
                                    f"not replaced", option=option)
            if final.is_dir() and _exchange(work, final):
                old = work  # after the exchange the old output sits at the temporary path
            elif final.is_dir():
                old = Path(tempfile.mkdtemp(prefix=f".{final.name[:80]}.old-", dir=parent))
                os.rename(final, old / "out")
                os.rename(work, final)
            else:
                old = None
                os.rename(work, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException as exc:
        shutil.rmtree(work, ignore_errors=True)
        name = getattr(exc, "filename", None) if isinstance(exc, OSError) else None
        if isinstance(name, str) and name.startswith(str(work)):  # name the real output
            exc.filename = str(final) + name[len(str(work)):]
        raise
