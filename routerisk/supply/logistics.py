"""Fuel supply model: what the import routes deliver to Bamako, in m³/day, tanker-days,
days of stock cover and tankers lost.

Per route ``r`` with share ``s_r`` of national demand ``D`` (m³/day):

- ``m3_per_day = s_r · D``; ``tankers_per_day = m3_per_day / capacity``;
- round trip (days) = ``(2 · drive_h · 24 / driving_hours_per_day
  + dwell_h · (1 + return_border_factor) + terminal_h) / 24``, where ``drive_h`` and
  ``dwell_h`` (border and customs dwell) come from the generalised cost of the route
  (:mod:`routerisk.supply.cost`);
- fleet (tanker-days per day) = ``tankers_per_day · round_trip_days``;
- expected tankers lost per month = incidents per month on the route (``mu`` over the
  horizon, scaled to 30.44 days) × ``convoy_hit_probability`` (scaled down on routes with
  fewer than ``convoy_reference_tankers_per_day`` tankers) × ``tankers_lost_per_attack``.

Under a scenario, a route cut off delivers nothing; a detoured route keeps its fleet
(assumption S4), so it delivers ``m3_per_day · rt_before / rt_after`` and would need
``tankers_per_day · (rt_after − rt_before)`` extra tanker-days per day to keep its volume.
Days of cover = stock (``stock_days_of_cover · D``) / shortfall (``D`` − m³/day arriving);
no shortfall: the stock is not drawn down (``None``)."""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from routerisk.config import package_file, read_toml
from routerisk.errors import ValidationError, pydantic_problems

log = logging.getLogger(__name__)


#: The default supply file.
SUPPLY_FILE = package_file("supply.toml")


#: Days in an average month.
DAYS_PER_MONTH = 365.25 / 12


class SupplyModel(BaseModel):
    """National demand, tankers, stock and loss assumptions (every number named)."""

    model_config = ConfigDict(extra="forbid")

    demand_m3_per_day: float = Field(gt=0, le=1e6)
    demand_m3_per_day_range: tuple[float, float] | None = None
    tanker_capacity_m3: float = Field(gt=0, le=200)
    driving_hours_per_day: float = Field(gt=0, le=24)
    terminal_h: float = Field(default=24.0, ge=0, le=24 * 30)
    return_border_factor: float = Field(default=0.5, ge=0, le=2)
    stock_days_of_cover: float = Field(ge=0, le=365)
    stock_days_of_cover_range: tuple[float, float] | None = None
    convoy_hit_probability: float = Field(ge=0, le=1)
    convoy_reference_tankers_per_day: float = Field(default=20.0, gt=0, le=10_000)
    tankers_lost_per_attack: float = Field(ge=0, le=1000)
    tankers_lost_per_attack_range: tuple[float, float] | None = None
    assumptions: dict[str, str] = Field(default_factory=dict)
    source: str = ""
    notes: list[str] = Field(default_factory=list)

    # ------------------------------------------------------------------ per route
    def round_trip_days(self, cost_h: float, dwell_h: float) -> float:
        """Round trip of one tanker (days) on a route of generalised cost ``cost_h`` of
        which ``dwell_h`` is border and customs dwell."""
        drive_h = max(0.0, cost_h - dwell_h)
        hours = (2 * drive_h * 24.0 / self.driving_hours_per_day
                 + dwell_h * (1 + self.return_border_factor) + self.terminal_h)
        return hours / 24.0

    def tankers_lost_per_month(self, mu: float, horizon_days: float | None,
                               tankers_per_day: float,
                               tankers_per_attack: float | None = None) -> float:
        """Expected tankers lost per month on a route with ``mu`` expected incidents over
        ``horizon_days`` and ``tankers_per_day`` loaded tankers: incidents per month ×
        P(an incident hits a fuel convoy) × tankers lost per attack, where P is
        ``convoy_hit_probability`` scaled down on routes with fewer tankers than
        ``convoy_reference_tankers_per_day``."""
        if not horizon_days or not math.isfinite(mu):
            return math.nan
        per_attack = self.tankers_lost_per_attack if tankers_per_attack is None \
            else tankers_per_attack
        p_hit = self.convoy_hit_probability * min(
            1.0, tankers_per_day / self.convoy_reference_tankers_per_day)
        return mu * DAYS_PER_MONTH / horizon_days * p_hit * per_attack

    def route_row(self, share: float, cost_h: float, dwell_h: float, mu: float,
                  horizon_days: float | None) -> dict:
        """Baseline supply figures of one route."""
        m3 = share * self.demand_m3_per_day
        rt = self.round_trip_days(cost_h, dwell_h)
        tpd = m3 / self.tanker_capacity_m3
        lo, hi = self.tankers_lost_per_attack_range or (self.tankers_lost_per_attack,) * 2
        return {"m3_per_day": m3, "tankers_per_day": tpd, "round_trip_days": rt,
                "fleet_tankers": tpd * rt,
                "tankers_lost_per_month": self.tankers_lost_per_month(mu, horizon_days, tpd),
                "tankers_lost_per_month_low":
                    self.tankers_lost_per_month(mu, horizon_days, tpd, lo),
                "tankers_lost_per_month_high":
                    self.tankers_lost_per_month(mu, horizon_days, tpd, hi)}

    # ------------------------------------------------------------------ totals
    def days_of_cover(self, arriving_m3_per_day: float, *,
                      stock_days: float | None = None) -> float | None:
        """Days until the Bamako stock runs out at this arrival rate (``None``: no
        shortfall, the stock is not drawn down)."""
        d = self.demand_m3_per_day
        days = self.stock_days_of_cover if stock_days is None else stock_days
        shortfall = d - arriving_m3_per_day
        if shortfall <= 1e-9 * d:
            return None
        return days * d / shortfall

    def days_of_cover_range(self, arriving_m3_per_day: float) -> list[float | None]:
        """Low and high days of cover from the stock range."""
        lo, hi = self.stock_days_of_cover_range or (self.stock_days_of_cover,) * 2
        return [self.days_of_cover(arriving_m3_per_day, stock_days=lo),
                self.days_of_cover(arriving_m3_per_day, stock_days=hi)]

    def to_dict(self) -> dict:
        return {"demand_m3_per_day": self.demand_m3_per_day,
                "tanker_capacity_m3": self.tanker_capacity_m3,
                "driving_hours_per_day": self.driving_hours_per_day,
                "terminal_h": self.terminal_h, "return_border_factor": self.return_border_factor,
                "stock_days_of_cover": self.stock_days_of_cover,
                "convoy_hit_probability": self.convoy_hit_probability,
                "tankers_lost_per_attack": self.tankers_lost_per_attack}


