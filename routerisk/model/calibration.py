"""Route-level calibration: the probability that a route is disrupted, given its pieces.

Pieces of one route do not fail independently: one incident near the joint of two pieces
lies within reach of both, and attacks cluster in time and place. The independence formula
``P = 1 - prod(1 - p_e) = 1 - exp(-mu)`` with ``mu = sum_e -ln(1 - p_e)`` is therefore too
high. The model learns the correction from history: routes (random shortest paths of every
length up to ``max_km``, plus the corridors) are scored at each of the latest covered
windows over five years and compared with whether any of their pieces was hit. A logistic
regression

    logit P(route) = a + b * ln(mu) + c * ln(length_km) + d * s

fitted on those route-windows gives the route probability; ``s`` is the share of the
route's previous windows (:func:`n_prior_windows` of them: five years) in which it was
disrupted: a shared route-level term that carries the route's long-run level and the
clustering of incidents along a road that the pieces' own features miss. ``b < 1`` and
``c < 0`` mean the pieces' risks add up less than independently along a long route.

That calibration is shared by every route. Each route then gets its own correction, learnt
from its own rolling backtest (:func:`fit_route_terms`): at each of the same windows the
shared calibration's log-odds ``g`` is compared with whether the route was disrupted, and

    logit P(route) = g + offset + slope * (g - mean g over the route's windows)

is fitted with a normal prior (precision :data:`ROUTE_PRIOR`) that pulls ``offset`` and
``slope`` to 0, i.e. to the shared calibration. A route whose month-to-month signal never
told its outcome (a corridor whose disruptions are sporadic incidents near Bamako) gets
``slope`` near -1: its probability stays near its own level instead of following every
recent incident."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

#: Coefficients that mean "no calibration learnt": logit P = ln mu (close to independence
#: for small mu).
NO_CALIBRATION = (0.0, 1.0, 0.0, 0.0)


def expit(z: np.ndarray | float) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, elementwise (float64).

    Computed with the C library's ``exp`` (:func:`math.exp`), which gives the same numbers
    as ``scipy.special.expit`` (importing scipy.special costs more than scoring a route).
    """
    flat = np.asarray(z, dtype=float)
    out = np.fromiter(map(_expit1, flat.ravel().tolist()), dtype=float, count=flat.size)
    return out.reshape(flat.shape)


def _expit1(z: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-z))
    except OverflowError:  # exp(-z) beyond the largest float: the C exp gives inf
        return 0.0


#: History (days) over which a route's disrupted share is taken: its long-run level.
SHARE_HISTORY_DAYS = 1825


