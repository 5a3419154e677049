"""The hazard model: the probability that a road segment is disrupted within a horizon.

For every segment the model computes features from the incidents dated before the forecast
origin (:mod:`routerisk.model.features`: severity-weighted kernel masses at several
bandwidths and half-lives, days since the last violent incident within 10 and 50 km, counts
of violent incidents in several windows, road length) and combines them with a penalised
logistic regression (scikit-learn's ``LogisticRegression``, L2) into

    P_e = P(a violent incident within radius_km of segment e in [as_of, as_of + T))

fitted for one horizon ``T = horizon_days``. The fit uses ``n_origins`` training windows
``[o, o + T)`` with ``o = as_of - T - k * origin_step_days``, each scored with features as
of ``o``; windows outside the systematic coverage of the data are skipped (a gap is not a
quiet period). The pooled fit over many windows, the L2 penalty and the standardised
features keep the level from carrying a single escalation forward.

Derived quantities: ``mu_e = -ln(1 - P_e)`` (expected disrupting incidents, Poisson view)
and ``rate_per_km_yr = mu_e / (L_e * T / 365.25)``. Route probabilities go through the
route calibration learnt in the same fit (:mod:`routerisk.model.calibration`).

Prediction and the fitted state (plain numbers and arrays: :meth:`HazardModel.get_state`,
:meth:`HazardModel.from_state`) live in :class:`routerisk.model.fitted.FittedHazard`, which
this estimator inherits and which a saved model is rebuilt as without scikit-learn."""

from __future__ import annotations

import logging
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from routerisk.errors import ValidationError
from routerisk.model import calibration as cal
from routerisk.model.coverage import coverage_days, covered, spans_to_dates
from routerisk.model.features import IncidentHistory, feature_names, feature_space
from routerisk.model.fitted import FittedHazard
from routerisk.model.kernels import (
    _as_timestamp,
    _day_number,
    _resolve_severity,
    validate_incidents,
)
from routerisk.model.lines import edge_lines
from routerisk.model.routes import training_routes

logger = logging.getLogger(__name__)


