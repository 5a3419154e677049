"""Disruption scenarios: composable closures and their effect on the fuel-import routes.

A :class:`Scenario` combines three kinds of closure:

- **blockade** of a town: every road piece whose geometry comes within ``radius_km`` of the
  town is closed. Radius: the one given, else the ``closure_radius_km`` of the catalogue's
  blockade of that town (matched by place name, within 25 km), else
  :data:`DEFAULT_BLOCKADE_RADIUS_KM` (25 km, see ``incidents/README.md``, *Closures*);
- **road** closure: a named road of ``networks/scenarios.toml`` (the trunk network has no
  ``ref`` tags; a road is declared as the towns it passes), a ``ref`` when the graph has
  them, or the road between two towns written ``"A..B"`` (the fastest road between them,
  both directions);
- **ban** on imports from countries: every import route whose origin, or the exporting
  side of its border crossing, is in a banned country is cut (no detour can help).

:func:`run_scenario` compares each import route with the baseline: routes hit by a closure
are rerouted from origin to destination on the fastest open road (their declared stops are
dropped: the stops describe the usual corridor, not an obligation), else cut. Closures that
touch no road, and bans that hit no route, are reported in ``warnings``, never ignored."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from routerisk.config import package_file, read_toml
from routerisk.errors import SpecError, UnknownNameError, ValidationError, pydantic_problems

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


def parse_blockade(text: str) -> Blockade:
    """Parse ``TOWN`` or ``TOWN:RADIUS_KM`` (``--blockade``)."""
    town, sep, radius = str(text).rpartition(":")
    if not sep:
        return Blockade(town=text.strip())
    try:
        r = float(radius)
    except ValueError:
        raise SpecError(f"--blockade '{text}': expected TOWN or TOWN:RADIUS_KM; "
                        f"'{radius}' is not a number") from None
    if not (0 < r <= 500):
        raise SpecError(f"--blockade '{text}': the radius must be in (0, 500] km")
    return Blockade(town=town.strip(), radius_km=r)

