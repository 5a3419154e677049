"""The generalised cost of moving a loaded fuel tanker: one model for every route, detour,
criticality and scenario.

Cost of one edge, in hours (``routerisk/data/cost.toml`` documents every number):

- **driving**: ``max(travel_time, length / v_class) × factor_class``, where ``v_class`` is
  the tanker speed of the edge's road class (``highway`` on OSM graphs, ``upgrade_cat`` on
  the trunk network; :attr:`CostModel.default_speed_kph` when unknown) and
  ``factor_class`` a named penalty (1 by default);
- **border dwell**: ``border_dwell_factor × border_time_min / 60`` (the network's World Bank
  estimates, apportioned over the pieces of a crossing link);
- **undeclared crossing**: a crossing link farther than ``crossing_radius_km`` from every
  transit crossing of the file pays ``undeclared_crossing_h`` more, apportioned over its
  pieces by length.

:meth:`CostModel.weight` returns the edge weight for a graph (precomputed once per graph
and model); :meth:`CostModel.edge_parts` the three parts of one edge."""

from __future__ import annotations

import logging
import math
import os
import weakref
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path

import networkx as nx
import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from routerisk.config import package_file, read_toml
from routerisk.errors import SpecError, ValidationError, pydantic_problems
from routerisk.network.nodes import edge_count

log = logging.getLogger(__name__)


#: The default cost file.
COST_FILE = package_file("cost.toml")