class HazardModel(FittedHazard, BaseEstimator):
    """Probability of a disrupting incident per road segment over ``horizon_days``.

    Parameters
    ----------
    horizon_days
        The horizon the model is fitted and validated for (days).
    radius_km
        A violent incident within this distance of a segment disrupts it.
    n_origins
        Training windows (rolling origins before ``as_of``).
    origin_step_days
        Step between training origins (days).
    C
        Inverse L2 penalty of the logistic regression (smaller: flatter, more regularised).
    severity
        ``"default"``, ``"uniform"`` or a :class:`~routerisk.model.kernels.Severity`.
    precision_spread
        Widen each kernel by the incident's location precision.
    kernel
        ``"gaussian"`` or ``"epanechnikov"``.
    n_routes
        Random routes sampled for the route calibration (0: independence formula).
    route_calibration
        ``"corridors"`` (default): learn the route calibration on the random routes and
        the corridors of ``corridors.toml`` that can be routed on the graph (their fastest
        routes); ``"random"``: on the random routes alone.
    n_route_origins
        Windows (every ``origin_step_days``) the route calibration is learnt on: five years
        at the default, so that the route level is not the last year's carried forward.
    route_prior
        Prior precision of each route's own correction to the route calibration, learnt
        from its history on those windows (:func:`~routerisk.model.calibration.fit_route_terms`):
        larger keeps every route nearer the shared calibration.
    random_state
        Seed of the route sample.
    """

    def __init__(self, horizon_days: int = 30, radius_km: float = 10.0, n_origins: int = 12,
                 origin_step_days: int = 30, C: float = 0.05, severity: Any = "default",
                 precision_spread: bool = True, kernel: str = "gaussian", n_routes: int = 300,
                 route_calibration: str = "corridors", n_route_origins: int = 60,
                 route_prior: float = cal.ROUTE_PRIOR, random_state: int = 0) -> None:
        self.horizon_days = horizon_days
        self.radius_km = radius_km
        self.n_origins = n_origins
        self.origin_step_days = origin_step_days
        self.C = C
        self.severity = severity
        self.precision_spread = precision_spread
        self.kernel = kernel
        self.n_routes = n_routes
        self.route_calibration = route_calibration
        self.n_route_origins = n_route_origins
        self.route_prior = route_prior
        self.random_state = random_state

    # -- fit -----------------------------------------------------------------------------
    def fit(self, incidents: pd.DataFrame, y: None = None, *, as_of: Any = None,
            G: nx.MultiDiGraph | None = None) -> HazardModel:
        """Fit on the incidents dated strictly before ``as_of``.

        Parameters
        ----------
        incidents
            An incident frame; ``attrs["coverage"]`` (if any) says which periods are
            covered systematically (:mod:`routerisk.model.coverage`).
        y
            Ignored (scikit-learn signature).
        as_of
            Forecast date; default: the day after the latest incident.
        G
            Road graph whose segments make the training rows; default the study network.

        Returns
        -------
        HazardModel
            ``self``, fitted.

        Raises
        ------
        ValidationError
            When no training window (with a year of history before it) fits before
            ``as_of``. Windows outside the covered periods are skipped; when none is
            covered, the fit uses the curated reports as if complete and records it
            (``fitted_outside_coverage_``).
        """
        self._check_params()
        spans = coverage_days(incidents)
        df = validate_incidents(incidents)
        if as_of is None:
            if df.empty:
                raise ValidationError("incidents", ["no incidents to fit on"])
            as_of_ts = df["date"].max().normalize() + pd.Timedelta(days=1)
        else:
            as_of_ts = _as_timestamp(as_of)
        before = (df["date"] < as_of_ts).to_numpy()
        severity = _resolve_severity(self.severity)
        full = IncidentHistory.from_frame(df, severity)
        past = IncidentHistory.from_frame(df[before].reset_index(drop=True), severity)
        if G is None:
            from routerisk.network.io import load_study_network
            G = load_study_network()
        el = edge_lines(G)
        und = el.undirected()
        lines, length_km = el.undirected_lines()
        # the feature space holds every incident given (kernel matrices reused across the
        # folds of a rolling backtest); features at a day use only incidents before it
        space = feature_space(lines, length_km, full, radius_km=float(self.radius_km),
                              precision_spread=self.precision_spread, kernel=self.kernel)
        as_of_day = float(_day_number(pd.DatetimeIndex([as_of_ts]))[0])
        first_day = float(past.incident_day.min()) if len(past.incident_day) else np.inf
        T, step = int(self.horizon_days), int(self.origin_step_days)
        origins: list[float] = []
        n_skipped = 0
        for k in range(40 * self.n_origins):
            o = as_of_day - T - k * step
            if o - 365 < first_day:
                break
            if covered(spans, o, o + T):
                origins.append(o)
                if len(origins) == self.n_origins:
                    break
            else:
                n_skipped += 1
        self.fitted_outside_coverage_ = not origins
        if not origins:
            # nothing systematic to fit on: the curated reports are used as if complete, and
            # said so (params_used, the history note); probabilities are then lower bounds
            logger.warning("no training window of %d days before %s lies inside the "
                           "systematically covered periods %s: fitting on curated reports, "
                           "whose probabilities are lower bounds", T, as_of_ts.date(),
                           spans_to_dates(spans) or "(none)")
            for k in range(self.n_origins):
                o = as_of_day - T - k * step
                if o - 365 < first_day:
                    break
                origins.append(o)
        if not origins:
            raise ValidationError("incidents", [
                f"no training window of {T} days with a year of history before it fits "
                f"before {as_of_ts.date()}: the incidents start too late"])
        X = np.vstack([space.at(o) for o in origins])
        Y = np.concatenate([space.labels(o, o + T) for o in origins])
        self.feature_mean_ = X.mean(axis=0)
        self.feature_scale_ = X.std(axis=0) + 1e-9
        Z = self._scaled(X)
        if Y.min() == Y.max():
            raise ValidationError("incidents", [
                f"the {len(origins)} training windows have {'no' if Y.max() == 0 else 'only'}"
                " disrupted segments; the model needs both"])
        lr = LogisticRegression(C=float(self.C), max_iter=2000).fit(Z, Y)
        self.coef_ = lr.coef_[0].astype(float)
        self.intercept_ = float(lr.intercept_[0])
        self.feature_names_ = feature_names(float(self.radius_km))
        self.history_ = past
        self.as_of_ = as_of_ts
        self.horizon_days_ = T
        self.n_incidents_ = int(before.sum())
        self.n_ignored_after_as_of_ = int((~before).sum())
        self.train_origins_ = [_iso(o) for o in origins]
        self.n_windows_skipped_uncovered_ = n_skipped
        self.coverage_ = spans_to_dates(spans)
        self.train_positive_rate_ = float(Y.mean())
        self.route_coef_ = np.asarray(cal.NO_CALIBRATION, float)
        self.route_calibration_basis_, self.n_route_windows_ = "none", 0
        self.route_origins_: list[str] = []
        if self.n_routes:
            routes, self.route_calibration_basis_ = training_routes(
                G, list(el.index), und, length_km, self.route_calibration, self.n_routes,
                self.random_state)
            r_origins = cal.route_origins(as_of_day, T, step, first_day, spans,
                                          self.n_route_origins) or origins
            self.route_origins_ = [_iso(o) for o in r_origins]
            self.route_coef_, self.n_route_windows_ = cal.learn_route_calibration(
                space, self._predict_features, routes, length_km, r_origins, T)
        logger.info("hazard model (%d days): %d incidents before %s, %d training windows "
                    "(%d skipped outside coverage), positive share %.4f", T,
                    self.n_incidents_, as_of_ts.date(), len(origins), n_skipped,
                    self.train_positive_rate_)
        return self

    def _check_fitted(self, attr: str = "coef_") -> None:
        check_is_fitted(self, attr)


def _iso(day: float) -> str:
    return pd.Timestamp(np.datetime64(int(round(day)), "D")).date().isoformat()
