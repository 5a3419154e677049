"""The hazard model: a rate of disrupting incidents per km of road per year, as of a date.

For a road segment ``e`` of length ``L_e`` (km) the model predicts the yearly expected
number of disrupting incidents ``c_e`` and the rate ``rate_per_km_yr = c_e / L_e``::

    c_e = scale * M_e + baseline_rate_per_km_yr * L_e
    M_e = sum_i  w_i * decay(age_i) * K(d_ie; h_i)          (the "raw hazard", kernel mass)

- ``d_ie`` is the exact distance (km) from incident ``i`` to the segment's polyline (not
  its midpoint), computed in an azimuthal equidistant projection of the study area;
- ``K(d; h) = (b / h) * exp(-d^2 / (2 h^2))`` for ``d < 3 h`` (Gaussian profile, or an
  Epanechnikov profile), with ``h_i = sqrt(b^2 + p_i^2)`` where ``b`` is the bandwidth (km)
  and ``p_i`` the incident's location precision (km): a vague location spreads its weight
  wider and lower, keeping its mass across the road the same;
- ``decay(age) = exp(-ln 2 * age / half_life_days)`` with ``age`` in days before ``as_of``;
- ``w_i`` is the severity weight: event type x target x (1 + fatality_coef * ln(1 + deaths)).

"Disrupting incident" means a violent incident (:data:`routerisk.schema.VIOLENT_TYPES`)
within ``radius_km`` of the segment: that is what the scale is calibrated on and what the
backtest scores. Only incidents dated strictly before ``as_of`` are used.

``fit`` chooses the bandwidth and the half-life from grids, and fits ``scale`` and the
background rate, by rolling-origin time splits on the training incidents only: for each
forecast origin ``o`` (``as_of - k * horizon_days``), kernel masses are computed from the
incidents before ``o`` and scored against the violent incidents in ``[o, o + horizon)``
with the Poisson log-likelihood of "at least one incident" (``P = 1 - exp(-mu)``). The
scale and background are fitted on the other origins (leave one origin out), so every
validation score is out of sample."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from routerisk.errors import RouteRiskError, SpecError, ValidationError
from routerisk.geo.grid import Polylines, pairs_within
from routerisk.geo.projection import lonlat_to_km
from routerisk.incidents.schema import VIOLENT_TYPES
from routerisk.model.kernels import (
    DAYS_PER_YEAR,
    KERNELS,
    Severity,
    _as_timestamp,
    _day_number,
    _decay,
    _resolve_severity,
    kernel_sum,
    kernel_values,
    spread_km,
    validate_incidents,
)
from routerisk.model.lines import edge_lines

logger = logging.getLogger(__name__)


class HazardModel:
    """Rate of disrupting incidents per km of road per year, from incident history.

    Parameters
    ----------
    bandwidth_km
        Spatial kernel bandwidth (km) used when ``tune`` is false (default 5).
    half_life_days
        Half-life (days) of an incident's weight, used when ``tune`` is false (default 730).
    severity
        ``"default"`` (:data:`DEFAULT_SEVERITY`), ``"uniform"`` or a :class:`Severity`.
    precision_spread
        Widen each incident's kernel by its location precision (default true).
    baseline_rate_per_km_yr
        Background rate of disrupting incidents per km per year everywhere; ``None``
        (default) fits it with the scale.
    tune
        Choose bandwidth and half-life from the grids by rolling-origin validation
        (default true). The scale and background are fitted by the same splits either way.
    bandwidth_grid_km, half_life_grid_days
        The tuning grids.
    n_origins
        Number of rolling forecast origins (default 3).
    horizon_days
        Length (days) of the window each origin is scored on (default 365).
    radius_km
        An incident within this distance (km) of a segment disrupts it (default 10).
    kernel
        ``"gaussian"`` (default, truncated at 3 widths) or ``"epanechnikov"``.
    min_window_incidents
        A validation window with fewer violent training incidents is skipped and the
        origins move further back (data gaps are not peace); default 10.
    random_state
        Seed for anything random (the bootstrap in :func:`routerisk.risk.route_risk`).

    Attributes
    ----------
    as_of_ : pandas.Timestamp
        Forecast date; only incidents dated strictly before it were used.
    bandwidth_km_, half_life_days_ : float
        The chosen hyper-parameters.
    scale_ : float
        Expected disrupting incidents per year per unit of kernel mass.
    baseline_rate_per_km_yr_ : float
        Fitted (or given) background rate.
    cv_scores_ : pandas.DataFrame
        One row per grid point: ``bandwidth_km, half_life_days, cv_loglik`` (mean
        out-of-sample log-likelihood per segment and window), ``cv_brier``, ``scale``,
        ``baseline_rate_per_km_yr``.
    cv_origins_ : list of pandas.Timestamp
        The forecast origins used for validation.
    n_incidents_ : int
        Training incidents used (dated before ``as_of``).
    n_ignored_after_as_of_ : int
        Incidents dropped because they are dated on or after ``as_of``.
    """

    def __init__(self, bandwidth_km: float = 5.0, half_life_days: float = 730.0, *,
                 severity: Severity | str | None = "default", precision_spread: bool = True,
                 baseline_rate_per_km_yr: float | None = None, tune: bool = True,
                 bandwidth_grid_km: Sequence[float] = (5.0, 10.0, 20.0, 40.0),
                 half_life_grid_days: Sequence[float] = (90.0, 180.0, 365.0, 730.0, 1460.0),
                 n_origins: int = 3, horizon_days: int = 365, radius_km: float = 10.0,
                 kernel: str = "gaussian", min_window_incidents: int = 10,
                 random_state: int | None = 0) -> None:
        self.bandwidth_km = bandwidth_km
        self.half_life_days = half_life_days
        self.severity = severity
        self.precision_spread = precision_spread
        self.baseline_rate_per_km_yr = baseline_rate_per_km_yr
        self.tune = tune
        self.bandwidth_grid_km = bandwidth_grid_km
        self.half_life_grid_days = half_life_grid_days
        self.n_origins = n_origins
        self.horizon_days = horizon_days
        self.radius_km = radius_km
        self.kernel = kernel
        self.min_window_incidents = min_window_incidents
        self.random_state = random_state

    # -- scikit-learn style parameter access --------------------------------------------
    _PARAMS = ("bandwidth_km", "half_life_days", "severity", "precision_spread",
               "baseline_rate_per_km_yr", "tune", "bandwidth_grid_km",
               "half_life_grid_days", "n_origins", "horizon_days", "radius_km", "kernel",
               "min_window_incidents", "random_state")

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def set_params(self, **params: Any) -> HazardModel:
        """Set constructor parameters; returns self."""
        for name, value in params.items():
            if name not in self._PARAMS:
                raise SpecError(f"HazardModel has no parameter '{name}'")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        default = HazardModel()
        changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                   if v != getattr(default, k)]
        return f"HazardModel({', '.join(changed)})"

    # -- checks ------------------------------------------------------------------------
    def _check_params(self) -> None:
        problems = []
        for name in ("bandwidth_km", "half_life_days", "horizon_days", "radius_km"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
                problems.append(f"{name} must be a positive number; got {value!r}")
        for name in ("bandwidth_grid_km", "half_life_grid_days"):
            grid = list(getattr(self, name))
            if not grid or any(not (g > 0) for g in grid):
                problems.append(f"{name} must be a non-empty list of positive numbers; "
                                f"got {grid!r}")
        if self.kernel not in KERNELS:
            problems.append(f"kernel must be one of {sorted(KERNELS)}; got {self.kernel!r}")
        if not (isinstance(self.n_origins, int) and self.n_origins >= 1):
            problems.append(f"n_origins must be an integer >= 1; got {self.n_origins!r}")
        b = self.baseline_rate_per_km_yr
        if b is not None and not (b >= 0):
            problems.append(f"baseline_rate_per_km_yr must be >= 0 or None; got {b!r}")
        if problems:
            raise SpecError("HazardModel: " + "; ".join(problems))
        _resolve_severity(self.severity)

    def _check_fitted(self) -> None:
        if not hasattr(self, "scale_"):
            raise RouteRiskError("this HazardModel is not fitted yet: call fit(incidents, "
                                 "as_of=...) first")

    # -- fit -----------------------------------------------------------------------------
    def fit(self, incidents: pd.DataFrame, *, as_of: Any = None,
            G: nx.MultiDiGraph | None = None) -> HazardModel:
        """Fit on the incidents dated strictly before ``as_of``.

        Parameters
        ----------
        incidents
            An incident frame (:data:`routerisk.schema.INCIDENT_COLUMNS`).
        as_of
            Forecast date; default: the day after the latest incident.
        G
            Road graph whose segments the rolling-origin validation scores; default the
            study network (:func:`routerisk.network.load_study_network`).

        Returns
        -------
        HazardModel
            ``self``, fitted.
        """
        self._check_params()
        df = validate_incidents(incidents)
        if as_of is None:
            if df.empty:
                raise ValidationError("incidents", ["no incidents to fit on"])
            as_of_ts = df["date"].max().normalize() + pd.Timedelta(days=1)
        else:
            as_of_ts = _as_timestamp(as_of)
        before = (df["date"] < as_of_ts).to_numpy()
        self.n_ignored_after_as_of_ = int((~before).sum())
        train = df[before].reset_index(drop=True)
        self.as_of_ = as_of_ts
        self.n_incidents_ = len(train)
        severity = _resolve_severity(self.severity)

        x, y = lonlat_to_km(train["longitude"].to_numpy(), train["latitude"].to_numpy())
        prec = train["location_precision_km"].to_numpy(float)
        # one kernel source per distinct (location, precision): exact and much faster
        key = pd.DataFrame({"x": np.round(x, 6), "y": np.round(y, 6), "p": prec})
        codes = key.groupby(["x", "y", "p"], sort=True).ngroup().to_numpy(np.int64)
        uniq = key.drop_duplicates().sort_values(["x", "y", "p"], kind="stable")
        self.source_x_ = uniq["x"].to_numpy(float)
        self.source_y_ = uniq["y"].to_numpy(float)
        self.source_precision_km_ = uniq["p"].to_numpy(float)
        self.incident_source_ = codes
        self.incident_day_ = _day_number(train["date"])
        self.incident_weight_ = severity.weights(train)
        self.incident_violent_ = train["event_type"].astype(str).isin(VIOLENT_TYPES).to_numpy()
        logger.info("hazard model: %d incidents before %s at %d distinct places",
                    len(train), as_of_ts.date(), len(self.source_x_))

        grid = self._grid()
        if G is None:
            from routerisk.network.io import load_study_network
            G = load_study_network()
        self._fit_cv(G, grid)
        return self

    def _grid(self) -> list[tuple[float, float]]:
        if self.tune:
            return [(float(b), float(h)) for b in self.bandwidth_grid_km
                    for h in self.half_life_grid_days]
        return [(float(self.bandwidth_km), float(self.half_life_days))]

    def _origins(self) -> list[pd.Timestamp]:
        """Rolling origins whose following window holds enough violent training incidents."""
        horizon = pd.Timedelta(days=int(self.horizon_days))
        viol_days = self.incident_day_[self.incident_violent_]
        first_day = self.incident_day_.min() if len(self.incident_day_) else np.inf
        origins = []
        for k in range(1, 4 * self.n_origins + 1):
            origin = self.as_of_ - k * horizon
            o, e = _day_number(pd.DatetimeIndex([origin, origin + horizon]))
            n_window = int(((viol_days >= o) & (viol_days < e)).sum())
            if first_day < o and n_window >= self.min_window_incidents:
                origins.append(origin)
            if len(origins) == self.n_origins:
                break
        return origins

    def _source_weights(self, day: float, half_life_days: float, *,
                        counts: np.ndarray | None = None) -> np.ndarray:
        """Decayed severity weight of every source, from incidents dated before ``day``."""
        before = self.incident_day_ < day
        w = self.incident_weight_ * _decay(day - self.incident_day_, half_life_days) * before
        if counts is not None:
            w = w * counts
        return np.bincount(self.incident_source_, weights=w, minlength=len(self.source_x_))

    def kernel_matrix(self, lines: Polylines, bandwidth_km: float | None = None
                      ) -> sp.csr_matrix:
        """Sparse ``K(d_je; h_j)`` of shape (n_polylines, n_sources)."""
        bw = self.bandwidth_km_ if bandwidth_km is None else bandwidth_km
        h = spread_km(self.source_precision_km_, bw, self.precision_spread)
        reach = KERNELS[self.kernel][1] * h
        pi, li, d = pairs_within(lines, self.source_x_, self.source_y_, reach)
        k = kernel_values(d, h[pi], bw, self.kernel)
        return sp.csr_matrix((k, (li, pi)), shape=(lines.n, len(self.source_x_)))

    def _fit_cv(self, G: nx.MultiDiGraph, grid: list[tuple[float, float]]) -> None:
        sub, length_km = edge_lines(G).undirected_lines()
        origins = self._origins()
        self.cv_origins_ = origins
        tau = self.horizon_days / DAYS_PER_YEAR
        fixed_b = self.baseline_rate_per_km_yr
        if not origins:
            logger.info("hazard model: no validation window with >= %d violent incidents; "
                        "using the untuned defaults and the stationary scale",
                        self.min_window_incidents)
            self.bandwidth_km_ = float(self.bandwidth_km)
            self.half_life_days_ = float(self.half_life_days)
            # stationary process: decayed mass ~ yearly count * half-life / ln 2
            self.scale_ = math.log(2.0) * DAYS_PER_YEAR / self.half_life_days_
            self.baseline_rate_per_km_yr_ = 0.0 if fixed_b is None else float(fixed_b)
            self.cv_scores_ = pd.DataFrame(columns=["bandwidth_km", "half_life_days",
                                                    "cv_loglik", "cv_brier", "scale",
                                                    "baseline_rate_per_km_yr"])
            return
        # labels: violent training incidents within radius_km in each window
        horizon = pd.Timedelta(days=int(self.horizon_days))
        lab = _window_labels(sub, self, origins, horizon)
        rows = []
        masses: dict[tuple[float, float], np.ndarray] = {}
        for bw in sorted({b for b, _ in grid}):
            K = self.kernel_matrix(sub, bw)
            for b2, hl in grid:
                if b2 != bw:
                    continue
                W = np.column_stack([self._source_weights(_day_number(
                    pd.DatetimeIndex([o]))[0], hl) for o in origins])
                masses[(bw, hl)] = np.asarray(K @ W)
        for bw, hl in grid:
            M = masses[(bw, hl)]
            ll, br = [], []
            for j in range(len(origins)):
                others = [i for i in range(len(origins)) if i != j] or [j]
                a, b = _fit_scale(M[:, others].ravel(order="F"),
                                  np.tile(length_km, len(others)),
                                  lab[:, others].ravel(order="F"), tau, fixed_b)
                mu = (a * M[:, j] + b * length_km) * tau
                ll.append(_loglik(lab[:, j], mu).mean())
                br.append(np.mean((-np.expm1(-mu) - lab[:, j]) ** 2))
            a, b = _fit_scale(M.ravel(order="F"), np.tile(length_km, len(origins)),
                              lab.ravel(order="F"), tau, fixed_b)
            rows.append({"bandwidth_km": bw, "half_life_days": hl,
                         "cv_loglik": float(np.mean(ll)), "cv_brier": float(np.mean(br)),
                         "scale": a, "baseline_rate_per_km_yr": b})
        scores = pd.DataFrame(rows)
        best = scores.sort_values(["cv_loglik", "bandwidth_km", "half_life_days"],
                                  ascending=[False, True, True], kind="stable").iloc[0]
        self.cv_scores_ = scores
        self.bandwidth_km_ = float(best["bandwidth_km"])
        self.half_life_days_ = float(best["half_life_days"])
        self.scale_ = float(best["scale"])
        self.baseline_rate_per_km_yr_ = float(best["baseline_rate_per_km_yr"])
        logger.info("hazard model: bandwidth %.0f km, half-life %.0f days, scale %.3g, "
                    "background %.3g /km/yr (%d origins)", self.bandwidth_km_,
                    self.half_life_days_, self.scale_, self.baseline_rate_per_km_yr_,
                    len(origins))

    # -- predict -------------------------------------------------------------------------
    def raw_hazard(self, G: nx.MultiDiGraph, *, n_jobs: int | None = None) -> pd.Series:
        """Kernel mass ``M_e`` of every edge at ``as_of_`` (before scale and background)."""
        self._check_fitted()
        el = edge_lines(G)
        return pd.Series(self._mass(el.lines, n_jobs=n_jobs), index=el.index,
                         name="raw_hazard")

    def _mass(self, lines: Polylines, *, n_jobs: int | None = None) -> np.ndarray:
        day = _day_number(pd.DatetimeIndex([self.as_of_]))[0]
        w = self._source_weights(day, self.half_life_days_)
        h = spread_km(self.source_precision_km_, self.bandwidth_km_, self.precision_spread)
        return kernel_sum(lines, self.source_x_, self.source_y_, w, h, self.bandwidth_km_,
                          kernel=self.kernel, n_jobs=n_jobs)

    def rate_from_mass(self, mass: np.ndarray, length_km: np.ndarray) -> np.ndarray:
        """``rate_per_km_yr = (scale * M + background * L) / L``."""
        self._check_fitted()
        return (self.scale_ * np.asarray(mass) + self.baseline_rate_per_km_yr_
                * np.asarray(length_km)) / np.asarray(length_km)

    def predict_rate(self, G: nx.MultiDiGraph, *, n_jobs: int | None = None) -> pd.Series:
        """Rate of disrupting incidents per km per year on every edge of ``G``.

        Returns
        -------
        pandas.Series
            ``rate_per_km_yr`` indexed by ``(u, v, key)``.
        """
        self._check_fitted()
        el = edge_lines(G)
        rate = self.rate_from_mass(self._mass(el.lines, n_jobs=n_jobs), el.length_km)
        return pd.Series(rate, index=el.index, name="rate_per_km_yr")

    def params_used(self) -> dict[str, Any]:
        """The fitted hyper-parameters as plain values (for reports and JSON)."""
        self._check_fitted()
        return {
            "as_of": self.as_of_.date().isoformat(),
            "bandwidth_km": self.bandwidth_km_, "half_life_days": self.half_life_days_,
            "scale": self.scale_, "baseline_rate_per_km_yr": self.baseline_rate_per_km_yr_,
            "kernel": self.kernel, "precision_spread": self.precision_spread,
            "severity": self.severity if isinstance(self.severity, str) else "custom",
            "radius_km": self.radius_km, "n_incidents": self.n_incidents_,
            "n_ignored_after_as_of": self.n_ignored_after_as_of_,
            "cv_origins": [o.date().isoformat() for o in self.cv_origins_],
        }


def _window_labels(lines: Polylines, model: HazardModel, origins: list[pd.Timestamp],
                   horizon: pd.Timedelta) -> np.ndarray:
    """1 where a violent training incident of the window lies within ``radius_km``."""
    lab = np.zeros((lines.n, len(origins)))
    viol = np.flatnonzero(model.incident_violent_)
    if len(viol) == 0:
        return lab
    src = np.unique(model.incident_source_[viol])
    pi, li, _ = pairs_within(lines, model.source_x_[src], model.source_y_[src],
                             float(model.radius_km))
    near = sp.csr_matrix((np.ones(len(pi)), (src[pi], li)),
                         shape=(len(model.source_x_), lines.n))
    for j, o in enumerate(origins):
        o_day, e_day = _day_number(pd.DatetimeIndex([o, o + horizon]))
        inwin = viol[(model.incident_day_[viol] >= o_day) & (model.incident_day_[viol] < e_day)]
        hit = np.zeros(len(model.source_x_))
        hit[np.unique(model.incident_source_[inwin])] = 1.0
        lab[:, j] = (near.T @ hit) > 0
    return lab


def _loglik(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Log-likelihood of "at least one incident" (y=1) or none (y=0) given Poisson mean mu."""
    mu = np.maximum(mu, 1e-12)
    return np.where(y > 0, np.log(-np.expm1(-mu)), -mu)


