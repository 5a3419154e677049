"""Features of road segments at a forecast origin, from the incident history before it.

Every feature of a segment at day ``t`` uses only incidents dated strictly before ``t``:

- ``mass_b{B}_h{H}``: ``log1p`` of the severity-weighted kernel mass
  ``sum_i w_i * 2^(-age_i / H) * K(d_ie; h_i)`` with bandwidth ``B`` km (widened by each
  incident's location precision) and half-life ``H`` days (:mod:`routerisk.model.kernels`);
- ``recency_r{R}``: ``log1p`` of the days since the last violent incident within ``R`` km
  (capped at :data:`RECENCY_CAP_DAYS` when there was none);
- ``count_r{R}_d{D}``: ``log1p`` of the number of violent incidents within ``R`` km in the
  last ``D`` days;
- ``log_length_km``: the segment's road length (a longer piece has more road to be hit).

The kernel and neighbour matrices depend on the places only, not on the date, so a
:class:`FeatureSpace` computes them once and then gives the features at any number of
origins (the fit's training origins, a rolling backtest's origins) by re-weighting."""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from routerisk.geo.grid import Polylines, pairs_within
from routerisk.geo.projection import lonlat_to_km
from routerisk.incidents.schema import VIOLENT_TYPES
from routerisk.model.kernels import (
    KERNELS,
    Severity,
    _day_number,
    kernel_values,
    spread_km,
)

logger = logging.getLogger(__name__)

#: Kernel bandwidths (km) and half-lives (days) of the mass features.
MASS_BANDWIDTHS_KM: tuple[float, ...] = (5.0, 20.0)
MASS_HALF_LIVES_DAYS: tuple[float, ...] = (90.0, 365.0, 1460.0)
#: Radii (km) of the recency features.
RECENCY_RADII_KM: tuple[float, ...] = (10.0, 50.0)
#: Windows (days) of the count features (violent incidents within ``radius_km``).
COUNT_WINDOWS_DAYS: tuple[int, ...] = (30, 90, 365, 1095)
#: Days since the last violent incident when there was none within reach.
RECENCY_CAP_DAYS = 3650.0


def feature_names(radius_km: float = 10.0) -> list[str]:
    """Names of the feature columns, in order."""
    names = [f"mass_b{b:g}_h{h:g}" for b in MASS_BANDWIDTHS_KM for h in MASS_HALF_LIVES_DAYS]
    names += [f"recency_r{r:g}" for r in RECENCY_RADII_KM]
    names += [f"count_r{radius_km:g}_d{d}" for d in COUNT_WINDOWS_DAYS]
    names.append("log_length_km")
    return names


@dataclass
class IncidentHistory:
    """The incident history as arrays: one kernel source per distinct place and precision.

    All arrays are plain numbers (no pandas objects), so the history can be stored as JSON
    plus numpy arrays.
    """

    source_x: np.ndarray             #: km, azimuthal equidistant projection of the area
    source_y: np.ndarray
    source_precision_km: np.ndarray
    incident_source: np.ndarray      #: source of every incident (int)
    incident_day: np.ndarray         #: days since 1970-01-01 (float)
    incident_weight: np.ndarray      #: severity weight
    incident_violent: np.ndarray     #: bool

    @classmethod
    def from_frame(cls, df: pd.DataFrame, severity: Severity) -> IncidentHistory:
        """Arrays of a validated incident frame (see :func:`kernels.validate_incidents`)."""
        x, y = lonlat_to_km(df["longitude"].to_numpy(float), df["latitude"].to_numpy(float))
        prec = df["location_precision_km"].to_numpy(float)
        key = pd.DataFrame({"x": np.round(x, 6), "y": np.round(y, 6), "p": prec})
        codes = key.groupby(["x", "y", "p"], sort=True).ngroup().to_numpy(np.int64)
        uniq = key.drop_duplicates().sort_values(["x", "y", "p"], kind="stable")
        return cls(uniq["x"].to_numpy(float), uniq["y"].to_numpy(float),
                   uniq["p"].to_numpy(float), codes, _day_number(df["date"]),
                   np.asarray(severity.weights(df), float),
                   df["event_type"].astype(str).isin(VIOLENT_TYPES).to_numpy(bool))

    def fingerprint(self) -> str:
        """A digest of the arrays (to reuse feature spaces built on the same history)."""
        h = hashlib.sha1()
        for a in (self.source_x, self.source_y, self.source_precision_km,
                  self.incident_source, self.incident_day, self.incident_weight,
                  self.incident_violent):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()


