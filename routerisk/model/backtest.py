"""Backtest: does the hazard model forecast where violent incidents happen next?

Fit on the training incidents dated before ``as_of`` only, score every segment of the
network over ``[as_of, as_of + horizon_days)``, and compare with the violent test incidents
of that window: a segment is *positive* when at least one violent incident
(:data:`routerisk.schema.VIOLENT_TYPES`: ACLED battles, violence against civilians and
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
from routerisk.model.hazard import HazardModel
from routerisk.model.kernels import DAYS_PER_YEAR, _as_timestamp, validate_incidents
from routerisk.model.lines import edge_lines

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
        Forecast window (days).
    G
        Road graph; default the study network.
    radius_km
        Labelling radius (km) around each segment.
    model
        An unfitted :class:`~routerisk.hazard.HazardModel` to use (default: one with
        ``horizon_days`` and ``radius_km`` set to the backtest's).
    n_routes
        Random routes for the route-level check of the independence assumption (0: skip).
    random_state
        Seed of the route sample.
    """
    if not (isinstance(horizon_days, int) and horizon_days > 0):
        raise SpecError(f"horizon_days must be a positive integer; got {horizon_days!r}")
    if not (radius_km > 0):
        raise SpecError(f"radius_km must be positive; got {radius_km!r}")
    as_of_ts = _as_timestamp(as_of)
    train_df = validate_incidents(train, source="training incidents")
    test_df = validate_incidents(test, source="test incidents")
    train_df = train_df[train_df["date"] < as_of_ts].reset_index(drop=True)
    if G is None:
        from routerisk.network.io import load_study_network
        G = load_study_network()
    if model is None:
        model = HazardModel(horizon_days=horizon_days, radius_km=radius_km)
    model.fit(train_df, as_of=as_of_ts, G=G)

    lines, length_km = edge_lines(G).undirected_lines()
    horizon = pd.Timedelta(days=horizon_days)

    rate = model.rate_from_mass(model._mass(lines), length_km)
    p_model = -np.expm1(-rate * length_km * horizon_days / DAYS_PER_YEAR)
    y = (violent_counts(lines, test_df, as_of_ts, as_of_ts + horizon, radius_km) > 0)
    y = y.astype(int)
    n_test = int((test_df["event_type"].astype(str).isin(VIOLENT_TYPES)
                  & (test_df["date"] >= as_of_ts)
                  & (test_df["date"] < as_of_ts + horizon)).sum())

    # climatology: share of segments positive in the last training window
    prev = violent_counts(lines, train_df, as_of_ts - horizon, as_of_ts, radius_km) > 0
    p_clim = np.full(len(y), prev.mean())
    # persistence: violent incidents within radius over the previous 3 years
    look = pd.Timedelta(days=PERSISTENCE_DAYS)
    count_now = violent_counts(lines, train_df, as_of_ts - look, as_of_ts, radius_km)
    count_before = violent_counts(lines, train_df, as_of_ts - horizon - look,
                                  as_of_ts - horizon, radius_km)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(count_before, prev.astype(float))
    p_pers = iso.predict(count_now)

    brier_clim = float(brier_score_loss(y, p_clim)) if len(y) else float("nan")
    result = BacktestResult(
        as_of=as_of_ts, horizon_days=horizon_days, radius_km=float(radius_km),
        n_segments=len(y), n_positive=int(y.sum()),
        model=scores(y, p_model, brier_ref=brier_clim),
        baselines={
            "climatology": scores(y, p_clim, brier_ref=brier_clim),
            "persistence": scores(y, p_pers, rank=count_now, brier_ref=brier_clim),
        },
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
                n_routes: int = 300, min_pieces: int = 3, max_pieces: int = 60,
                random_state: int = 0) -> dict[str, Any]:
    """Route-level check of ``P(route) = 1 - prod(1 - p_e)`` on random routes.

    Routes are shortest paths (by ``length``) from random nodes to up to three random
    targets each, among those reached with ``min_pieces``..``max_pieces`` edges. A route
    is observed disrupted when a violent test incident of the window lies within
    ``radius_km`` of any of its edges.

    Returns
    -------
    dict
        ``n_routes``, ``mean_predicted``, ``observed_frequency``, ``brier`` and a
        5-bin reliability table ``reliability``.
    """
    rng = np.random.default_rng(random_state)
    nodes = list(G.nodes)
    el = edge_lines(G)
    pos = {k: i for i, k in enumerate(el.index)}
    rate = model.rate_from_mass(model._mass(el.lines), el.length_km)
    mu_e = rate * el.length_km * horizon_days / DAYS_PER_YEAR
    hit = violent_counts(el.lines, test, as_of, as_of + pd.Timedelta(days=horizon_days),
                         radius_km) > 0
    UG = nx.Graph()
    for (u, v, _k), i in pos.items():
        w = el.length_km[i]
        if not UG.has_edge(u, v) or UG[u][v]["length"] > w:
            UG.add_edge(u, v, length=w, idx=i)
    preds, obs, seen = [], [], set()
    max_km = float(max_pieces * max(el.length_km.max(), 1e-3))
    tries = 0
    while len(preds) < n_routes and tries < 5 * n_routes:
        tries += 1
        a = nodes[int(rng.integers(len(nodes)))]
        if a not in UG:
            continue
        paths = nx.single_source_dijkstra_path(UG, a, cutoff=max_km, weight="length")
        ok = sorted((b for b, p in paths.items()
                     if min_pieces <= len(p) - 1 <= max_pieces and (a, b) not in seen
                     and (b, a) not in seen), key=str)
        for b in (ok[int(i)] for i in rng.permutation(len(ok))[:3]):
            seen.add((a, b))
            path = paths[b]
            idx = [UG[u][v]["idx"] for u, v in zip(path[:-1], path[1:], strict=True)]
            preds.append(float(-np.expm1(-mu_e[idx].sum())))
            obs.append(int(hit[idx].any()))
    preds, obs = preds[:n_routes], obs[:n_routes]
    if not preds:
        return {"n_routes": 0}
    p, y = np.asarray(preds), np.asarray(obs)
    table = reliability_table(y, p, n_bins=5)
    return {"n_routes": len(p), "mean_predicted": float(p.mean()),
            "observed_frequency": float(y.mean()),
            "brier": float(brier_score_loss(y, p)),
            "reliability": table.to_dict(orient="records")}