class Crossing(BaseModel):
    """A border crossing used by transit traffic (coordinates from the gazetteer unless
    given)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    country: str = Field(min_length=3, max_length=3)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    note: str = ""


class CostModel(BaseModel):
    """Generalised tanker cost (hours) of the edges of a road graph."""

    model_config = ConfigDict(extra="forbid")

    name: str = "custom"
    class_attributes: list[str] = Field(default_factory=lambda: ["highway", "upgrade_cat"])
    speed_kph: dict[str, float] = Field(default_factory=dict)
    class_factor: dict[str, float] = Field(default_factory=dict)
    default_speed_kph: float = Field(default=60.0, gt=0, le=200)
    border_dwell_factor: float = Field(default=1.0, ge=0, le=10)
    undeclared_crossing_h: float = Field(default=0.0, ge=0, le=24 * 30)
    crossing_radius_km: float = Field(default=30.0, gt=0, le=500)
    transit_crossings: list[Crossing] = Field(default_factory=list)
    assumptions: dict[str, str] = Field(default_factory=dict)
    source: str = ""

    def model_post_init(self, _ctx) -> None:
        bad = [f"speed_kph.{k} = {v}" for k, v in self.speed_kph.items() if not 0 < v <= 200]
        bad += [f"class_factor.{k} = {v}" for k, v in self.class_factor.items()
                if not 0 < v <= 10]
        if bad:
            raise ValueError("out of range (speeds in (0, 200] km/h, factors in (0, 10]): "
                             + ", ".join(bad))

    # ------------------------------------------------------------------ one edge
    def road_class(self, d: Mapping) -> str | None:
        for a in self.class_attributes:
            v = d.get(a)
            if isinstance(v, list):
                v = v[0] if v else None
            if v is not None and str(v) != "" and not (isinstance(v, float) and math.isnan(v)):
                return str(v)
        return None

    def drive_h(self, d: Mapping) -> float:
        """Tanker driving hours of one edge (speed profile and class penalty)."""
        cls = self.road_class(d)
        speed = self.speed_kph.get(cls, self.default_speed_kph) if cls else \
            self.default_speed_kph
        car_h = float(d["travel_time"]) / 3600.0
        h = max(car_h, float(d["length"]) / 1000.0 / speed)
        return h * (self.class_factor.get(cls, 1.0) if cls else 1.0)

    def border_h(self, d: Mapping) -> float:
        """Border dwell of one edge (hours)."""
        val = d.get("border_time_min")
        try:
            minutes = float(val) if val is not None else 0.0
        except (TypeError, ValueError):
            minutes = 0.0
        if not math.isfinite(minutes) or minutes < 0:
            minutes = 0.0
        return self.border_dwell_factor * minutes / 60.0

    # ------------------------------------------------------------------ a graph
    def edge_costs(self, G: nx.MultiDiGraph, *, gazetteer=None) -> _EdgeCosts:
        """The cost parts of every edge of ``G`` (cached per graph and model)."""
        key = self.model_dump_json()
        per_graph = _COSTS.setdefault(G, {})
        cached = per_graph.get(key)
        if cached is None or cached.n_edges != edge_count(G):
            cached = _EdgeCosts(G, self, gazetteer=gazetteer)
            per_graph[key] = cached
        return cached

    def weight(self, G: nx.MultiDiGraph, *, gazetteer=None) -> Callable[[dict], float]:
        """Edge weight: generalised cost in hours (function of an edge's attribute dict)."""
        table = self.edge_costs(G, gazetteer=gazetteer).total

        def w(d: dict) -> float:
            c = table.get(id(d))
            return c if c is not None else self.drive_h(d) + self.border_h(d)

        return w


class _EdgeCosts:
    """Per-edge driving, border and crossing hours keyed by the edge dict's id."""

    def __init__(self, G: nx.MultiDiGraph, cost: CostModel, *, gazetteer=None) -> None:
        self.n_edges = edge_count(G)
        self.drive: dict[int, float] = {}
        self.border: dict[int, float] = {}
        self.crossing: dict[int, float] = {}
        self.total: dict[int, float] = {}
        self.undeclared_links: set[tuple] = set()
        penalised = _undeclared_crossings(G, cost, gazetteer=gazetteer) \
            if cost.undeclared_crossing_h > 0 else {}
        for u, v, k, d in G.edges(keys=True, data=True):
            i = id(d)
            self.drive[i] = cost.drive_h(d)
            self.border[i] = cost.border_h(d)
            share = penalised.get((u, v, k), 0.0)
            self.crossing[i] = share * cost.undeclared_crossing_h
            self.total[i] = self.drive[i] + self.border[i] + self.crossing[i]
        self.undeclared_links = {_parent(G, *e) for e in penalised}


def _parent(G: nx.MultiDiGraph, u: Hashable, v: Hashable, k: Hashable) -> tuple:
    d = G.edges[u, v, k]
    return (d.get("parent_u", u), d.get("parent_v", v), d.get("parent_key", k))


def _undeclared_crossings(G: nx.MultiDiGraph, cost: CostModel, *, gazetteer=None
                          ) -> dict[tuple, float]:
    """Edges of border-crossing links far from every transit crossing → their share (by
    length) of the link, so that a link traversed in full pays the penalty once."""
    import shapely

    from routerisk.geo.gazetteer import geocode
    from routerisk.geo.projection import lonlat_to_km, to_km_geometry
    from routerisk.network.nodes import edge_line

    pts = []
    for c in cost.transit_crossings:
        if c.lat is not None and c.lon is not None:
            lat, lon = c.lat, c.lon
        else:
            p = geocode(c.name, country=c.country, gazetteer=gazetteer)
            lat, lon = p.lat, p.lon
        x, y = lonlat_to_km(lon, lat)
        pts.append(shapely.Point(float(x), float(y)))
    links: dict[tuple, list[tuple]] = {}
    for u, v, k, d in G.edges(keys=True, data=True):
        try:
            crossing = float(d.get("border_time_min") or 0.0) > 0
        except (TypeError, ValueError):
            crossing = False
        if crossing:
            links.setdefault(_parent(G, u, v, k), []).append((u, v, k))
    out: dict[tuple, float] = {}
    radius_km = cost.crossing_radius_km
    # every piece projected in one call (the same numbers as one piece at a time)
    flat = [e for edges in links.values() for e in edges]
    lonlat = np.empty(len(flat), dtype=object)
    lonlat[:] = [edge_line(G, *e) for e in flat]
    km_lines = iter(to_km_geometry(lonlat))
    for edges in links.values():
        geom = shapely.union_all([next(km_lines) for _ in edges])
        if any(shapely.distance(geom, p) <= radius_km for p in pts):
            continue
        lengths = {e: float(G.edges[e]["length"]) for e in edges}
        # both directions are among the pieces: apportion within each direction
        by_dir: dict[tuple, list[tuple]] = {}
        for e in edges:
            d = G.edges[e]
            by_dir.setdefault((d.get("parent_u", e[0]), d.get("parent_v", e[1])), []).append(e)
        share = {}
        for same_dir in by_dir.values():
            total = sum(lengths[f] for f in same_dir) or 1.0
            share.update((e, lengths[e] / total) for e in same_dir)
        out.update((e, share[e]) for e in edges)
    return out


_COSTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def load_cost(path: str | os.PathLike[str] | None = None, **overrides) -> CostModel:
    """Read and validate a cost file (default ``routerisk/data/cost.toml``).

    Parameters
    ----------
    path
        The TOML file.
    **overrides
        Field values replacing the file's (e.g. ``undeclared_crossing_h=0``).

    Raises
    ------
    SpecError
        Missing file or invalid TOML.
    ValidationError
        Wrong fields (every problem listed).
    """
    p = Path(path) if path is not None else COST_FILE
    raw = read_toml(p, what="cost file")
    raw = {**raw, **{k: v for k, v in overrides.items() if v is not None}, "source": str(p)}
    try:
        return CostModel.model_validate(raw)
    except PydanticValidationError as exc:
        raise ValidationError(str(p), pydantic_problems(exc.errors())) from None


_DEFAULT: list[CostModel] = []


def default_cost() -> CostModel:
    """The default cost model (read once per process)."""
    if not _DEFAULT:
        _DEFAULT.append(load_cost())
    return _DEFAULT[0]


def check_cost(cost: CostModel | None) -> CostModel:
    """``cost`` or the default model; raises :class:`SpecError` on a wrong type."""
    if cost is None:
        return default_cost()
    if not isinstance(cost, CostModel):
        raise SpecError(f"cost must be a CostModel; got {type(cost).__name__}")
    return cost
