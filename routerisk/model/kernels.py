"""Kernel pieces of the hazard model: severity weights, time decay, spatial kernels
and the validated incident columns the model needs."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from routerisk.errors import SpecError, ValidationError
from routerisk.geo.grid import Polylines, map_blocks
from routerisk.incidents.schema import EventType, Target

logger = logging.getLogger(__name__)


#: Columns of an incident frame the model reads.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "date", "latitude", "longitude", "location_precision_km", "event_type", "target",
    "fatalities")


#: Kernels: name -> (profile of u = d/h, support in units of h).
KERNELS = {
    "gaussian": (lambda u: np.exp(-0.5 * u * u), 3.0),
    "epanechnikov": (lambda u: np.clip(1.0 - u * u / 5.0, 0.0, None), math.sqrt(5.0)),
}


DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Severity:
    """Severity weights of incidents.

    The weight of an incident is ``event_type[type] * target[target] *
    (1 + fatality_coef * ln(1 + fatalities))``; unknown fatalities count as zero.

    Parameters
    ----------
    event_type
        Weight by :class:`~routerisk.incidents.schema.EventType` value; missing types weigh 1.
    target
        Multiplier by :class:`~routerisk.incidents.schema.Target` value; missing targets weigh 1.
    fatality_coef
        How much reported deaths raise the weight (0: not at all).
    """

    event_type: Mapping[str, float] = field(default_factory=dict)
    target: Mapping[str, float] = field(default_factory=dict)
    fatality_coef: float = 0.0

    def weights(self, incidents: pd.DataFrame) -> np.ndarray:
        """Severity weight of every incident (row order kept)."""
        et = incidents["event_type"].astype(str).map(dict(self.event_type)).fillna(1.0)
        tg = incidents["target"].astype(str).map(dict(self.target)).fillna(1.0)
        deaths = pd.to_numeric(incidents["fatalities"], errors="coerce").fillna(0)
        deaths = deaths.to_numpy(dtype=float).clip(0, None)
        return (et.to_numpy(float) * tg.to_numpy(float)
                * (1.0 + self.fatality_coef * np.log1p(deaths)))


#: Default severity: attacks on the road itself (ambush of convoys, IEDs, blockades) weigh
#: more than clashes elsewhere; fuel tankers and convoys on the road more than other
#: targets; protests and strategic developments barely count.
DEFAULT_SEVERITY = Severity(
    event_type={
        EventType.CONVOY_AMBUSH.value: 2.0, EventType.IED.value: 1.5,
        EventType.BLOCKADE.value: 1.5, EventType.ATTACK_ON_TOWN.value: 1.5,
        EventType.KIDNAPPING.value: 1.0, EventType.CHECKPOINT.value: 1.0,
        EventType.CLASH.value: 1.0, EventType.VIOLENCE_AGAINST_CIVILIANS.value: 1.0,
        EventType.LOOTING.value: 0.5, EventType.STRATEGIC.value: 0.25,
        EventType.PROTEST.value: 0.1,
    },
    target={
        Target.FUEL_TANKER.value: 2.0, Target.CONVOY.value: 1.5,
        Target.PASSENGER_TRANSPORT.value: 1.5,
    },
    fatality_coef=0.3,
)


#: Every incident weighs 1 (for comparisons).
UNIFORM_SEVERITY = Severity()


def _resolve_severity(severity: Severity | str | None) -> Severity:
    if severity is None or severity == "default":
        return DEFAULT_SEVERITY
    if severity == "uniform":
        return UNIFORM_SEVERITY
    if isinstance(severity, Severity):
        return severity
    raise SpecError(f"severity: expected 'default', 'uniform' or a Severity; got {severity!r}")


def validate_incidents(incidents: pd.DataFrame, *, source: str = "incidents") -> pd.DataFrame:
    """Check the columns the model needs; return a clean copy with a typed ``date``.

    Raises
    ------
    ValidationError
        Listing every missing column and every row with a bad date or coordinate.
    """
    if not isinstance(incidents, pd.DataFrame):
        raise ValidationError(source, [f"expected an incident DataFrame; got "
                                       f"{type(incidents).__name__}"])
    missing = [c for c in REQUIRED_COLUMNS if c not in incidents.columns]
    if missing:
        raise ValidationError(source, [f"missing column '{c}'" for c in missing])
    df = pd.DataFrame(incidents[list(REQUIRED_COLUMNS)]).copy()
    df["date"] = pd.to_datetime(df["date"], errors="coerce")
    problems = []
    for col, lo, hi in (("latitude", -90, 90), ("longitude", -180, 180),
                        ("location_precision_km", 0, 1000)):
        df[col] = pd.to_numeric(df[col], errors="coerce")
        bad = ~df[col].between(lo, hi)
        for pos in np.flatnonzero(bad.to_numpy())[:20]:
            problems.append(f"row {pos}, '{col}': must be between {lo} and {hi}; "
                            f"got {incidents[col].iloc[pos]!r}")
    for pos in np.flatnonzero(df["date"].isna().to_numpy())[:20]:
        problems.append(f"row {pos}, 'date': must be a date; got {incidents['date'].iloc[pos]!r}")
    if problems:
        raise ValidationError(source, problems)
    return df.reset_index(drop=True)


def _as_timestamp(value: Any, what: str = "as_of") -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise SpecError(f"{what}: expected a date (YYYY-MM-DD); got {value!r}") from exc
    if pd.isna(ts):
        raise SpecError(f"{what}: expected a date (YYYY-MM-DD); got {value!r}")
    return ts.tz_localize(None).normalize() if ts.tzinfo else ts.normalize()


def _day_number(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Days since 1970-01-01 as floats."""
    values = pd.DatetimeIndex(dates).as_unit("ns").asi8
    return values / 86_400e9


