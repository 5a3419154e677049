"""The fuel-import route specification: routes to Bamako, their stops and volume
shares, with every assumption named (``fuel_routes.toml``), and share overrides."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from routerisk.config import package_file, read_toml
from routerisk.errors import (
    ArgumentError,
    UnknownNameError,
    ValidationError,
    pydantic_problems,
)

log = logging.getLogger(__name__)


#: The default routes file.
ROUTES_FILE = package_file("fuel_routes.toml")


#: Shares in a routes file must sum to 1 within this tolerance.
SHARE_TOLERANCE = 0.005


#: Country names accepted for ISO3 codes (bans, route countries).
COUNTRY_NAMES: dict[str, str] = {
    "senegal": "SEN", "cote d ivoire": "CIV", "cote divoire": "CIV", "ivory coast": "CIV",
    "guinea": "GIN", "guinee": "GIN", "mauritania": "MRT", "mauritanie": "MRT",
    "mali": "MLI", "burkina faso": "BFA", "burkina": "BFA", "niger": "NER", "ghana": "GHA",
    "togo": "TGO", "benin": "BEN", "gambia": "GMB", "the gambia": "GMB",
    "guinea bissau": "GNB", "algeria": "DZA", "liberia": "LBR", "sierra leone": "SLE",
}


def country_code(text: str) -> str:
    """ISO3 code of a country given by ISO3 code or English/French name.

    Raises
    ------
    UnknownNameError
        When the text is neither a known name nor a three-letter code.
    """
    from routerisk.geo.gazetteer import normalize_name

    t = str(text).strip()
    if len(t) == 3 and t.isalpha():
        return t.upper()
    code = COUNTRY_NAMES.get(normalize_name(t))
    if code is None:
        known = ", ".join(sorted({k.title() for k in COUNTRY_NAMES}))
        raise UnknownNameError(f"unknown country '{text}': give an ISO3 code (e.g. SEN) or "
                               f"one of: {known}")
    return code


# --------------------------------------------------------------------------- spec
class Stop(BaseModel):
    """A place on an import route: origin, waypoint, border crossing or destination."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    country: str = Field(min_length=3, max_length=3, description="ISO3 code")
    role: str = Field(default="via", pattern="^(via|border)$")
    kind: str = ""
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    coords_note: str = ""

    @field_validator("country")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()

    def model_post_init(self, _ctx) -> None:
        if (self.lat is None) != (self.lon is None):
            raise ValueError(f"stop '{self.name}': give both lat and lon, or neither")


