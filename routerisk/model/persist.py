"""Save a fitted hazard model once and apply it to any road graph later.

A saved model is two files: ``NAME.json`` (format and routerisk versions, the as-of date, the
validation horizon, the SHA-256 digests of the incident files it was fitted on, the
constructor parameters and the fitted scalars) and ``NAME.npz`` beside it (the fitted numpy
arrays: incident sources, days, weights). Both are plain data: the arrays are read with
``allow_pickle=False`` and nothing is ever unpickled, so a model file from elsewhere cannot
run code. The JSON names the ``.npz`` and records its SHA-256, so a mismatched pair is
refused.

A model is fitted on incidents only (the study network serves as the reference of its
time-split validation); predicting needs nothing but a road graph, so the same file scores
the trunk network, a corridor graph or a street-level OSM graph.

Stale models: :func:`load_model` with ``incidents_digest`` (the digests of the incident
files the caller would fit on, see :func:`incident_digests`) raises
:class:`StaleModelError` naming every file whose content differs from what the model was
fitted on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerisk._output import jsonable
from routerisk.config import file_sha256
from routerisk.errors import RouteRiskError, SpecError

#: Identifies the file type; :data:`FORMAT_VERSION` is bumped on incompatible changes.
FORMAT = "routerisk-hazard-model"
FORMAT_VERSION = 3


class StaleModelError(RouteRiskError):
    """The incident files changed since the model was fitted."""




def incident_digests(paths: Iterable[str | os.PathLike[str]]) -> dict[str, str]:
    """``{resolved path: SHA-256}`` of incident files (what a model's freshness is keyed on)."""
    out = {}
    for p in paths:
        q = Path(p).expanduser()
        if not q.is_file():
            raise SpecError(f"incident file not found: {q}")
        out[str(q.resolve())] = file_sha256(q)
    return out


def default_incident_files() -> list[Path]:
    """The files :func:`routerisk.incidents.io.default_incidents` reads (catalogue, ACLED)."""
    from routerisk.config import ACLED_FILE, CATALOGUE_FILE, optional_shared_file

    files = [Path(CATALOGUE_FILE)]
    acled = optional_shared_file(ACLED_FILE)
    if acled is not None:
        files.append(acled)
    return files


# --------------------------------------------------------------------------- state
def _state_of(model) -> tuple[dict, dict[str, np.ndarray]]:
    """(JSON-able state, arrays) of a fitted model, from ``model.get_state()``."""
    state = dict(model.get_state())
    arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
    plain = {k: v for k, v in state.items() if not isinstance(v, np.ndarray)}
    return {"kind": "get_state", "state": jsonable(plain)}, arrays


def _model_from(doc: dict, arrays: Mapping[str, np.ndarray]):
    # rebuilt without scikit-learn (prediction only): scoring with a saved model starts fast
    from routerisk.model.fitted import SavedHazardModel

    if doc.get("kind") != "get_state":
        raise SpecError(f"unknown saved-model state kind {doc.get('kind')!r}; refit with "
                        "'routerisk model fit --out FILE'")
    return SavedHazardModel.from_state({**doc["state"], **arrays})


# --------------------------------------------------------------------------- files
def _npz_path(path: Path) -> Path:
    return path.with_suffix(".npz")


def save_model(model, path: str | os.PathLike[str], *, incidents_digest: Mapping[str, str],
               as_of: Any = None, horizon_days: int | None = None,
               metadata: Mapping[str, Any] | None = None) -> Path:
    """Write a fitted model to ``path`` (JSON) and its arrays to the sibling ``.npz``.

    Parameters
    ----------
    model
        A fitted :class:`routerisk.model.hazard.HazardModel` (or a loaded
        :class:`routerisk.model.fitted.SavedHazardModel`).
    path
        The JSON file to write (``.json``); the arrays go to the same name with ``.npz``.
    incidents_digest
        ``{path: SHA-256}`` of the incident files it was fitted on (:func:`incident_digests`).
    as_of
        Forecast date; default the model's ``as_of_``.
    horizon_days
        Validation horizon in days; default the model's ``horizon_days``.
    metadata
        Further JSON-able facts to keep (incident count, latest incident date, ...).

    Returns
    -------
    pathlib.Path
        The JSON file. Both files are written atomically (temporary file + rename).
    """
    from routerisk import __version__
    from routerisk._output import write_bytes_atomic, write_text_atomic

    p = Path(path)
    if p.suffix.lower() != ".json":
        raise SpecError(f"--out {p}: a model file must end in .json (its arrays go to "
                        f"{p.with_suffix('.npz').name})")
    if not hasattr(model, "as_of_"):
        raise SpecError("only a fitted model can be saved: call fit(...) first")
    state, arrays = _state_of(model)
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    blob = buf.getvalue()
    as_of_ts = pd.Timestamp(model.as_of_ if as_of is None else as_of)
    doc = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "routerisk_version": __version__,
        "created_utc": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "as_of": as_of_ts.date().isoformat(),
        "horizon_days": int(model.horizon_days if horizon_days is None else horizon_days),
        "incident_files": [{"path": k, "sha256": v} for k, v in sorted(incidents_digest.items())],
        "arrays": {"file": _npz_path(p).name, "sha256": hashlib.sha256(blob).hexdigest(),
                   "names": sorted(arrays)},
        "metadata": jsonable(dict(metadata or {})),
        "model": state,
    }
    p.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(_npz_path(p), blob)
    write_text_atomic(p, json.dumps(doc, indent=1, allow_nan=False) + "\n")
    return p


