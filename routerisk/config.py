"""Where routerisk finds its files: shared data, package data, TOML, and user state.

- **Shared data** (the OSM-derived network, the gazetteers, ACLED/UCDP files) is read at run
  time and never committed: an explicit path, then ``$ROUTERISK_DATA``, then
  ``../shared/data`` beside a source checkout or beside the working directory.
- **Package data** (corridors, fuel routes, scenarios, the curated catalogue) ships inside
  the package (``routerisk/data``), so a built wheel works anywhere.
- **User state** (graph cache, fitted models, the incident store) lives in the user's
  cache and data directories (platformdirs), overridable by ``$ROUTERISK_CACHE_DIR`` and
  ``$ROUTERISK_HOME``; never beside the installed package.
"""

from __future__ import annotations

import os
from pathlib import Path

from routerisk.errors import DataNotFoundError, SpecError

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    import tomli as tomllib  # type: ignore[no-redef]

#: Environment variable naming the shared data folder (the one holding ``osm/`` and
#: ``incidents/``).
DATA_ENV = "ROUTERISK_DATA"


#: Environment variable overriding the user cache directory (derived graphs).
CACHE_ENV = "ROUTERISK_CACHE_DIR"
#: Environment variable overriding the user data directory (incident store, models).
HOME_ENV = "ROUTERISK_HOME"

#: The study area as (west, south, east, north), WGS84 degrees: Mali and the countries its
#: fuel roads cross. The default network is clipped to it and incidents outside it are
#: counted as filtered.
STUDY_BBOX: tuple[float, float, float, float] = (-17.6, 5.0, 4.3, 25.0)

#: The package's own data folder (corridors, fuel routes, scenarios, catalogue).
PACKAGE_DATA = Path(__file__).resolve().parent / "data"
#: The source checkout holding this package, when there is one (``None`` in a wheel).
CHECKOUT = (Path(__file__).resolve().parent.parent
            if (Path(__file__).resolve().parent.parent / "pyproject.toml").is_file() else None)


#: Incidents farther than this many degrees outside :data:`STUDY_BBOX` (Europe, the open
#: Atlantic, another continent) are dropped on reading, counted and warned about.
STUDY_REGION_MARGIN_DEG = 10.0


NETWORK_FILE = "osm/flownet_africa_network_existing.graphml"


GAZETTEER_FILE = "osm/places_west_africa_osm2019.csv"


#: The same gazetteer for Ghana, Togo, Benin and Niger (read beside :data:`GAZETTEER_FILE`).
GAZETTEER_GULF_FILE = "osm/places_gulf_niger_osm2019.csv"


ACLED_FILE = "incidents/acled_mli_bfa_ner_1997_2019.csv"


UCDP_FILE = "incidents/ucdp_ged251_SAMPLE_bbox_pre2023.csv"


#: The project's curated incident catalogue (written from the articles in
#: ``../shared/seeds``), shipped in ``routerisk/data``.
CATALOGUE_FILE = PACKAGE_DATA / "catalogue.csv"


def _candidates() -> list[tuple[str, Path]]:
    found = []
    env = os.environ.get(DATA_ENV)
    if env:
        found.append((f"${DATA_ENV}", Path(env)))
    if CHECKOUT is not None:
        found.append(("beside the checkout", CHECKOUT.parent / "shared" / "data"))
    found.append(("beside the working directory", Path.cwd().parent / "shared" / "data"))
    return found


def _folder_state(folder: Path, relative: str) -> str:
    if not folder.is_dir():
        return "does not exist or is not a folder"
    if not any(folder.iterdir()):
        return "is an empty folder"
    return f"has no '{relative}'"


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
        if label == f"${DATA_ENV}":  # an explicit folder is never silently replaced
            raise DataNotFoundError(
                f"{what} not found: ${DATA_ENV}={folder} {_folder_state(folder, relative)}; "
                f"point ${DATA_ENV} at the shared data folder (the one holding "
                f"'{relative}'), unset it, or pass {option} PATH")
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


def package_file(name: str) -> Path:
    """A file shipped in ``routerisk/data`` (``corridors.toml``, ``catalogue.csv``, …)."""
    return PACKAGE_DATA / name


def _user_dir(env: str, kind: str) -> Path:
    value = os.environ.get(env)
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")("routerisk", appauthor=False))


def user_cache_dir() -> Path:
    """Folder for derived, deletable files (segmented graphs): ``$ROUTERISK_CACHE_DIR`` or
    the platform's user cache directory."""
    return _user_dir(CACHE_ENV, "cache")


def user_data_dir() -> Path:
    """Folder for user state worth keeping (incident store, fitted models):
    ``$ROUTERISK_HOME`` or the platform's user data directory."""
    return _user_dir(HOME_ENV, "data")


#: Largest TOML file read, bytes (configuration files are a few KB).
MAX_TOML_BYTES = 10 * 1024 * 1024


def read_toml(path: str | os.PathLike[str], *, what: str = "TOML file") -> dict:
    """Read and parse a UTF-8 TOML file.

    Raises
    ------
    SpecError
        When the file is missing, unreadable, not UTF-8 or not valid TOML; the message
        names the file and what is wrong.
    """
    p = Path(path)
    try:
        if not p.is_file():
            raise SpecError(f"{what} not found: {p}")
        if p.stat().st_size > MAX_TOML_BYTES:
            raise SpecError(f"{p}: {p.stat().st_size:,} bytes; a {what} may have at most "
                            f"{MAX_TOML_BYTES:,}")
        data = p.read_bytes()
    except OSError as exc:
        raise SpecError(f"{p}: cannot read: {exc.strerror}") from exc
    nul = data.find(b"\x00")
    if nul >= 0:
        raise SpecError(f"{p}: a binary file (NUL byte at offset {nul}), not a TOML text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{p}: not UTF-8 text (undecodable byte at offset {exc.start});"
                        " save the file as UTF-8") from exc
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise SpecError(f"{p}: not valid TOML: {exc}") from exc


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's content (hex), read in 1 MiB chunks: the one content digest (graph
    cache keys, built corridor graphs, a saved model's incident files)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