def load_supply(path: str | os.PathLike[str] | None = None, **overrides) -> SupplyModel:
    """Read and validate a supply file (default ``routerisk/data/supply.toml``).

    ``overrides`` (e.g. ``demand_m3_per_day=3000``; ``None`` values ignored) replace the
    file's values; each one overridden is recorded in ``notes`` and the ranges it makes
    meaningless are dropped.

    Raises
    ------
    SpecError
        Missing file or invalid TOML.
    ValidationError
        Wrong fields (every problem listed).
    """
    p = Path(path) if path is not None else SUPPLY_FILE
    raw = dict(read_toml(p, what="supply file"))
    notes = []
    for k, v in overrides.items():
        if v is None:
            continue
        raw[k] = v
        raw.pop(f"{k}_range", None)
        notes.append(f"{k} = {v:g} (given by the user)")
    try:
        return SupplyModel.model_validate({**raw, "source": str(p), "notes": notes})
    except PydanticValidationError as exc:
        raise ValidationError(str(p), pydantic_problems(exc.errors())) from None


def supply_summary(model: SupplyModel, rows: list[dict]) -> dict:
    """Totals of per-route supply rows (``m3_per_day``, ``tankers_lost_per_month`` …)."""
    arriving = sum(r.get("m3_per_day", 0.0) or 0.0 for r in rows)
    lost = sum(r.get("tankers_lost_per_month", 0.0) or 0.0 for r in rows
               if not math.isnan(r.get("tankers_lost_per_month", 0.0) or 0.0))
    lost_lo = sum(r.get("tankers_lost_per_month_low", 0.0) or 0.0 for r in rows)
    lost_hi = sum(r.get("tankers_lost_per_month_high", 0.0) or 0.0 for r in rows)
    return {"demand_m3_per_day": model.demand_m3_per_day,
            "arriving_m3_per_day": arriving,
            "share_of_demand_arriving": arriving / model.demand_m3_per_day,
            "days_of_cover": model.days_of_cover(arriving),
            "days_of_cover_range": model.days_of_cover_range(arriving),
            "stock_days_of_cover": model.stock_days_of_cover,
            "fleet_tankers": sum(r.get("fleet_tankers", 0.0) or 0.0 for r in rows),
            "extra_tanker_days_per_day":
                sum(r.get("extra_tanker_days_per_day", 0.0) or 0.0 for r in rows),
            "tankers_lost_per_month": lost,
            "tankers_lost_per_month_range": [lost_lo, lost_hi]}
