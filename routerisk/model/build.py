"""The one place where a hazard model is built for a command: fitted for the horizon asked.

``score``, ``route``, ``exposure``, ``scenario``, ``report`` and ``backtest`` all call
:func:`fit_model`, so the model a command uses is the model the rolling backtest scores for
that horizon (:mod:`routerisk.model.rolling`)."""

from __future__ import annotations

import logging
from typing import Any

import networkx as nx
import pandas as pd

from routerisk.errors import SpecError
from routerisk.model.hazard import HazardModel

logger = logging.getLogger(__name__)


def horizon_int(horizon_days: Any) -> int:
    """``horizon_days`` as a whole number of days (a model is fitted per horizon)."""
    try:
        value = float(horizon_days)
    except (TypeError, ValueError):
        value = float("nan")
    if not (value >= 1 and value == int(value)):
        raise SpecError(f"horizon_days must be a whole number of days >= 1; got "
                        f"{horizon_days!r}")
    return int(value)


def fit_model(incidents: pd.DataFrame | None = None, *, as_of: Any = None,
              horizon_days: Any = 30, G: nx.MultiDiGraph | None = None,
              **params: Any) -> HazardModel:
    """A :class:`HazardModel` fitted for ``horizon_days`` as of ``as_of``.

    Parameters
    ----------
    incidents
        Incident frame; default :func:`routerisk.incidents.io.default_incidents` (the
        project catalogue plus the shared ACLED file when present).
    as_of
        Forecast date; default the day after the latest incident.
    horizon_days
        The horizon (whole days) the model is fitted and validated for.
    G
        Road graph; default the study network.
    params
        Further :class:`HazardModel` parameters.
    """
    days = horizon_int(horizon_days)
    if incidents is None:
        from routerisk.incidents.io import default_incidents

        incidents = default_incidents()
    if G is None:
        from routerisk.network.io import load_study_network

        G = load_study_network()
    logger.info("fitting the %d-day hazard model on %d incidents", days, len(incidents))
    return HazardModel(horizon_days=days, **params).fit(incidents, as_of=as_of, G=G)
