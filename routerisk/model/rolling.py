"""Rolling-origin backtest (in the style of VIEWS): many forecast origins, pooled scores,
and intervals that respect spatial dependence.

From ``as_of`` the origin steps by the horizon ``n_origins`` times. At each origin ``o``
the model (fitted for that horizon) is fitted on every incident dated before ``o`` and
scored on ``[o, o + horizon)``; the baselines of :mod:`routerisk.model.backtest` are
computed from the same past. Rows are segment-windows (each two-way piece once).

- pooled and per-origin ROC AUC, average precision, Brier, Brier skill (vs climatology);
- differences model - baseline with 95 % intervals from a block bootstrap that resamples
  spatial cells (``cell_km`` squares; a cell brings all its segments in all windows);
- AUC/AP on the segments within ``near_km`` (50) of a violent incident of the previous
  3 years, where the ranking is hard;
- a reliability table of the pooled model probabilities;
- routes: for every corridor and window, the calibrated route probability, the
  independence formula ``1 - prod(1 - p_e)`` and a constant (the corridors' disrupted
  share over the windows the route calibration learns from: their long-run level) against
  whether any piece was hit; Brier differences with intervals from resampling windows;
- the same for random routes the calibration did not learn on (``random_routes``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import brier_score_loss

from routerisk.errors import SpecError
from routerisk.model.backtest import (
    PERSISTENCE_DAYS,
    baseline_predictions,
    reliability_table,
    scores,
    violent_counts,
)
from routerisk.model.calibration import (
    mu_from_p,
    route_incidence,
)
from routerisk.model.hazard import HazardModel
from routerisk.model.kernels import _as_timestamp, validate_incidents
from routerisk.model.lines import edge_lines
from routerisk.model.routes import sample_routes

logger = logging.getLogger(__name__)

METRICS = ("roc_auc", "average_precision", "brier")


def rolling_origins(as_of: Any, n_origins: int, horizon_days: int) -> list[pd.Timestamp]:
    """``as_of + k * horizon_days`` for ``k = 0 .. n_origins - 1``."""
    if not (isinstance(n_origins, int) and n_origins >= 1):
        raise SpecError(f"rolling: the number of origins must be >= 1; got {n_origins!r}")
    start = _as_timestamp(as_of)
    return [start + pd.Timedelta(days=int(horizon_days) * k) for k in range(n_origins)]


def _metric(name: str, y: np.ndarray, p: np.ndarray) -> float:
    """Brier, ROC AUC or average precision (the same values as scikit-learn's, computed
    without its input validation: the bootstrap calls this thousands of times)."""
    y = np.asarray(y, float)
    if name == "brier":
        return float(np.mean((np.clip(p, 0, 1) - y) ** 2))
    n_pos = y.sum()
    if not 0 < n_pos < len(y):
        return float("nan")
    if name == "roc_auc":
        r = rankdata(p)
        return float((r[y > 0].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(y) - n_pos)))
    order = np.argsort(-np.asarray(p, float), kind="mergesort")
    ps, ys = np.asarray(p, float)[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(ps)), len(ps) - 1]
    tps = np.cumsum(ys)[last]
    precision = tps / (last + 1)
    recall = tps / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def block_bootstrap(y: np.ndarray, preds: Mapping[str, np.ndarray], blocks: np.ndarray, *,
                    reference: str = "model", n_boot: int = 200, level: float = 0.95,
                    random_state: int = 0,
                    metrics: Sequence[str] = METRICS) -> dict[str, dict[str, dict[str, float]]]:
    """Differences ``reference - other`` of each metric with block-bootstrap intervals.

    Blocks (e.g. spatial cells) are resampled with replacement; each brings all its rows.

    Returns
    -------
    dict
        ``{other: {metric: {"estimate", "lo", "hi"}}}``.
    """
    rng = np.random.default_rng(random_state)
    codes, inv = np.unique(blocks, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    starts = np.searchsorted(inv[order], np.arange(len(codes) + 1))
    members = [order[starts[i]:starts[i + 1]] for i in range(len(codes))]
    others = [k for k in preds if k != reference]
    est = {o: {m: _metric(m, y, preds[reference]) - _metric(m, y, preds[o]) for m in metrics}
           for o in others}
    draws: dict[str, dict[str, list[float]]] = {o: {m: [] for m in metrics} for o in others}
    for _ in range(n_boot):
        idx = np.concatenate([members[i] for i in rng.integers(0, len(codes), len(codes))])
        yb = y[idx]
        ref = {m: _metric(m, yb, preds[reference][idx]) for m in metrics}
        for o in others:
            for m in metrics:
                draws[o][m].append(ref[m] - _metric(m, yb, preds[o][idx]))
    q = [(1 - level) / 2, 1 - (1 - level) / 2]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for o in others:
        out[o] = {}
        for m in metrics:
            d = np.asarray(draws[o][m], float)
            d = d[np.isfinite(d)]
            lo, hi = (np.quantile(d, q) if len(d) else (np.nan, np.nan))
            out[o][m] = {"estimate": est[o][m], "lo": float(lo), "hi": float(hi)}
    return out


def rolling_backtest(incidents: pd.DataFrame, *, as_of: Any, n_origins: int,
                     horizon_days: int, G: nx.MultiDiGraph | None = None,
                     radius_km: float = 10.0, routes: Mapping[str, np.ndarray] | None = None,
                     model_params: Mapping[str, Any] | None = None, n_boot: int = 200,
                     cell_km: float = 100.0, near_km: float = 50.0,
                     n_random_routes: int = 100, random_state: int = 0) -> dict[str, Any]:
    """Rolling-origin backtest; see the module docstring.

    Parameters
    ----------
    incidents
        Every incident (training and test together); the split is by date.
    as_of, n_origins, horizon_days
        First origin, number of origins, horizon (the step).
    G
        Road graph; default the study network.
    routes
        Route name -> positions of its two-way pieces
        (:func:`~routerisk.model.routes.corridor_routes`); none: no route evaluation.
    model_params
        Extra :class:`HazardModel` parameters.
    n_boot, cell_km
        Bootstrap replicates and the side of the spatial cells (km).
    near_km
        Radius of the "near past violence" subset.
    n_random_routes
        Random routes scored the same way as the corridors, to show how the route
        probability holds on any route; 0: none. They are drawn with seed
        ``random_state + 1``, the calibration's with the model's own seed (0 by default: on
        the study network the two samples share no route).
    """
    origins = rolling_origins(as_of, n_origins, horizon_days)
    df = validate_incidents(incidents)
    if G is None:
        from routerisk.network.io import load_study_network
        G = load_study_network()
    el = edge_lines(G)
    lines, length_km = el.undirected_lines()
    others = {f"random {i}": r for i, r in enumerate(sample_routes(
        list(el.index), el.undirected(), length_km, n_routes=n_random_routes,
        random_state=random_state + 1))} if n_random_routes else {}
    mid = lines.offsets[:-1] + (np.diff(lines.offsets) // 2)
    cell = (np.floor(lines.x[mid] / cell_km).astype(np.int64) * 100_000
            + np.floor(lines.y[mid] / cell_km).astype(np.int64))
    h = pd.Timedelta(days=horizon_days)
    rows: dict[str, list[np.ndarray]] = {k: [] for k in
                                         ("y", "model", "climatology", "persistence",
                                          "persistence_rank", "cell", "near", "origin")}
    per_origin, route_rows, other_rows, coefs = [], [], [], []
    for j, o in enumerate(origins):
        model = HazardModel(horizon_days=horizon_days, radius_km=radius_km,
                            **dict(model_params or {}))
        model.fit(incidents, as_of=o, G=G)
        past = df[df["date"] < o]
        p = model.predict_lines(lines, length_km)
        y = (violent_counts(lines, df, o, o + h, radius_km) > 0).astype(int)
        base = baseline_predictions(lines, past, o, horizon_days, radius_km)
        near = violent_counts(lines, past, o - pd.Timedelta(days=PERSISTENCE_DAYS), o,
                              near_km) > 0
        for k, v in (("y", y), ("model", p), ("climatology", base["climatology"][0]),
                     ("persistence", base["persistence"][0]),
                     ("persistence_rank", base["persistence"][1]), ("cell", cell),
                     ("near", near), ("origin", np.full(len(y), j))):
            rows[k].append(v)
        ref = brier_score_loss(y, base["climatology"][0])
        per_origin.append({
            "as_of": o.date().isoformat(), "n_positive": int(y.sum()),
            "model": scores(y, p, brier_ref=ref),
            "baselines": {n: scores(y, pp, rank=r, brier_ref=ref)
                          for n, (pp, r) in base.items()},
            "train_origins": [model.train_origins_[-1], model.train_origins_[0]]})
        coefs.append(model.coef_)
        if routes:
            route_rows += _route_rows(model, routes, p, y, length_km, lines, o, j)
        if others:
            other_rows += _route_rows(model, others, p, y, length_km, lines, o, j)
        logger.info("rolling %s: AP %.3f vs persistence %.3f", o.date(),
                    per_origin[-1]["model"]["average_precision"],
                    per_origin[-1]["baselines"]["persistence"]["average_precision"])
    R = {k: np.concatenate(v) for k, v in rows.items()}
    y = R["y"]
    ref = brier_score_loss(y, R["climatology"])
    pooled = {"model": scores(y, R["model"], brier_ref=ref),
              "baselines": {"climatology": scores(y, R["climatology"], brier_ref=ref),
                            "persistence": scores(y, R["persistence"],
                                                  rank=R["persistence_rank"], brier_ref=ref)}}
    # ranking metrics of persistence use its raw count (ties broken as sklearn does);
    # its Brier uses the isotonic probabilities
    diffs = block_bootstrap(y, {"model": R["model"], "climatology": R["climatology"],
                                "persistence": R["persistence"]}, R["cell"],
                            n_boot=n_boot, random_state=random_state)
    rank_diff = block_bootstrap(y, {"model": R["model"], "persistence": R["persistence_rank"]},
                                R["cell"], n_boot=n_boot, random_state=random_state,
                                metrics=("roc_auc", "average_precision"))
    diffs["persistence"].update(rank_diff["persistence"])
    nr = R["near"]
    near = {"n": int(nr.sum()), "n_positive": int(y[nr].sum()),
            "model": {m: _metric(m, y[nr], R["model"][nr]) for m in METRICS[:2]},
            "baselines": {"persistence": {m: _metric(m, y[nr], R["persistence_rank"][nr])
                                          for m in METRICS[:2]}}}
    better = {m: int(sum((o["model"][m] < o["baselines"]["persistence"][m]) if m == "brier"
                         else (o["model"][m] > o["baselines"]["persistence"][m])
                         for o in per_origin)) for m in METRICS}
    C = np.vstack(coefs)
    out = {
        "as_of": origins[0].date().isoformat(), "horizon_days": horizon_days,
        "radius_km": float(radius_km), "n_origins": len(origins),
        "n_segments": int(lines.n), "n_segment_windows": int(len(y)),
        "n_positive": int(y.sum()),
        "pooled": {**pooled, "differences": diffs, "near_violence": near,
                   "origins_model_better_than_persistence": better},
        "reliability": reliability_table(y, R["model"]).to_dict(orient="records"),
        "origins": per_origin,
        "coefficients": {n: {"mean": float(C[:, i].mean()), "sd": float(C[:, i].std())}
                         for i, n in enumerate(model.feature_names_)},
        "bootstrap": {"n_boot": n_boot, "cell_km": cell_km, "level": 0.95},
        "routes": _route_summary(route_rows, n_boot, random_state),
        "random_routes": {k: v for k, v in _route_summary(other_rows, n_boot,
                                                          random_state).items()
                          if k not in ("rows", "by_route")},
    }
    return out


def _route_rows(model: HazardModel, routes: Mapping[str, np.ndarray], p: np.ndarray,
                y: np.ndarray, length_km: np.ndarray, lines, o: pd.Timestamp, j: int
                ) -> list[dict]:
    """One row per route at origin ``o``: its outcome and the three predictions."""
    names = list(routes)
    M = route_incidence([routes[n] for n in names], lines.n)
    history = model.route_history(lines, length_km, [routes[n] for n in names])
    # the constant: the routes' disrupted share over the windows the route calibration
    # learns from (the long-run level, not the last year's), one value for all
    constant = float(np.mean(history.window_share))
    mu = M @ mu_from_p(p)
    length = M @ np.asarray(length_km, float)
    observed = (M @ y) > 0
    calibrated = model.route_probability(mu, length, history)
    return [{"route": n, "as_of": o.date().isoformat(), "origin": j,
             "observed": int(observed[i]), "length_km": float(length[i]), "mu": float(mu[i]),
             "share_before": float(history.share[i]), "offset": float(history.offset[i]),
             "slope": float(history.slope[i]), "calibrated": float(calibrated[i]),
             "independence": float(-np.expm1(-mu[i])), "constant": constant}
            for i, n in enumerate(names)]


def _route_summary(rows: list[dict], n_boot: int, random_state: int) -> dict[str, Any]:
    if not rows:
        return {"n_route_windows": 0}
    t = pd.DataFrame(rows)
    y = t["observed"].to_numpy()
    preds = {k: t[k].to_numpy() for k in ("calibrated", "independence", "constant")}
    diffs = block_bootstrap(y, preds, t["origin"].to_numpy(), reference="calibrated",
                            n_boot=n_boot, random_state=random_state, metrics=("brier",))
    return {
        "n_route_windows": len(t), "observed_frequency": float(y.mean()),
        **{k: {"brier": float(brier_score_loss(y, v)), "mean_predicted": float(v.mean())}
           for k, v in preds.items()},
        "differences": {k: v["brier"] for k, v in diffs.items()},
        "rows": t.to_dict(orient="records"),
        "by_route": t.groupby("route").agg(
            observed=("observed", "mean"), calibrated=("calibrated", "mean"),
            independence=("independence", "mean")).reset_index().to_dict(orient="records"),
    }
