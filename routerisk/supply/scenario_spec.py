"""Scenario presets: blockades, named road closures and import bans, as validated
pydantic models loaded from ``scenarios.toml``, and the ``--blockade`` parser."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from routerisk.config import package_file, read_toml
from routerisk.errors import (
    ArgumentError,
    UnknownNameError,
    ValidationError,
    pydantic_problems,
)

log = logging.getLogger(__name__)


#: The presets file.
SCENARIOS_FILE = package_file("scenarios.toml")


#: Blockade radius when neither the scenario nor the catalogue gives one, km.
DEFAULT_BLOCKADE_RADIUS_KM = 25.0


#: Separators accepted between the two towns of a road closure.
ROAD_SEPARATORS = ("..", "–", "—")


class Blockade(BaseModel):
    """Blockade of a town: roads within ``radius_km`` are closed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    town: str = Field(min_length=1)
    country: str | None = None
    radius_km: float | None = Field(default=None, gt=0, le=500)


class Scenario(BaseModel):
    """A named set of closures (blockades, roads, bans)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = "custom"
    title: str = ""
    blockades: list[Blockade] = Field(default_factory=list)
    roads: list[str] = Field(default_factory=list)
    bans: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    def combine(self, other: Scenario, *, name: str | None = None) -> Scenario:
        """This scenario's closures plus ``other``'s."""
        return Scenario(name=name or f"{self.name}+{other.name}",
                        title=" + ".join(t for t in (self.title, other.title) if t),
                        blockades=[*self.blockades, *other.blockades],
                        roads=[*self.roads, *other.roads], bans=[*self.bans, *other.bans],
                        sources=[*self.sources, *other.sources])

    @property
    def is_empty(self) -> bool:
        return not (self.blockades or self.roads or self.bans)


class NamedRoad(BaseModel):
    """A road reference declared by the towns it passes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str = ""
    towns: list[str] = Field(min_length=2)
    source: str = ""


class Presets(BaseModel):
    """The presets file: named roads and scenarios."""

    model_config = ConfigDict(extra="forbid")

    roads: dict[str, NamedRoad] = Field(default_factory=dict)
    scenarios: dict[str, Scenario] = Field(default_factory=dict)

    def scenario(self, name: str) -> Scenario:
        if name not in self.scenarios:
            import difflib

            close = difflib.get_close_matches(name, list(self.scenarios), n=3, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise UnknownNameError(f"unknown scenario preset '{name}'; presets: "
                                   f"{', '.join(self.scenarios)}.{hint}")
        return self.scenarios[name]


def load_presets(path: str | os.PathLike[str] | None = None) -> Presets:
    """Read and validate the presets file (default ``networks/scenarios.toml``).

    Raises
    ------
    SpecError
        Missing file or invalid TOML.
    ValidationError
        Wrong fields (every problem listed).
    """
    p = Path(path) if path is not None else SCENARIOS_FILE
    raw = read_toml(p, what="scenario presets file")
    scen = raw.get("scenarios", {})
    if isinstance(scen, dict):
        raw = {**raw, "scenarios": {k: {**v, "name": k} if isinstance(v, dict) else v
                                    for k, v in scen.items()}}
    try:
        return Presets.model_validate(raw)
    except PydanticValidationError as exc:
        raise ValidationError(str(p), pydantic_problems(exc.errors())) from None


def check_towns(presets: Presets, path: str | os.PathLike[str] | None = None, *,
                gazetteer=None) -> None:
    """Check that every town of the presets file is in the gazetteer, before any work.

    Parameters
    ----------
    presets
        As returned by :func:`load_presets`.
    path
        The file they came from (named in the error; default ``networks/scenarios.toml``).
    gazetteer
        Gazetteer frame (default :func:`routerisk.geo.gazetteer.load_gazetteer`).

    Raises
    ------
    ValidationError
        Naming the file and, for every unknown or ambiguous town, where it is used.
    """
    from routerisk.errors import GeocodeError
    from routerisk.geo.gazetteer import geocode, load_gazetteer

    gaz = load_gazetteer() if gazetteer is None else gazetteer
    problems = []
    uses = [(f"scenarios.{name}.blockades[{i}].town", b.town, b.country or "MLI")
            for name, sc in presets.scenarios.items() for i, b in enumerate(sc.blockades)]
    uses += [(f"roads.{name}.towns[{i}]", town, None)
             for name, road in presets.roads.items() for i, town in enumerate(road.towns)]
    for where, town, country in uses:
        try:
            geocode(town, country=country, gazetteer=gaz)
        except GeocodeError as exc:
            problems.append(f"'{where}': {exc}")
    if problems:
        raise ValidationError(str(path if path is not None else SCENARIOS_FILE), problems)


def parse_blockade(text: str) -> Blockade:
    """Parse ``TOWN`` or ``TOWN:RADIUS_KM`` (``--blockade``)."""
    town, sep, radius = str(text).rpartition(":")
    if not sep:
        return Blockade(town=text.strip())
    try:
        r = float(radius)
    except ValueError:
        raise ArgumentError(f"--blockade '{text}': expected TOWN or TOWN:RADIUS_KM; "
                        f"'{radius}' is not a number", option="--blockade") from None
    if not (0 < r <= 500):  # also refuses nan
        raise ArgumentError(f"--blockade '{text}': the radius must be in (0, 500] km",
                            option="--blockade")
    return Blockade(town=town.strip(), radius_km=r)

