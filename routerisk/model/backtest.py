"""Backtest: does the hazard model forecast where violent incidents happen next?

Fit on the training incidents dated before ``as_of`` only, score every segment of the
network over ``[as_of, as_of + horizon_days)``, and compare with the violent test incidents
of that window: a segment is *positive* when at least one violent incident
(:data:`routerisk.incidents.schema.VIOLENT_TYPES`: ACLED battles, violence against civilians and
explosions/remote violence map onto these) lies within ``radius_km`` of its polyline.

Two baselines are computed in the same run, from training incidents only:

- **climatology**: one probability everywhere, the share of segments that were positive
  in the last window before ``as_of`` (``[as_of - horizon, as_of)``);
- **persistence**: the count of violent incidents within ``radius_km`` over the previous
  3 years. Its ranking is the raw count; its probabilities come from an isotonic map
  fitted one window earlier (counts over ``[as_of - horizon - 3 y, as_of - horizon)``
  against the labels of ``[as_of - horizon, as_of)``).

Each two-way road piece counts once (``u -> v`` and ``v -> u`` are one segment)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from routerisk.errors import SpecError
from routerisk.geo.grid import Polylines, pairs_within
from routerisk.geo.projection import lonlat_to_km
from routerisk.incidents.schema import VIOLENT_TYPES
from routerisk.model.calibration import (
    mu_from_p,
    route_incidence,
)
from routerisk.model.hazard import HazardModel
from routerisk.model.kernels import _as_timestamp, validate_incidents
from routerisk.model.lines import edge_lines
from routerisk.model.routes import sample_routes

logger = logging.getLogger(__name__)


#: Look-back of the persistence baseline (days).
PERSISTENCE_DAYS = 3 * 365


def violent_counts(lines: Polylines, incidents: pd.DataFrame, start: pd.Timestamp,
                   end: pd.Timestamp, radius_km: float) -> np.ndarray:
    """Number of violent incidents dated in ``[start, end)`` within ``radius_km`` of each
    polyline."""
    df = incidents
    sel = (df["event_type"].astype(str).isin(VIOLENT_TYPES) & (df["date"] >= start)
           & (df["date"] < end)).to_numpy()
    if not sel.any():
        return np.zeros(lines.n)
    x, y = lonlat_to_km(df["longitude"].to_numpy()[sel], df["latitude"].to_numpy()[sel])
    _, li, _ = pairs_within(lines, x, y, float(radius_km))
    return np.bincount(li, minlength=lines.n).astype(float)


def scores(y: np.ndarray, p: np.ndarray, *, rank: np.ndarray | None = None,
           brier_ref: float | None = None) -> dict[str, float]:
    """ROC AUC and average precision (of ``rank``, default ``p``), Brier score and Brier
    skill score against ``brier_ref``."""
    r = p if rank is None else rank
    both = 0 < y.sum() < len(y)
    brier = float(brier_score_loss(y, np.clip(p, 0, 1))) if len(y) else float("nan")
    out = {
        "roc_auc": float(roc_auc_score(y, r)) if both else float("nan"),
        "average_precision": float(average_precision_score(y, r)) if both else float("nan"),
        "brier": brier,
        "brier_skill": float("nan") if not brier_ref else 1.0 - brier / brier_ref,
        "mean_predicted": float(np.mean(p)) if len(p) else float("nan"),
    }
    return out


def reliability_table(y: np.ndarray, p: np.ndarray, *, n_bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed frequency by quantile bin of the prediction (deciles)."""
    if len(p) == 0:
        return pd.DataFrame(columns=["bin", "n", "p_min", "p_max", "mean_predicted",
                                     "observed_frequency"])
    ranks = pd.Series(p).rank(method="first").to_numpy()
    bins = np.minimum((ranks - 1) * n_bins // len(p), n_bins - 1).astype(int)
    frame = pd.DataFrame({"bin": bins + 1, "p": p, "y": y})
    table = frame.groupby("bin").agg(n=("y", "size"), p_min=("p", "min"), p_max=("p", "max"),
                                     mean_predicted=("p", "mean"),
                                     observed_frequency=("y", "mean")).reset_index()
    return table


@dataclass
class BacktestResult:
    """Outcome of one backtest (see :func:`backtest`)."""

    as_of: pd.Timestamp
    horizon_days: int
    radius_km: float
    n_segments: int
    n_positive: int
    model: dict[str, float]
    baselines: dict[str, dict[str, float]]
    reliability: pd.DataFrame
    params: dict[str, Any]
    n_test_incidents: int
    routes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """One JSON-ready object with keys ``model``, ``baselines``, ``reliability``,
        ``n_segments``, ``n_positive`` (and the run's settings)."""
        return {
            "as_of": self.as_of.date().isoformat(), "horizon_days": self.horizon_days,
            "radius_km": self.radius_km, "n_segments": self.n_segments,
            "n_positive": self.n_positive, "n_test_incidents": self.n_test_incidents,
            "model": self.model, "baselines": self.baselines,
            "reliability": self.reliability.to_dict(orient="records"),
            "params": self.params, "routes": self.routes,
        }


def baseline_predictions(lines: Polylines, train: pd.DataFrame, as_of: pd.Timestamp,
                         horizon_days: int, radius_km: float
                         ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Climatology and persistence: name -> (probability, ranking score) per polyline,
    from the training incidents dated before ``as_of`` only."""
    horizon = pd.Timedelta(days=int(horizon_days))
    prev = violent_counts(lines, train, as_of - horizon, as_of, radius_km) > 0
    p_clim = np.full(lines.n, prev.mean())
    look = pd.Timedelta(days=PERSISTENCE_DAYS)
    count_now = violent_counts(lines, train, as_of - look, as_of, radius_km)
    count_before = violent_counts(lines, train, as_of - horizon - look, as_of - horizon,
                                  radius_km)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(count_before, prev.astype(float))
    return {"climatology": (p_clim, p_clim), "persistence": (iso.predict(count_now), count_now)}


def backtest(train: pd.DataFrame, test: pd.DataFrame, *, as_of: Any, horizon_days: int = 365,
             G: nx.MultiDiGraph | None = None, radius_km: float = 10.0,
             model: HazardModel | None = None, n_routes: int = 300,
             random_state: int = 0) -> BacktestResult:
    """Fit on ``train`` before ``as_of``, score the network, compare with ``test``.

    Parameters
    ----------
    train, test
        Incident frames; only training incidents dated before ``as_of`` are used for
        fitting and for the baselines; only violent test incidents dated in
        ``[as_of, as_of + horizon_days)`` make labels.
    as_of
        Forecast date.
    horizon_days
        Forecast window (days); the model is fitted for this horizon.
    G
        Road graph; default the study network.
    radius_km
        Labelling radius (km) around each segment.
    model
        An unfitted :class:`~routerisk.model.hazard.HazardModel` (default: one with
        ``horizon_days`` and ``radius_km`` set to the backtest's).
    n_routes
        Random routes for the route-level check (0: skip).
    random_state
        Seed of the route sample.
    """
    if not (isinstance(horizon_days, int) and horizon_days > 0):
        raise SpecError(f"horizon_days must be a positive integer; got {horizon_days!r}")
    if not (radius_km > 0):
        raise SpecError(f"radius_km must be positive; got {radius_km!r}")
    as_of_ts = _as_timestamp(as_of)
    coverage = train.attrs.get("coverage") if hasattr(train, "attrs") else None
    train_df = validate_incidents(train, source="training incidents")
    test_df = validate_incidents(test, source="test incidents")
    keep = (train_df["date"] < as_of_ts).to_numpy()
    fit_frame = train[keep].reset_index(drop=True) if len(train) == len(train_df) else train
    if coverage is not None:
        fit_frame.attrs["coverage"] = coverage
    train_df = train_df[keep].reset_index(drop=True)
    if G is None:
        from routerisk.network.io import load_study_network
        G = load_study_network()
    if model is None:
        model = HazardModel(horizon_days=horizon_days, radius_km=radius_km)
    model.fit(fit_frame, as_of=as_of_ts, G=G)
    if model.horizon_days_ != horizon_days:
        raise SpecError(f"the model is fitted for {model.horizon_days_} days, the backtest "
                        f"scores {horizon_days}")

    lines, length_km = edge_lines(G).undirected_lines()
    horizon = pd.Timedelta(days=horizon_days)
    p_model = model.predict_lines(lines, length_km)
    y = (violent_counts(lines, test_df, as_of_ts, as_of_ts + horizon, radius_km) > 0)
    y = y.astype(int)
    n_test = int((test_df["event_type"].astype(str).isin(VIOLENT_TYPES)
                  & (test_df["date"] >= as_of_ts)
                  & (test_df["date"] < as_of_ts + horizon)).sum())
    base = baseline_predictions(lines, train_df, as_of_ts, horizon_days, radius_km)
    p_clim = base["climatology"][0]
    brier_clim = float(brier_score_loss(y, p_clim)) if len(y) else float("nan")
    result = BacktestResult(
        as_of=as_of_ts, horizon_days=horizon_days, radius_km=float(radius_km),
        n_segments=len(y), n_positive=int(y.sum()),
        model=scores(y, p_model, brier_ref=brier_clim),
        baselines={name: scores(y, p, rank=r, brier_ref=brier_clim)
                   for name, (p, r) in base.items()},
        reliability=reliability_table(y, p_model),
        params=model.params_used(), n_test_incidents=n_test)
    if n_routes:
        result.routes = route_check(G, model, test_df, as_of_ts, horizon_days, radius_km,
                                    n_routes=n_routes, random_state=random_state)
    logger.info("backtest %s: %d segments, %d positive; model AP %.3f, Brier %.4f",
                as_of_ts.date(), result.n_segments, result.n_positive,
                result.model["average_precision"], result.model["brier"])
    return result


def route_check(G: nx.MultiDiGraph, model: HazardModel, test: pd.DataFrame,
                as_of: pd.Timestamp, horizon_days: int, radius_km: float, *,
                n_routes: int = 300, random_state: int = 0) -> dict[str, Any]:
    """Route-level check on random routes: the model's calibrated route probability (with
    each route's history before ``as_of`` in the model's incidents,
    :meth:`~routerisk.model.fitted.FittedHazard.route_history`) and the independence
    formula ``1 - prod(1 - p_e)`` against whether a violent test incident of the window lay
    within ``radius_km`` of the route.

    Returns
    -------
    dict
        ``n_routes``, ``mean_predicted`` (calibrated), ``mean_independence``,
        ``observed_frequency``, ``brier`` (calibrated), ``brier_independence`` and a
        5-bin reliability table of the calibrated probabilities.
    """
    el = edge_lines(G)
    und = el.undirected()
    lines, length_km = el.undirected_lines()
    routes = sample_routes(list(el.index), und, length_km, n_routes=n_routes,
                           random_state=random_state + 1)
    if not routes:
        return {"n_routes": 0}
    M = route_incidence(routes, lines.n)
    mu = M @ mu_from_p(model.predict_lines(lines, length_km))
    T = pd.Timedelta(days=horizon_days)
    y = ((M @ violent_counts(lines, test, as_of, as_of + T, radius_km)) > 0).astype(int)
    ln = M @ np.asarray(length_km, float)
    history = model.route_history(lines, length_km, routes)
    p_ind = -np.expm1(-mu)
    p = model.route_probability(mu, ln, history)
    table = reliability_table(y, p, n_bins=5)
    return {"n_routes": len(p), "mean_predicted": float(p.mean()),
            "mean_independence": float(p_ind.mean()),
            "observed_frequency": float(y.mean()),
            "brier": float(brier_score_loss(y, p)),
            "brier_independence": float(brier_score_loss(y, p_ind)),
            "reliability": table.to_dict(orient="records")}
