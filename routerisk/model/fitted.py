"""Prediction from a fitted hazard model, with numpy and scipy only (no scikit-learn).

:class:`FittedHazard` holds the one implementation of everything a fitted model computes
(segment probabilities, rates, feature contributions, the calibrated route probability,
the route's recent history) and of its state (:meth:`FittedHazard.get_state`,
:meth:`FittedHazard.from_state`). The estimator :class:`routerisk.model.hazard.HazardModel`
inherits it and adds the fit; :class:`SavedHazardModel` is the same fitted model rebuilt
from a saved state (:func:`routerisk.model.persist.load_model`), without importing
scikit-learn, so scoring with a saved model starts fast.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from routerisk.errors import RouteRiskError, SpecError
from routerisk.geo.grid import Polylines
from routerisk.model import calibration as cal
from routerisk.model.features import IncidentHistory, feature_space
from routerisk.model.kernels import DAYS_PER_YEAR, KERNELS, _day_number, _resolve_severity
from routerisk.model.lines import edge_lines

#: Constructor parameters of the hazard model, in order.
PARAM_NAMES = ("horizon_days", "radius_km", "n_origins", "origin_step_days", "C", "severity",
               "precision_spread", "kernel", "n_routes", "route_calibration", "n_route_origins",
               "route_prior", "random_state")
#: Arrays of the fitted state (everything else in it is a plain JSON value).
_STATE_ARRAYS = ("feature_mean_", "feature_scale_", "coef_", "route_coef_")
_HISTORY_FIELDS = ("source_x", "source_y", "source_precision_km", "incident_source",
                   "incident_day", "incident_weight", "incident_violent")


class FittedHazard:
    """What a fitted hazard model computes; the fitted attributes are set by
    :meth:`routerisk.model.hazard.HazardModel.fit` or :meth:`from_state`.

    Subclasses hold the constructor parameters of :data:`PARAM_NAMES` as attributes of the
    same names and give them by ``get_params()`` (scikit-learn's, or
    :meth:`SavedHazardModel.get_params`).
    """

    def _check_fitted(self, attr: str = "coef_") -> None:
        """Raise unless the model is fitted (``attr`` set)."""
        if not hasattr(self, attr):
            raise RouteRiskError(f"this {type(self).__name__} is not fitted: call fit(...) "
                                 "first")

    def _check_params(self) -> None:
        problems = []
        for name in ("horizon_days", "n_origins", "origin_step_days", "n_route_origins"):
            v = getattr(self, name)
            if not (isinstance(v, (int, np.integer)) and v >= 1):
                problems.append(f"{name} must be a whole number >= 1; got {v!r}")
        for name in ("radius_km", "C", "route_prior"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                problems.append(f"{name} must be a positive number; got {v!r}")
        if self.kernel not in KERNELS:
            problems.append(f"kernel must be one of {sorted(KERNELS)}; got {self.kernel!r}")
        if not (isinstance(self.n_routes, (int, np.integer)) and self.n_routes >= 0):
            problems.append(f"n_routes must be a whole number >= 0; got {self.n_routes!r}")
        if self.route_calibration not in ("corridors", "random"):
            problems.append(f"route_calibration must be 'corridors' or 'random'; got "
                            f"{self.route_calibration!r}")
        if problems:
            raise SpecError(f"{type(self).__name__}: " + "; ".join(problems))
        _resolve_severity(self.severity)

    # -- predict -------------------------------------------------------------------------
    def _logistic(self, Z: np.ndarray) -> np.ndarray:
        return cal.expit(self.intercept_ + Z @ self.coef_)

    def _scaled(self, X: np.ndarray) -> np.ndarray:
        """Raw features standardised as in the fit."""
        return (X - self.feature_mean_) / self.feature_scale_

    def _predict_features(self, X: np.ndarray) -> np.ndarray:
        """``P_e`` from raw features (n_segments, n_features)."""
        return self._logistic(self._scaled(X))

    def _space(self, lines: Polylines, length_km: np.ndarray):
        """The feature space of ``lines`` against the model's incident history."""
        return feature_space(lines, length_km, self.history_, radius_km=float(self.radius_km),
                             precision_spread=self.precision_spread, kernel=self.kernel)

    def _as_of_day(self) -> float:
        """``as_of_`` in days since 1970-01-01."""
        return float(_day_number(pd.DatetimeIndex([self.as_of_]))[0])

    def _features(self, lines: Polylines, length_km: np.ndarray,
                  incident_counts: np.ndarray | None) -> np.ndarray:
        """Raw features (n_resamples, n_segments, n_features) at ``as_of_``."""
        self._check_fitted("coef_")
        return self._space(lines, length_km).at_resampled(self._as_of_day(), incident_counts)

    def _standardised(self, lines: Polylines, length_km: np.ndarray, *,
                      incident_counts: np.ndarray | None = None) -> np.ndarray:
        counts = None if incident_counts is None else np.asarray(incident_counts)[None]
        return self._scaled(self._features(lines, length_km, counts)[0])

    def predict_lines(self, lines: Polylines, length_km: np.ndarray, *,
                      incident_counts: np.ndarray | None = None) -> np.ndarray:
        """``P_e`` over ``horizon_days_`` for polylines (km) of the given road lengths.

        ``incident_counts`` optionally multiplies each training incident (a bootstrap
        resample of the history, one count per incident in ``history_``)."""
        return self._logistic(self._standardised(lines, np.asarray(length_km, float),
                                                 incident_counts=incident_counts))

    def predict_lines_resampled(self, lines: Polylines, length_km: np.ndarray,
                                incident_counts: np.ndarray) -> np.ndarray:
        """``P_e`` (n_resamples, n_segments) for many resamples of the history at once:
        row ``b`` is ``predict_lines(lines, length_km, incident_counts=incident_counts[b])``
        (the resamples share the sparse products; the same numbers)."""
        X = self._features(lines, np.asarray(length_km, float), np.asarray(incident_counts))
        return (np.stack([self._predict_features(x) for x in X]) if len(X)
                else np.zeros((0, lines.n)))

    def predict_proba(self, G: nx.MultiDiGraph) -> pd.Series:
        """``P_e``: probability of a disrupting incident over ``horizon_days_``, per edge
        ``(u, v, key)``."""
        el = edge_lines(G)
        return pd.Series(self.predict_lines(el.lines, el.length_km), index=el.index,
                         name="p_disrupt")

    def predict_rate(self, G: nx.MultiDiGraph) -> pd.Series:
        """``rate_per_km_yr = -ln(1 - P_e) / (L_e * horizon_days_ / 365.25)`` per edge."""
        el = edge_lines(G)
        p = self.predict_lines(el.lines, el.length_km)
        return pd.Series(self.rate_from_p(p, el.length_km), index=el.index,
                         name="rate_per_km_yr")

    def rate_from_p(self, p: np.ndarray, length_km: np.ndarray) -> np.ndarray:
        """Rate per km per year equivalent to ``p`` over the model's horizon."""
        self._check_fitted("coef_")
        km_years = np.asarray(length_km, float) * self.horizon_days_ / DAYS_PER_YEAR
        return cal.mu_from_p(p) / km_years

    def contributions(self, G: nx.MultiDiGraph) -> pd.DataFrame:
        """Per-edge contributions to the log-odds of ``P_e``: ``coef_j * z_j`` for every
        standardised feature ``z_j`` (zero at the training mean), plus ``intercept``;
        the row sum is ``logit(P_e)``."""
        el = edge_lines(G)
        Z = self._standardised(el.lines, el.length_km)
        frame = pd.DataFrame(Z * self.coef_, index=el.index, columns=self.feature_names_)
        frame.insert(0, "intercept", self.intercept_)
        return frame

    def route_probability(self, mu: np.ndarray | float, length_km: np.ndarray | float,
                          history: cal.RouteHistory) -> np.ndarray:
        """Calibrated probability that a route is disrupted over ``horizon_days_``.

        Parameters
        ----------
        mu
            ``sum_e -ln(1 - P_e)`` over the route's pieces (the independence view).
        length_km
            Road length of the route.
        history
            The route's disrupted share and own correction (:meth:`route_history`).
        """
        self._check_fitted("route_coef_")
        return cal.route_probability(self.route_coef_, mu, length_km, history)

    def route_history(self, lines: Polylines, length_km: np.ndarray,
                      routes: list[np.ndarray] | None = None) -> cal.RouteHistory:
        """The routes' history before ``as_of_``
        (:func:`~routerisk.model.calibration.route_history`): the share of the
        :func:`~routerisk.model.calibration.n_prior_windows` windows in which a violent
        incident lay within ``radius_km`` of the route, and its own correction learnt on
        the route-calibration windows ``route_origins_``.

        Parameters
        ----------
        lines, length_km
            The pieces (km) and their road lengths.
        routes
            Positions of each route's pieces in ``lines``; default one route made of all.
        """
        self._check_fitted("route_coef_")
        length_km = np.asarray(length_km, float)
        M = cal.route_incidence(routes if routes is not None else [np.arange(lines.n)],
                                lines.n)
        origins = [float(d) for d in _day_number(pd.DatetimeIndex(self.route_origins_))]
        return cal.route_history(self._space(lines, length_km), self._predict_features, M,
                                 length_km, self.route_coef_, self._as_of_day(), origins,
                                 self.horizon_days_,
                                 step_days=int(self.origin_step_days),
                                 prior=float(self.route_prior))

    def params_used(self) -> dict[str, Any]:
        """The fitted parameters as plain values (for reports and JSON)."""
        self._check_fitted("coef_")
        return {
            "as_of": self.as_of_.date().isoformat(), "horizon_days": self.horizon_days_,
            "link": "logistic (L2)", "C": float(self.C), "radius_km": float(self.radius_km),
            "intercept": self.intercept_,
            "coef": dict(zip(self.feature_names_, map(float, self.coef_), strict=True)),
            "route_calibration": [float(c) for c in self.route_coef_],
            "route_calibration_basis": self.route_calibration_basis_,
            "n_route_windows": self.n_route_windows_, "route_prior": float(self.route_prior),
            "route_origins": [self.route_origins_[-1], self.route_origins_[0]]
            if self.route_origins_ else [],
            "severity": self.severity if isinstance(self.severity, str) else "custom",
            "n_incidents": self.n_incidents_, "n_ignored_after_as_of": self.n_ignored_after_as_of_,
            "train_origins": list(self.train_origins_),
            "n_windows_skipped_uncovered": self.n_windows_skipped_uncovered_,
            "coverage": list(self.coverage_), "train_positive_rate": self.train_positive_rate_,
            "fitted_outside_coverage": self.fitted_outside_coverage_,
        }

    # -- state ---------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """The fitted model as JSON-able values and numpy arrays (no pickle).

        Keys: ``params`` (constructor parameters), ``fitted`` (scalars and lists), and one
        ``array.<name>`` key per numpy array (the incident history as
        ``array.history.<field>``): the JSON-able values and the arrays can be split by type
        and stored apart (:mod:`routerisk.model.persist`).
        """
        self._check_fitted("coef_")
        if not isinstance(self.severity, str):
            raise SpecError("get_state: only the named severities ('default', 'uniform') "
                            "can be stored")
        arrays = {f"array.{n}": np.asarray(getattr(self, n)) for n in _STATE_ARRAYS}
        for f in _HISTORY_FIELDS:
            arrays[f"array.history.{f}"] = np.asarray(getattr(self.history_, f))
        fitted = {
            "as_of": self.as_of_.date().isoformat(), "horizon_days": self.horizon_days_,
            "intercept": self.intercept_, "feature_names": list(self.feature_names_),
            "n_incidents": self.n_incidents_,
            "n_ignored_after_as_of": self.n_ignored_after_as_of_,
            "train_origins": list(self.train_origins_),
            "n_windows_skipped_uncovered": self.n_windows_skipped_uncovered_,
            "coverage": list(self.coverage_), "train_positive_rate": self.train_positive_rate_,
            "route_calibration_basis": self.route_calibration_basis_,
            "n_route_windows": self.n_route_windows_,
            "route_origins": list(self.route_origins_),
            "fitted_outside_coverage": self.fitted_outside_coverage_,
        }
        params = {k: (int(v) if isinstance(v, np.integer) else v)
                  for k, v in self.get_params().items()}
        return {"params": params, "fitted": fitted, **arrays}

    @classmethod
    def from_state(cls, state: dict[str, Any]):
        """A fitted model of this class from :meth:`get_state` output (identical
        predictions)."""
        try:
            model = cls(**state["params"])
            f = state["fitted"]
            for n in _STATE_ARRAYS:
                setattr(model, n, np.asarray(state[f"array.{n}"], float))
            model.history_ = IncidentHistory(**{
                k: np.asarray(state[f"array.history.{k}"]) for k in _HISTORY_FIELDS})
            model.intercept_ = float(f["intercept"])
            model.feature_names_ = list(f["feature_names"])
            model.as_of_ = pd.Timestamp(f["as_of"])
            model.horizon_days_ = int(f["horizon_days"])
            model.n_incidents_ = int(f["n_incidents"])
            model.n_ignored_after_as_of_ = int(f["n_ignored_after_as_of"])
            model.train_origins_ = list(f["train_origins"])
            model.n_windows_skipped_uncovered_ = int(f["n_windows_skipped_uncovered"])
            model.coverage_ = list(f["coverage"])
            model.train_positive_rate_ = float(f["train_positive_rate"])
            model.route_calibration_basis_ = str(f["route_calibration_basis"])
            model.n_route_windows_ = int(f["n_route_windows"])
            model.route_origins_ = list(f["route_origins"])
            model.fitted_outside_coverage_ = bool(f["fitted_outside_coverage"])
        except (KeyError, TypeError) as exc:
            raise SpecError(f"{cls.__name__}.from_state: malformed state ({exc})") from exc
        model._check_params()
        if len(model.coef_) != len(model.feature_names_):
            raise SpecError(f"{cls.__name__}.from_state: coef_ and feature_names differ in "
                            "length")
        return model


class SavedHazardModel(FittedHazard):
    """A fitted hazard model rebuilt from its saved state (predicts only; to refit, make a
    :class:`routerisk.model.hazard.HazardModel` with :meth:`get_params`).

    Parameters
    ----------
    **params
        The constructor parameters of :class:`~routerisk.model.hazard.HazardModel`
        (:data:`PARAM_NAMES`), all required.
    """

    def __init__(self, **params: Any) -> None:
        if set(params) != set(PARAM_NAMES):
            raise TypeError(f"SavedHazardModel: expected the parameters {list(PARAM_NAMES)}; "
                            f"got {sorted(params)}")
        for name in PARAM_NAMES:
            setattr(self, name, params[name])

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters (as :meth:`HazardModel.get_params` gives them)."""
        return {name: getattr(self, name) for name in PARAM_NAMES}

    def __repr__(self) -> str:
        return f"SavedHazardModel(horizon_days={self.horizon_days!r})"
