"""Options and plumbing shared by the scoring commands: ``--network`` and ``--model``.

Every command loads its road graph through :func:`routerisk.network.io.load_any_graph`
(trunk GraphML, corridor GraphML, any osmnx GraphML, ``.osm``/``.osm.bz2``/``.osm.pbf``;
clipped, cut into pieces, cached on disk) and gets its hazard model from one place: the
saved model of ``--model`` (checked against the incident files) or a fit on the incidents
with the study network as the reference of its validation, never on the graph scored.
"""

from __future__ import annotations

import argparse
import datetime as dt
from functools import lru_cache
from typing import Any

from routerisk.errors import SpecError

NETWORK_HELP = ("road graph: the trunk GraphML, a corridor graph from 'routerisk network "
                "build', any osmnx GraphML or an .osm/.osm.bz2/.osm.pbf extract; clipped to "
                "the study area and cut into <= 10 km pieces (default: the shared trunk "
                "network)")
MODEL_HELP = ("saved hazard model from 'routerisk model fit --out FILE' (no refit; refused "
              "when the incident files changed since)")


def add_network_option(p: argparse.ArgumentParser) -> None:
    """``--network PATH``."""
    p.add_argument("--network", metavar="PATH", default=None, help=NETWORK_HELP)


def add_model_option(p: argparse.ArgumentParser) -> None:
    """``--model FILE``."""
    p.add_argument("--model", metavar="FILE", default=None, help=MODEL_HELP)


def graph(args: argparse.Namespace):
    """The command's road graph (``--network`` or the study network)."""
    from routerisk.network.io import load_any_graph

    return load_any_graph(getattr(args, "network", None))


def incident_files(args: argparse.Namespace) -> list[str]:
    """The incident files the command uses (``--incidents`` or the default ones)."""
    from routerisk.model.persist import default_incident_files

    files = getattr(args, "incidents", None)
    return [str(f) for f in (files or default_incident_files())]


def read_incidents(files: list[str] | None):
    """Read (and deduplicate) incident files; default: the catalogue and shared ACLED."""
    from routerisk.incidents.io import combine, default_incidents, read_incidents

    if not files:
        return default_incidents()
    return combine([read_incidents(f) for f in files], dedup=True)


def fit_model(incidents, as_of: Any = None, horizon_days: int = 30):
    """The hazard model fitted for ``horizon_days`` on incidents
    (:func:`routerisk.model.build.fit_model`); the study network gives its training rows."""
    from routerisk.incidents.io import check_as_of
    from routerisk.model.build import fit_model as build
    from routerisk.network.io import load_study_network

    check_as_of(incidents, as_of)  # no history before it, or far past the data: refused
    return build(incidents, as_of=as_of, horizon_days=horizon_days, G=load_study_network())


def model(args: argparse.Namespace, incidents=None) -> tuple[Any, dict]:
    """The hazard model for a command and facts about its incidents.

    With ``--model``: load it, refuse it when the incident files changed, ``--as-of``
    differs from its date or ``--horizon-days`` from its horizon. Otherwise fit for
    ``--horizon-days`` on ``incidents`` (read when not given).

    Returns
    -------
    (model, info)
        ``info`` = ``{"n": incidents used, "latest": latest incident date or None}``.
    """
    path = getattr(args, "model", None)
    as_of = getattr(args, "as_of", None)
    horizon = int(getattr(args, "horizon_days", 30) or 30)
    if path:
        from routerisk.model.persist import incident_digests, load_model

        m = load_model(path, incidents_digest=incident_digests(incident_files(args)))
        if as_of is not None and m.as_of_.date() != _as_date(as_of):
            raise SpecError(f"--as-of {as_of} differs from the as-of date "
                            f"{m.as_of_.date()} of --model {path}; refit it with "
                            f"'routerisk model fit --as-of {as_of} --out FILE'")
        if int(getattr(m, "horizon_days_", horizon)) != horizon:
            raise SpecError(f"--horizon-days {horizon} differs from the horizon "
                            f"{m.horizon_days_} days --model {path} was fitted for; refit it "
                            f"with 'routerisk model fit --horizon-days {horizon} --out FILE'")
        meta = m.saved_metadata_
        return m, {"n": meta.get("n_incidents_read"), "latest": meta.get("latest_incident"),
                   "history": meta.get("history")}
    if incidents is None:
        files = getattr(args, "incidents", None)
        return fitted_model(as_of, tuple(files) if files else None, horizon)
    fitted = fit_model(incidents, as_of, horizon)
    return fitted, incident_info(incidents, fitted)


@lru_cache(maxsize=4)
def fitted_model(as_of: Any, files: tuple[str, ...] | None, horizon_days: int = 30
                 ) -> tuple[Any, dict]:
    """(model, incident info) fitted for ``horizon_days`` on incident files (default ones
    when ``None``); memoised per process so in-process runs share one fit."""
    incidents = read_incidents(list(files) if files else None)
    fitted = fit_model(incidents, as_of, horizon_days)
    return fitted, incident_info(incidents, fitted)


def incident_info(incidents, model_=None) -> dict:
    """Number of incidents read, the latest date and, given the fitted model, the history
    note of its forecast (:func:`routerisk.incidents.coverage.forecast_note`, as a dict)."""
    import pandas as pd

    latest = (pd.Timestamp(incidents["date"].max()).date().isoformat()
              if len(incidents) else None)
    info = {"n": int(len(incidents)), "latest": latest, "history": None}
    if model_ is not None:
        from routerisk.incidents.coverage import forecast_note

        info["history"] = forecast_note(incidents, model_.as_of_).to_dict()
    return info


def _as_date(value: Any) -> dt.date:
    import pandas as pd

    return pd.Timestamp(value).date()