def n_prior_windows(horizon_days: int) -> int:
    """Previous windows whose disrupted share enters the route calibration: five years'
    worth (:data:`SHARE_HISTORY_DAYS`), at least 3 — the route's long-run level, so that a
    recent escalation is not carried forward unchecked."""
    return max(3, SHARE_HISTORY_DAYS // int(horizon_days))


def mu_from_p(p: np.ndarray | float) -> np.ndarray:
    """``mu = -ln(1 - p)``: the expected number of disrupting incidents that gives
    probability ``p`` of at least one (Poisson view; ``p`` clipped just below 1)."""
    return -np.log1p(-np.clip(np.asarray(p, float), 0.0, 1.0 - 1e-12))


def route_design(mu: np.ndarray, length_km: np.ndarray, share: np.ndarray) -> np.ndarray:
    """The calibration's inputs ``[ln mu, ln length_km, share]`` (mu floored at 1e-9)."""
    mu = np.maximum(np.asarray(mu, float), 1e-9)
    return np.column_stack([np.log(mu), np.log(np.maximum(np.asarray(length_km, float),
                                                          1e-3)),
                            np.asarray(share, float)])


def route_logit(coef: np.ndarray, mu: np.ndarray | float, length_km: np.ndarray | float,
                share: np.ndarray | float) -> np.ndarray:
    """Log-odds of the shared calibration ``coef = [a, b, c, d]`` (elementwise over routes
    and windows: ``mu``, ``length_km`` and ``share`` broadcast)."""
    mu, length_km, share = np.broadcast_arrays(np.atleast_1d(mu), np.atleast_1d(length_km),
                                               np.atleast_1d(share))
    z = route_design(mu.ravel(), length_km.ravel(), share.ravel()) @ np.asarray(coef[1:])
    return (coef[0] + z).reshape(mu.shape)


#: Prior precision (1 / variance, in log-odds) of a route's own ``offset`` and ``slope``
#: (:func:`fit_route_terms`); chosen on the 2016–17 rolling backtest (docs/model.md).
ROUTE_PRIOR = 3.0


@dataclass(frozen=True)
class RouteHistory:
    """What a route's own history adds to the shared calibration (one value per route).

    Attributes
    ----------
    share
        Share of the :func:`n_prior_windows` windows before the forecast date in which the
        route was disrupted (the shared calibration's input ``s``).
    offset, slope, mean_logit
        The route's own correction (:func:`fit_route_terms`).
    window_share
        Share of the calibration windows (``route_origins_``) in which it was disrupted:
        its long-run level.
    n_windows
        Number of calibration windows the correction was learnt on (0: none).
    """

    share: np.ndarray
    offset: np.ndarray
    slope: np.ndarray
    mean_logit: np.ndarray
    window_share: np.ndarray
    n_windows: int

    @classmethod
    def shared(cls, share: np.ndarray | float) -> RouteHistory:
        """Routes of disrupted share ``share`` with no correction of their own: the shared
        calibration alone."""
        share = np.atleast_1d(np.asarray(share, float))
        zeros = np.zeros(len(share))
        return cls(share, zeros, zeros, zeros, np.full(len(share), np.nan), 0)

    def adjust(self, g: np.ndarray) -> np.ndarray:
        """The route's log-odds from the shared calibration's ``g``."""
        return g + self.offset + self.slope * (g - self.mean_logit)

    def to_dict(self, i: int = 0) -> dict[str, Any]:
        """Route ``i`` as plain values (for JSON)."""
        return {"share_before": float(self.share[i]), "offset": float(self.offset[i]),
                "slope": float(self.slope[i]), "window_share": float(self.window_share[i]),
                "n_windows": int(self.n_windows)}


def route_probability(coef: np.ndarray, mu: np.ndarray | float, length_km: np.ndarray | float,
                      history: RouteHistory) -> np.ndarray:
    """Calibrated route probability: the shared calibration ``coef = [a, b, c, d]`` with
    the route's own correction (``history``, one value per route or one for all)."""
    return expit(history.adjust(route_logit(coef, mu, length_km, history.share)))


def fit_route_terms(g: np.ndarray, y: np.ndarray, *, prior: float = ROUTE_PRIOR,
                    window_weight: float = 1.0, n_iter: int = 30
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each route's ``offset`` and ``slope`` from its own windows.

    Maximises, route by route, ``window_weight`` times the Bernoulli log-likelihood of
    ``logit P = g + offset + slope * (g - mean(g))`` minus ``prior / 2 * (offset**2 +
    slope**2)`` (Newton steps, all routes at once).

    Parameters
    ----------
    g
        (n_routes, n_windows) log-odds of the shared calibration at each window.
    y
        (n_routes, n_windows) 1 where the route was disrupted in the window.
    prior
        Prior precision; larger keeps every route nearer the shared calibration.
    window_weight
        What one window counts for: ``step / horizon`` when windows overlap (a year ahead
        from every month: 60 windows hold about five years' evidence, not 60), else 1.

    Returns
    -------
    offset, slope, mean_logit
        One value per route.
    """
    g = np.asarray(g, float)
    y = np.asarray(y, float)
    w0 = float(window_weight)
    mean = g.mean(axis=1) if g.shape[1] else np.zeros(len(g))
    z = g - mean[:, None]
    a = np.zeros(len(g))
    d = np.zeros(len(g))
    for _ in range(n_iter):
        p = expit(np.clip(g + a[:, None] + d[:, None] * z, -30.0, 30.0))
        r, w = w0 * (y - p), w0 * p * (1.0 - p)
        ga, gd = r.sum(axis=1) - prior * a, (r * z).sum(axis=1) - prior * d
        haa, hdd, had = w.sum(axis=1) + prior, (w * z * z).sum(axis=1) + prior, (w * z).sum(axis=1)
        det = haa * hdd - had ** 2
        step_a, step_d = (hdd * ga - had * gd) / det, (haa * gd - had * ga) / det
        a, d = a + step_a, d + step_d
        if max(np.abs(step_a).max(initial=0.0), np.abs(step_d).max(initial=0.0)) < 1e-10:
            break
    return a, d, mean


def fit_route_calibration(mu: np.ndarray, length_km: np.ndarray, share: np.ndarray,
                          y: np.ndarray, *, C: float = 1.0) -> np.ndarray:
    """Fit ``[a, b, c, d]`` on route-windows: a logistic regression on the standardised
    design (L2 penalty ``1/C``, the same pull towards the mean rate for every input),
    returned on the raw design of :func:`route_design`."""
    from sklearn.linear_model import LogisticRegression  # fitting only (slow import)

    y = np.asarray(y, int)
    if len(y) == 0 or y.min() == y.max():
        return np.asarray(NO_CALIBRATION, float)
    X = route_design(mu, length_km, share)
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-9
    lr = LogisticRegression(C=C, max_iter=1000).fit((X - mean) / scale, y)
    b = lr.coef_[0] / scale
    return np.concatenate([[lr.intercept_[0] - float(b @ mean)], b]).astype(float)


def route_origins(as_of_day: float, horizon_days: int, step_days: int, first_day: float,
                  spans: list, n_windows: int) -> list[float]:
    """Origins (days since 1970-01-01) of the route-calibration windows: the latest
    ``n_windows`` windows, every ``step_days`` back from ``as_of_day - horizon_days``, whose
    outcome and previous windows (:func:`n_prior_windows`) lie in the covered periods and
    have a year of history before them."""
    from routerisk.model.coverage import covered

    T = int(horizon_days)
    n_prior = n_prior_windows(T)
    lead = max(365, n_prior * T)
    out: list[float] = []
    k = 0
    while len(out) < n_windows:
        o = as_of_day - T - k * step_days
        if o - lead < first_day:
            break
        if covered(spans, o - n_prior * T, o + T):
            out.append(o)
        k += 1
    return out


def route_incidence(routes: list[np.ndarray], n_pieces: int) -> sp.csr_matrix:
    """(n_routes, n_pieces) matrix with a 1 where a route uses a piece: ``M @ mu_e`` sums
    the pieces of every route, ``(M @ hit_e) > 0`` says whether any was hit."""
    rows = np.concatenate([np.full(len(r), i) for i, r in enumerate(routes)])
    M = sp.csr_matrix((np.ones(len(rows)), (rows, np.concatenate(routes))),
                      shape=(len(routes), n_pieces))
    M.data[:] = 1.0
    return M


def route_shares(space: Any, M: sp.csr_matrix, days: list[float], horizon_days: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Whether each route (row of ``M``) was disrupted in the window starting at each of
    ``days``, and its disrupted share over the :func:`n_prior_windows` windows before
    each day: two (n_days, n_routes) arrays; every window is labelled once."""
    T = int(horizon_days)
    n_prior = n_prior_windows(T)
    starts = sorted({d - k * T for d in days for k in range(n_prior + 1)})
    col = {d: i for i, d in enumerate(starts)}
    labels = space.window_labels(starts, [d + T for d in starts])
    hit = np.asarray(M @ labels) > 0
    y = np.stack([hit[:, col[d]] for d in days]).astype(int)
    share = np.stack([hit[:, [col[d - k * T] for k in range(1, n_prior + 1)]].mean(axis=1)
                      for d in days])
    return y, share


def route_mu(space: Any, predict: Any, M: sp.csr_matrix, days: list[float]) -> np.ndarray:
    """``mu`` of every route (row of ``M``) at every day of ``days``, (n_days, n_routes):
    its pieces' ``-ln(1 - P_e)`` summed, ``predict`` mapping a feature matrix to the
    pieces' probabilities (the features at all days in one pass)."""
    return np.stack([M @ mu_from_p(predict(X)) for X in space.at_days(days)])


def learn_route_calibration(space: Any, predict: Any, routes: list[np.ndarray],
                            length_km: np.ndarray, origins: list[float], horizon_days: int,
                            *, C: float = 1.0) -> tuple[np.ndarray, int]:
    """Route calibration learnt from the history of ``routes``: at every origin the fitted
    piece model (``predict``: feature matrix -> probabilities) gives ``mu``, the labels the
    outcome and the share of the :func:`n_prior_windows` windows before it in which the
    route was disrupted; returns the coefficients and the number of route-windows.

    Parameters
    ----------
    space
        The :class:`~routerisk.model.features.FeatureSpace` of the two-way pieces.
    routes
        Positions of each route's pieces.
    origins
        Window starts (:func:`route_origins`).
    """
    if not routes or not origins:
        return np.asarray(NO_CALIBRATION, float), 0
    M = route_incidence(routes, len(length_km))
    y, share = route_shares(space, M, origins, horizon_days)
    mu = route_mu(space, predict, M, origins)
    length = np.broadcast_to(M @ np.asarray(length_km, float), mu.shape)
    return (fit_route_calibration(mu.ravel(), length.ravel(), share.ravel(), y.ravel(), C=C),
            int(y.size))


def route_history(space: Any, predict: Any, M: sp.csr_matrix, length_km: np.ndarray,
                  coef: np.ndarray, day: float, origins: list[float], horizon_days: int, *,
                  step_days: int, prior: float = ROUTE_PRIOR) -> RouteHistory:
    """The :class:`RouteHistory` of every route (row of ``M``) at ``day``: its disrupted
    share before ``day`` and its own correction learnt on the calibration windows
    ``origins`` (none when there are none).

    Parameters
    ----------
    space, predict
        Feature space of the pieces and the fitted piece model (feature matrix ->
        probabilities), as for :func:`learn_route_calibration`.
    length_km
        Road length of each piece.
    coef
        The shared calibration.
    step_days
        Days between the calibration windows (they overlap when fewer than the horizon).
    """
    # the share before ``day`` and the windows' outcomes and shares, labelled in one pass
    y, shares = route_shares(space, M, [day, *origins], horizon_days)
    if not origins:
        return RouteHistory.shared(shares[0])
    y, past_share = y[1:], shares[1:]
    mu = route_mu(space, predict, M, origins)
    g = route_logit(coef, mu, np.broadcast_to(M @ np.asarray(length_km, float), mu.shape),
                    past_share)
    offset, slope, mean = fit_route_terms(
        g.T, y.T, prior=prior, window_weight=min(1.0, step_days / int(horizon_days)))
    return RouteHistory(shares[0], offset, slope, mean, y.mean(axis=0), len(origins))