def _decay(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    return np.exp(-math.log(2.0) * np.maximum(age_days, 0.0) / half_life_days)


def kernel_values(dist_km: np.ndarray, h_km: np.ndarray, bandwidth_km: float,
                  kernel: str = "gaussian") -> np.ndarray:
    """``K(d; h) = (bandwidth / h) * profile(d / h)``, zero beyond the support."""
    profile, support = KERNELS[kernel]
    u = dist_km / h_km
    return np.where(u < support, (bandwidth_km / h_km) * profile(u), 0.0)


def _kernel_from_sq(d2: np.ndarray, h_km: np.ndarray, bandwidth_km: float,
                    kernel: str) -> np.ndarray:
    """``profile(d / h)`` from squared distances, in place, zero beyond the support.

    The ``bandwidth / h`` factor of :func:`kernel_values` is left to the caller.
    """
    support = KERNELS[kernel][1]
    inv_h2 = 1.0 / (h_km * h_km)
    outside = d2 >= (support * support) / inv_h2[None, :]
    d2 *= inv_h2[None, :]                       # now u^2
    if kernel == "gaussian":
        d2 *= -0.5
        np.exp(d2, out=d2)
    else:
        np.subtract(1.0, d2 / 5.0, out=d2)
        np.clip(d2, 0.0, None, out=d2)
    d2[outside] = 0.0
    return d2


def spread_km(precision_km: np.ndarray, bandwidth_km: float, precision_spread: bool
              ) -> np.ndarray:
    """Kernel width of every source: ``sqrt(bandwidth^2 + precision^2)`` (or the bandwidth)."""
    p = np.asarray(precision_km, dtype=float)
    if not precision_spread:
        return np.full(p.shape, float(bandwidth_km))
    return np.sqrt(bandwidth_km ** 2 + p ** 2)


def kernel_sum(lines: Polylines, sx: np.ndarray, sy: np.ndarray, weight: np.ndarray,
               h_km: np.ndarray, bandwidth_km: float, *, kernel: str = "gaussian",
               n_jobs: int | None = None) -> np.ndarray:
    """``M_e = sum_j weight_j * K(d_je; h_j)`` for every polyline ``e``.

    Sources are grouped by reach (support x width) so that each group is searched with a
    grid fitted to its own reach; only pairs within reach are evaluated. Distances and
    kernel values are computed in float32 relative to each block's origin (centimetre
    resolution; relative error of a sum about 1e-6) and summed into float64.
    """
    mass = np.zeros(lines.n)
    keep = weight > 0
    if not keep.any() or lines.n == 0:
        return mass
    sx, sy, weight, h_km = sx[keep], sy[keep], weight[keep], h_km[keep]
    reach = KERNELS[kernel][1] * h_km
    cls = np.ceil(np.log(reach) / np.log(1.5)).astype(int)
    for c in np.unique(cls):
        sel = np.flatnonzero(cls == c)
        gx, gy, gw, gh = sx[sel], sy[sel], weight[sel], h_km[sel]

        def block(lids, pts, d2, gw=gw, gh=gh):
            k = _kernel_from_sq(d2, gh[pts].astype(d2.dtype), bandwidth_km, kernel)
            return lids, k @ (gw[pts] * (bandwidth_km / gh[pts])).astype(d2.dtype)

        for lids, vals in map_blocks(lines, gx, gy, float(reach[sel].max()), block,
                                     n_jobs=n_jobs, dtype=np.float32):
            mass[lids] += vals
    return mass

