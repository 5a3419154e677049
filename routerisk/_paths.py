"""Locate the shared data: explicit path, then environment variable, then ``../shared/data``.

The OSM-derived network, the gazetteer and the ACLED/UCDP files are read at run time and
never committed into the project.
"""

from __future__ import annotations

import os
from pathlib import Path

from routerisk.errors import DataNotFoundError

#: Environment variable naming the shared data folder (the one holding ``osm/`` and
#: ``incidents/``).
DATA_ENV = "ROUTERISK_DATA"

#: Project root: the folder holding ``routerisk/``, ``networks/`` and ``incidents/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

NETWORK_FILE = "osm/flownet_africa_network_existing.graphml"
GAZETTEER_FILE = "osm/places_west_africa_osm2019.csv"
ACLED_FILE = "incidents/acled_mli_bfa_ner_1997_2019.csv"
UCDP_FILE = "incidents/ucdp_ged251_SAMPLE_bbox_pre2023.csv"


def _candidates() -> list[tuple[str, Path]]:
    found = []
    env = os.environ.get(DATA_ENV)
    if env:
        found.append((f"${DATA_ENV}", Path(env)))
    found.append(("beside the checkout", PROJECT_ROOT.parent / "shared" / "data"))
    found.append(("beside the working directory", Path.cwd().parent / "shared" / "data"))
    return found


def shared_file(relative: str, *, path: str | os.PathLike[str] | None = None,
                what: str = "data file", option: str = "--path") -> Path:
    """Resolve a shared data file.

    Parameters
    ----------
    relative
        Path of the file inside the shared data folder, e.g. ``"osm/places.csv"``.
    path
        An explicit file path; when given it must exist and wins over everything else.
    what
        What the file is, for the error message.
    option
        The command-line option that points at such a file, for the error message.

    Returns
    -------
    pathlib.Path
        The existing file.

    Raises
    ------
    DataNotFoundError
        When no candidate exists; the message lists every place looked at.
    """
    if path is not None:
        p = Path(path).expanduser()
        if p.is_file():
            return p
        raise DataNotFoundError(f"{what} not found: {p} does not exist or is not a file")
    tried = []
    for label, folder in _candidates():
        p = folder / relative
        if p.is_file():
            return p
        tried.append(f"{p} ({label})")
    raise DataNotFoundError(
        f"{what} not found; looked in: " + "; ".join(tried)
        + f". Pass {option} PATH or set {DATA_ENV} to the folder holding '{relative}'."
    )


def optional_shared_file(relative: str) -> Path | None:
    """Return the shared file when present, else ``None`` (for optional defaults)."""
    try:
        return shared_file(relative)
    except DataNotFoundError:
        return None