class FeatureSpace:
    """Kernel and neighbour matrices of a set of polylines against an incident history.

    Parameters
    ----------
    lines
        The road segments (km).
    length_km
        Their road lengths.
    history
        The incidents.
    radius_km
        Radius of the count features (the labelling radius).
    precision_spread
        Widen each kernel by the incident's location precision.
    kernel
        Kernel profile name (:data:`kernels.KERNELS`).
    """

    def __init__(self, lines: Polylines, length_km: np.ndarray, history: IncidentHistory, *,
                 radius_km: float = 10.0, precision_spread: bool = True,
                 kernel: str = "gaussian") -> None:
        self.lines = lines
        self.length_km = np.asarray(length_km, float)
        self.history = history
        self.radius_km = float(radius_km)
        self.precision_spread = bool(precision_spread)
        self.kernel = kernel
        self.names = feature_names(self.radius_km)
        # built on first use: the labels of a route need one neighbour matrix, not all
        self._kernels: dict[float, sp.csr_matrix] = {}
        self._near: dict[float, sp.csr_matrix] = {}
        self._in_reach: np.ndarray | None = None

    def kernel_matrix(self, bandwidth_km: float) -> sp.csr_matrix:
        """(n_segments, n_sources) kernel weights at one of :data:`MASS_BANDWIDTHS_KM`."""
        k = self._kernels.get(bandwidth_km)
        if k is None:
            hist = self.history
            h = spread_km(hist.source_precision_km, bandwidth_km, self.precision_spread)
            pi, li, d = pairs_within(self.lines, hist.source_x, hist.source_y,
                                     KERNELS[self.kernel][1] * h)
            values = kernel_values(d, h[pi], bandwidth_km, self.kernel)
            k = self._kernels[bandwidth_km] = sp.csr_matrix(
                (values, (li, pi)), shape=(self.lines.n, len(hist.source_x)))
        return k

    def near_matrix(self, radius_km: float) -> sp.csr_matrix:
        """(n_segments, n_sources) ones where a source lies within ``radius_km``."""
        m = self._near.get(radius_km)
        if m is None:
            hist = self.history
            pi, li, _ = pairs_within(self.lines, hist.source_x, hist.source_y, radius_km)
            m = self._near[radius_km] = sp.csr_matrix(
                (np.ones(len(pi)), (li, pi)), shape=(self.lines.n, len(hist.source_x)))
        return m

    def at(self, day: float, *, counts: np.ndarray | None = None) -> np.ndarray:
        """Feature matrix (n_segments, n_features) at ``day`` (days since 1970-01-01).

        ``counts`` optionally multiplies every incident (a bootstrap resample).
        """
        return self.at_resampled(day, None if counts is None else np.asarray(counts)[None])[0]

    def at_resampled(self, day: float, counts: np.ndarray | None) -> np.ndarray:
        """Feature matrices (n_resamples, n_segments, n_features) at ``day``, one per row of
        ``counts`` (n_resamples, n_incidents): how many times each incident is drawn (one
        matrix, every incident once, when ``None``). The resamples share the sparse
        products."""
        n = 1 if counts is None else len(counts)
        return self._at_columns(np.full(n, float(day)), counts)

    def at_days(self, days) -> np.ndarray:
        """Feature matrices (n_days, n_segments, n_features), one per day of ``days``: the
        same numbers as :meth:`at` at each day, with the sparse products shared."""
        return self._at_columns(np.asarray(days, float), None)

    def _at_columns(self, days: np.ndarray, counts: np.ndarray | None) -> np.ndarray:
        """Features (n_columns, n_segments, n_features): column ``c`` at ``days[c]``, each
        incident counted ``counts[c]`` times (once when ``None``)."""
        hist = self.history
        n_src = len(hist.source_x)
        # only the incidents within reach of some segment can move a feature
        keep = self._incidents_in_reach()
        inc_day, inc_src = hist.incident_day[keep], hist.incident_source[keep]
        before = inc_day[None, :] < days[:, None]
        mult = (before.astype(float) if counts is None
                else before * np.asarray(counts, float)[:, keep])
        age = np.maximum(days[:, None] - inc_day[None, :], 0.0)
        to_source = sp.csr_matrix((np.ones(len(inc_src)), (inc_src, np.arange(len(inc_src)))),
                                  shape=(n_src, len(inc_src)))

        def product(matrix: sp.csr_matrix, weights: np.ndarray) -> np.ndarray:
            # (n_segments, n_columns): every column's incident weights summed per source,
            # then spread over the segments
            return np.asarray(matrix @ (to_source @ weights.T))

        cols = []
        for bw in MASS_BANDWIDTHS_KM:
            for hl in MASS_HALF_LIVES_DAYS:
                w = hist.incident_weight[keep] * np.exp(-math.log(2.0) * age / hl) * mult
                cols.append(np.log1p(product(self.kernel_matrix(bw), w)))
        viol = hist.incident_violent[keep] & (mult > 0)
        last = np.zeros((n_src, len(days)))
        for c in range(len(days)):
            np.maximum.at(last[:, c], inc_src[viol[c]], inc_day[viol[c]] + 1.0)
        for r in RECENCY_RADII_KM:
            latest = _row_max(self.near_matrix(r), last)
            since = np.where(latest > 0, days[None, :] - (latest - 1.0), RECENCY_CAP_DAYS)
            cols.append(np.log1p(np.clip(since, 0.0, RECENCY_CAP_DAYS)))
        near = self.near_matrix(self.radius_km)
        for d in COUNT_WINDOWS_DAYS:
            inwin = viol & (inc_day[None, :] >= days[:, None] - d)
            cols.append(np.log1p(product(near, mult * inwin)))
        cols.append(np.repeat(np.log(self.length_km)[:, None], len(days), axis=1))
        return np.ascontiguousarray(np.stack(cols, axis=-1).transpose(1, 0, 2))

    def _incidents_in_reach(self) -> np.ndarray:
        """Positions of the incidents whose place lies within reach of some segment in any
        kernel or neighbour matrix of the features (the others weigh 0 everywhere)."""
        if self._in_reach is None:
            used = np.zeros(len(self.history.source_x), dtype=bool)
            for m in ([self.kernel_matrix(bw) for bw in MASS_BANDWIDTHS_KM]
                      + [self.near_matrix(r) for r in (*RECENCY_RADII_KM, self.radius_km)]):
                used[m.indices] = True
            self._in_reach = np.flatnonzero(used[self.history.incident_source])
        return self._in_reach

    def labels(self, start_day: float, end_day: float) -> np.ndarray:
        """1 where a violent incident dated in ``[start_day, end_day)`` lies within
        ``radius_km`` of the segment."""
        return self.window_labels([start_day], [end_day])[:, 0]

    def window_labels(self, start_days, end_days) -> np.ndarray:
        """(n_segments, n_windows): :meth:`labels` of every window ``[start_days[w],
        end_days[w])``, in one pass."""
        hist = self.history
        start = np.asarray(start_days, float)[None, :]
        end = np.asarray(end_days, float)[None, :]
        day = hist.incident_day[:, None]
        sel = hist.incident_violent[:, None] & (day >= start) & (day < end)
        hit = np.zeros((len(hist.source_x), sel.shape[1]), dtype=bool)
        rows, cols = np.nonzero(sel)
        hit[hist.incident_source[rows], cols] = True
        return (self.near_matrix(self.radius_km) @ hit.astype(float) > 0).astype(int)