def read_model_file(path: str | os.PathLike[str]) -> dict:
    """The JSON document of a saved model, checked for format and version."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"--model {p}: no such file (write one with 'routerisk model fit "
                        f"--out {p}')")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"--model {p}: not a routerisk model file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SpecError(f"--model {p}: not a routerisk model file (no format '{FORMAT}')")
    if doc.get("format_version") != FORMAT_VERSION:
        raise SpecError(f"--model {p}: model format version {doc.get('format_version')}, "
                        f"this routerisk reads version {FORMAT_VERSION}; refit the model")
    return doc


def stale_files(doc: Mapping, incidents_digest: Mapping[str, str]) -> list[str]:
    """Why a model is stale against the current incident files (empty: it is fresh)."""
    saved = {f["sha256"]: f["path"] for f in doc["incident_files"]}
    now = dict(incidents_digest)
    problems = [f"{path} (changed or not used for the fit)" for path, digest in now.items()
                if digest not in saved]
    current = set(now.values())
    problems += [f"{path} (used for the fit, not given now)" for digest, path in saved.items()
                 if digest not in current]
    return problems


def load_model(path: str | os.PathLike[str], *,
               incidents_digest: Mapping[str, str] | None = None):
    """Read a model written by :func:`save_model`.

    Parameters
    ----------
    path
        The model's JSON file (its ``.npz`` must lie beside it).
    incidents_digest
        When given, the digests of the incident files the caller uses now; a difference
        from those the model was fitted on raises :class:`StaleModelError`.

    Returns
    -------
    routerisk.model.fitted.SavedHazardModel
        The fitted model (prediction only, no scikit-learn needed);
        ``model.saved_metadata_`` holds the JSON document's metadata.

    Raises
    ------
    SpecError
        Missing or unreadable files, wrong format version, arrays not matching the JSON.
    StaleModelError
        The incident files changed since the fit.
    """
    p = Path(path)
    doc = read_model_file(p)
    if incidents_digest is not None:
        problems = stale_files(doc, incidents_digest)
        if problems:
            raise StaleModelError(
                f"--model {p} is stale (fitted as of {doc['as_of']} on other incident data): "
                + "; ".join(problems)
                + f". Refit it with 'routerisk model fit --out {p}' on the current files.")
    npz = p.with_name(doc["arrays"]["file"])
    try:
        blob = npz.read_bytes()
    except OSError as exc:
        raise SpecError(f"--model {p}: its arrays file {npz} cannot be read ({exc})") from None
    if hashlib.sha256(blob).hexdigest() != doc["arrays"]["sha256"]:
        raise SpecError(f"--model {p}: {npz.name} does not belong to this model file "
                        "(SHA-256 differs); save the model again")
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    model = _model_from(doc["model"], arrays)
    model.saved_metadata_ = {k: doc[k] for k in ("as_of", "horizon_days", "routerisk_version",
                                                 "created_utc", "incident_files")}
    model.saved_metadata_.update(doc.get("metadata") or {})
    return model