def _fit_scale(M: np.ndarray, L: np.ndarray, y: np.ndarray, tau: float,
               fixed_b: float | None) -> tuple[float, float]:
    """Maximise the censored Poisson log-likelihood over scale a >= 0 and background b >= 0."""
    if y.sum() == 0:
        return 0.0, 0.0 if fixed_b is None else float(fixed_b)
    a0 = max(y.mean() / max(tau * M.mean(), 1e-12), 1e-9) / 2
    b0 = max(y.mean() / max(tau * L.mean(), 1e-12), 1e-9) / 2

    def unpack(theta):
        a = math.exp(min(max(theta[0], -40.0), 20.0))
        b = math.exp(min(max(theta[1], -40.0), 20.0)) if fixed_b is None else float(fixed_b)
        return a, b

    def nll(theta):
        a, b = unpack(theta)
        mu = np.maximum((a * M + b * L) * tau, 1e-12)
        ll = _loglik(y, mu)
        dmu = np.where(y > 0, 1.0 / np.expm1(np.minimum(mu, 700.0)), -1.0)
        grad = [-(dmu * tau * a * M).sum()]
        grad.append(-(dmu * tau * b * L).sum() if fixed_b is None else 0.0)
        return -ll.sum(), np.asarray(grad)

    theta0 = np.log([a0, b0 if fixed_b is None else 1.0])
    # BFGS in log space (L-BFGS-B's Fortran core is oddly slow here); clipped exponents
    import scipy.optimize  # fit only: applying a saved model does not pay for this import

    res = scipy.optimize.minimize(nll, theta0, jac=True, method="BFGS",
                                  options={"gtol": 1e-8, "maxiter": 200})
    a, b = unpack(res.x)
    return float(a), float(b)