class ImportRoute(BaseModel):
    """One fuel-import route to the destination.

    ``share`` is the fraction of import volume; ``share_basis`` is ``"document"`` when a
    source gives it, else the id of a named assumption of the routes file, or ``"user"``
    once overridden.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    label: str = ""
    origin: Stop
    border: str = ""
    via: list[Stop] = Field(default_factory=list)
    destination: Stop | None = None
    share: float = Field(ge=0, le=1)
    share_basis: str = "document"
    sources: list[str] = Field(default_factory=list)

    @property
    def origin_country(self) -> str:
        return self.origin.country

    @property
    def border_country(self) -> str | None:
        """Country on the far side of the first border crossing (the exporting side)."""
        stops = [self.origin, *self.via]
        for i, s in enumerate(stops):
            if s.role == "border":
                dest = self.destination.country if self.destination else "MLI"
                if s.country != dest:
                    return s.country
                return stops[i - 1].country if i else s.country
        return None

    def stops(self, destination: Stop) -> list[Stop]:
        return [self.origin, *self.via, self.destination or destination]


class FuelRoutes(BaseModel):
    """The routes file: destination, named assumptions and routes."""

    model_config = ConfigDict(extra="forbid")

    destination: Stop
    assumptions: dict[str, str] = Field(default_factory=dict)
    routes: list[ImportRoute] = Field(min_length=1)
    source: str = ""
    notes: list[str] = Field(default_factory=list)
    #: Assumption ids some route's share rests on in the file (filled on load).
    share_assumption_ids: list[str] = Field(default_factory=list)

    def route(self, name: str) -> ImportRoute:
        for r in self.routes:
            if r.name == name:
                return r
        raise UnknownNameError(f"unknown import route '{name}'; known: "
                               f"{', '.join(r.name for r in self.routes)}")

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.routes]

    def assumptions_in_use(self) -> dict[str, str]:
        """Assumptions that still matter: general ones, and share assumptions some route's
        current (not overridden) share rests on."""
        used = {r.share_basis for r in self.routes}
        return {k: v for k, v in self.assumptions.items()
                if k in used or k not in self.share_assumption_ids}


def _check(spec: FuelRoutes, source: str) -> None:
    problems = []
    names = [r.name for r in spec.routes]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"route names must be unique; repeated: {', '.join(dupes)}")
    for i, r in enumerate(spec.routes):
        if r.share_basis not in ("document", "user") and r.share_basis not in spec.assumptions:
            problems.append(f"routes[{i}] '{r.name}', 'share_basis': must be 'document' or "
                            f"an id under [assumptions]; got '{r.share_basis}'")
    total = sum(r.share for r in spec.routes)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        problems.append(f"shares must sum to 1 (±{SHARE_TOLERANCE}); they sum to {total:.4f}")
    if problems:
        raise ValidationError(source, problems)


def load_routes(path: str | os.PathLike[str] | None = None) -> FuelRoutes:
    """Read and validate a fuel-routes TOML file.

    Parameters
    ----------
    path
        The file; default ``networks/fuel_routes.toml`` of the project.

    Raises
    ------
    SpecError
        When the file is missing or not valid TOML.
    ValidationError
        When fields are missing or wrong, names repeat, a ``share_basis`` names no
        assumption, or the shares do not sum to 1 (every problem listed).
    """
    p = Path(path) if path is not None else ROUTES_FILE
    raw = read_toml(p, what="fuel routes file")
    return routes_from_dict(raw, source=str(p))


def routes_from_dict(raw: Mapping, *, source: str = "<dict>") -> FuelRoutes:
    """Validate a routes specification given as a dict (the parsed TOML)."""
    try:
        spec = FuelRoutes.model_validate({**raw, "source": source})
    except PydanticValidationError as exc:
        raise ValidationError(source, pydantic_problems(exc.errors())) from None
    _check(spec, source)
    spec.share_assumption_ids = sorted({r.share_basis for r in spec.routes}
                                       & set(spec.assumptions))
    return spec


def parse_share_overrides(items: Iterable[str]) -> dict[str, float]:
    """Parse ``ROUTE=FRACTION`` strings (``--share``); a percentage like ``60%`` is accepted.

    Raises
    ------
    ArgumentError
        On a malformed item or a fraction outside [0, 1].
    """
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise ArgumentError(f"--share '{item}': expected ROUTE=FRACTION, e.g. dakar=0.6")
        try:
            frac = float(value[:-1]) / 100 if value.endswith("%") else float(value)
        except ValueError:
            raise ArgumentError(f"--share '{item}': '{value}' is not a number") from None
        if not (0 <= frac <= 1) or math.isnan(frac):
            raise ArgumentError(f"--share '{item}': the fraction must be between 0 and 1")
        out[name] = frac
    return out


def with_shares(spec: FuelRoutes, overrides: Mapping[str, float]) -> FuelRoutes:
    """Apply share overrides and keep the total at 1.

    The overridden routes take the given shares exactly; the other routes are rescaled,
    keeping their proportions, so that all shares sum to 1 (a note in ``notes`` records the
    factor). When every route is overridden the given shares must already sum to 1.

    Raises
    ------
    UnknownNameError
        An override names no route (the message lists the routes).
    SpecError
        The overrides alone exceed 1, or cannot be completed to 1.
    """
    if not overrides:
        return spec
    for name in overrides:
        spec.route(name)  # raises UnknownNameError
    fixed = sum(overrides.values())
    rest = [r for r in spec.routes if r.name not in overrides]
    rest_total = sum(r.share for r in rest)
    notes = list(spec.notes)
    if fixed > 1 + SHARE_TOLERANCE:
        raise ArgumentError(f"the shares given with --share sum to {fixed:.3f} > 1")
    if not rest or rest_total <= 0:
        if abs(fixed - 1) > SHARE_TOLERANCE:
            raise ArgumentError(f"the shares given sum to {fixed:.3f}; with no other route to "
                            "rescale they must sum to 1")
        factor = 0.0
    else:
        factor = (1 - fixed) / rest_total
        if abs(factor - 1) > 1e-9:
            notes.append(f"shares of {', '.join(r.name for r in rest)} rescaled by "
                         f"{factor:.3f} so that all shares sum to 1")
    routes = []
    for r in spec.routes:
        if r.name in overrides:
            routes.append(r.model_copy(update={"share": overrides[r.name],
                                               "share_basis": "user"}))
        else:
            routes.append(r.model_copy(update={"share": r.share * factor}))
    return spec.model_copy(update={"routes": routes, "notes": notes})