def _row_max(matrix: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """``max(0, max_j matrix[i, j] * values[j, k])`` over the stored entries ``j`` of each
    row ``i`` of ``matrix``, for every column ``k`` of ``values`` (zero for an empty row)."""
    out = np.zeros((matrix.shape[0], values.shape[1]))
    starts = matrix.indptr[:-1]
    filled = np.diff(matrix.indptr) > 0
    if filled.any():
        prod = matrix.data[:, None] * values[matrix.indices]
        out[filled] = np.maximum(np.maximum.reduceat(prod, starts[filled], axis=0), 0.0)
    return out


_CACHE: dict[tuple, FeatureSpace] = {}


def feature_space(lines: Polylines, length_km: np.ndarray, history: IncidentHistory, *,
                  radius_km: float, precision_spread: bool, kernel: str) -> FeatureSpace:
    """A :class:`FeatureSpace`, reused when the same lines and history come again (the
    folds of a rolling backtest share their kernel matrices)."""
    lh = hashlib.sha1()
    for a in (lines.x, lines.y, lines.offsets, length_km):
        lh.update(np.ascontiguousarray(a).tobytes())
    key = (lh.hexdigest(), history.fingerprint(), float(radius_km), bool(precision_spread),
           kernel)
    space = _CACHE.get(key)
    if space is None:
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        space = FeatureSpace(lines, length_km, history, radius_km=radius_km,
                             precision_spread=precision_spread, kernel=kernel)
        _CACHE[key] = space
    return space
