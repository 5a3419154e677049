"""Fuel-import routes to Bamako and the exposure of the fuel supply to road disruption.

The routes and their shares of import volume are declared in ``networks/fuel_routes.toml``
(origin port, border crossing, waypoints, share, the source or the named assumption behind
each share). :func:`load_routes` validates the file; :func:`with_shares` applies user
overrides; :func:`exposure` routes each import route on a risk-annotated graph and sums
the risk.

Risk algebra (``docs/exposure.md``): a route's expected incidents over the horizon is
``mu = Σ mu_e`` over its edges and ``P(disruption) = 1 − exp(−mu)``. The expected share of
fuel volume whose route is disrupted is ``Σ share_r · P_r``; the volume-weighted risk of a
road link is ``Σ share_r · mu_e`` over the routes using it.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from routerisk._geometry import great_circle_km
from routerisk._paths import PROJECT_ROOT
from routerisk.errors import SpecError, UnknownNameError, ValidationError
from routerisk.routing import (
    Edge,
    PathMetrics,
    check_risk_graph,
    fastest_weight,
    horizon_days,
    link_of,
    path_metrics,
    path_through,
)

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    import tomli as tomllib  # type: ignore[no-redef]

log = logging.getLogger(__name__)

#: The default routes file.
ROUTES_FILE = PROJECT_ROOT / "networks" / "fuel_routes.toml"
#: Shares in a routes file must sum to 1 within this tolerance.
SHARE_TOLERANCE = 0.005
#: A stop farther than this from the nearest road node is refused, km.
MAX_STOP_SNAP_KM = 50.0

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
    from routerisk.gazetteer import normalize_name

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
    if not p.is_file():
        raise SpecError(f"fuel routes file not found: {p}")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{p}: not valid TOML: {exc}") from exc
    return routes_from_dict(raw, source=str(p))


def routes_from_dict(raw: Mapping, *, source: str = "<dict>") -> FuelRoutes:
    """Validate a routes specification given as a dict (the parsed TOML)."""
    try:
        spec = FuelRoutes.model_validate({**raw, "source": source})
    except PydanticValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
            problems.append(f"'{loc}': {err['msg']}; got {err.get('input')!r}"[:300])
        raise ValidationError(source, problems) from None
    _check(spec, source)
    spec.share_assumption_ids = sorted({r.share_basis for r in spec.routes}
                                       & set(spec.assumptions))
    return spec


def parse_share_overrides(items: Iterable[str]) -> dict[str, float]:
    """Parse ``ROUTE=FRACTION`` strings (``--share``); a percentage like ``60%`` is accepted.

    Raises
    ------
    SpecError
        On a malformed item or a fraction outside [0, 1].
    """
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise SpecError(f"--share '{item}': expected ROUTE=FRACTION, e.g. dakar=0.6")
        try:
            frac = float(value[:-1]) / 100 if value.endswith("%") else float(value)
        except ValueError:
            raise SpecError(f"--share '{item}': '{value}' is not a number") from None
        if not (0 <= frac <= 1) or math.isnan(frac):
            raise SpecError(f"--share '{item}': the fraction must be between 0 and 1")
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
        raise SpecError(f"the shares given with --share sum to {fixed:.3f} > 1")
    if not rest or rest_total <= 0:
        if abs(fixed - 1) > SHARE_TOLERANCE:
            raise SpecError(f"the shares given sum to {fixed:.3f}; with no other route to "
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


# --------------------------------------------------------------------------- routing
@dataclass(frozen=True)
class SnappedStop:
    """A stop resolved to coordinates and snapped to a road node."""

    name: str
    country: str
    lat: float
    lon: float
    node: Hashable
    snap_km: float


def resolve_stops(G: nx.MultiDiGraph, spec: FuelRoutes, *, gazetteer=None,
                  max_snap_km: float = MAX_STOP_SNAP_KM) -> dict[str, list[SnappedStop]]:
    """Geocode every stop of every route and snap it to the road graph.

    Returns
    -------
    dict
        Route name → its stops in order (origin, via…, destination).

    Raises
    ------
    ValidationError
        Listing every stop that is unknown to the gazetteer or too far from the network.
    """
    from routerisk.errors import GeocodeError
    from routerisk.gazetteer import geocode
    from routerisk.network import nearest_node

    cache: dict[tuple, SnappedStop] = {}
    problems: list[str] = []
    out: dict[str, list[SnappedStop]] = {}
    for r in spec.routes:
        snapped = []
        for s in r.stops(spec.destination):
            key = (s.name, s.country, s.lat, s.lon)
            if key not in cache:
                try:
                    if s.lat is not None:
                        lat, lon = s.lat, s.lon
                    else:
                        p = geocode(s.name, country=s.country, gazetteer=gazetteer)
                        lat, lon = p.lat, p.lon
                    node = nearest_node(G, lat, lon)
                    d = float(great_circle_km(lat, lon, G.nodes[node]["y"], G.nodes[node]["x"]))
                    if d > max_snap_km:
                        raise GeocodeError(f"{d:.0f} km from the nearest road node "
                                           f"(limit {max_snap_km:.0f} km)")
                    cache[key] = SnappedStop(s.name, s.country, lat, lon, node, d)
                except GeocodeError as exc:
                    problems.append(f"route '{r.name}', stop '{s.name}' ({s.country}): {exc}")
                    continue
            snapped.append(cache[key])
        out[r.name] = snapped
    if problems:
        raise ValidationError(spec.source or "fuel routes", problems)
    return out


def route_paths(G: nx.MultiDiGraph, spec: FuelRoutes, *, stops=None,
                closed: Collection[Edge] | None = None, gazetteer=None
                ) -> dict[str, list[Edge]]:
    """Each route's path: the fastest path from its origin through its stops.

    Raises
    ------
    NoRouteError
        When a route's stops are not connected (the message names the route).
    """
    from routerisk.errors import NoRouteError

    stops = stops if stops is not None else resolve_stops(G, spec, gazetteer=gazetteer)
    out = {}
    for r in spec.routes:
        nodes = [s.node for s in stops[r.name]]
        try:
            out[r.name] = path_through(G, nodes, weight=fastest_weight(), closed=closed)
        except NoRouteError as exc:
            raise NoRouteError(f"import route '{r.name}': its stops are not connected on "
                               f"the road graph ({exc})") from exc
    return out


# --------------------------------------------------------------------------- labels
def node_label(G: nx.MultiDiGraph, node: Hashable, *, gazetteer=None,
               within_km: float = 30.0) -> str:
    """A readable name for a road node: its ``city``, else the nearest gazetteer city or
    town within ``within_km``, else its coordinates."""
    d = G.nodes[node]
    label = d.get("city") or d.get("name")
    if isinstance(label, str) and label.strip():
        return label.strip()
    from routerisk.routing import _gazetteer_or_none, _town_points, project_xy

    gaz = _gazetteer_or_none(gazetteer)
    if gaz is not None:
        names, tx, ty, _ = _town_points(gaz)
        x, y = project_xy(d["x"], d["y"])
        dist = ((tx - x) ** 2 + (ty - y) ** 2) ** 0.5
        i = int(dist.argmin()) if len(dist) else -1
        if i >= 0 and dist[i] <= within_km * 1000:
            return f"{names[i]}" if dist[i] <= 5000 else f"near {names[i]}"
    return f"{d['y']:.3f},{d['x']:.3f}"


def link_label(G: nx.MultiDiGraph, link: tuple, *, gazetteer=None) -> str:
    """``"A – B"`` for a road link between nodes A and B."""
    a, b, _ = link
    return f"{node_label(G, a, gazetteer=gazetteer)} – {node_label(G, b, gazetteer=gazetteer)}"


# --------------------------------------------------------------------------- exposure
@dataclass
class Exposure:
    """Result of :func:`exposure`.

    Attributes
    ----------
    routes
        One row per import route: ``share``, ``share_basis``, ``length_km``,
        ``travel_time_h``, ``mu`` (expected incidents over the horizon), ``p_disrupt``,
        ``volume_at_risk`` (= share × p_disrupt), ``border``, ``towns``.
    expected_share_disrupted
        Σ share × P(disruption): the expected fraction of import volume whose route is hit
        at least once over the horizon.
    segments
        Road links ranked by volume-weighted risk Σ share × mu over the routes using them:
        ``link``, ``label``, ``length_km``, ``mu``, ``p_disrupt``, ``share_using``,
        ``volume_risk``, ``routes``.
    horizon_days
        The horizon the risk refers to.
    assumptions
        The named assumptions behind shares in use (id → text).
    notes
        Share rescaling and other remarks.
    paths
        Route name → path edges (for scenarios and criticality).
    """

    routes: pd.DataFrame
    expected_share_disrupted: float
    segments: pd.DataFrame
    horizon_days: float | None
    assumptions: dict[str, str]
    notes: list[str] = field(default_factory=list)
    paths: dict[str, list[Edge]] = field(default_factory=dict, repr=False)

    def to_dict(self, *, top: int | None = None) -> dict:
        seg = self.segments if top is None else self.segments.head(top)
        return {
            "horizon_days": self.horizon_days,
            "expected_share_disrupted": round(self.expected_share_disrupted, 4),
            "routes": _records(self.routes.reset_index()),
            "segments": _records(seg.drop(columns=["link"], errors="ignore")),
            "assumptions": self.assumptions, "notes": self.notes,
        }


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        clean = {}
        for k, v in rec.items():
            if isinstance(v, float):
                v = round(v, 4) if math.isfinite(v) else None
            elif hasattr(v, "item"):
                v = v.item()
            clean[k] = v
        out.append(clean)
    return out


def route_table(G: nx.MultiDiGraph, spec: FuelRoutes, paths: Mapping[str, list[Edge]], *,
                gazetteer=None) -> pd.DataFrame:
    """Per-route metrics of given paths (index = route name)."""
    rows = []
    for r in spec.routes:
        m: PathMetrics = path_metrics(G, paths[r.name], gazetteer=gazetteer)
        rows.append({"route": r.name, "share": r.share, "share_basis": r.share_basis,
                     "origin": r.origin.name, "origin_country": r.origin_country,
                     "border": r.border, "length_km": m.length_km,
                     "travel_time_h": m.travel_time_h, "mu": m.mu, "p_disrupt": m.p_disrupt,
                     "volume_at_risk": r.share * m.p_disrupt,
                     "towns": ", ".join(m.towns)})
    return pd.DataFrame(rows).set_index("route")


def segment_table(G: nx.MultiDiGraph, spec: FuelRoutes, paths: Mapping[str, list[Edge]], *,
                  gazetteer=None, label: bool = True) -> pd.DataFrame:
    """Road links used by import routes, ranked by volume-weighted risk Σ share × mu."""
    acc: dict[tuple, dict] = {}
    for r in spec.routes:
        seen_here: set = set()
        for e in paths[r.name]:
            lk = link_of(G, *e)
            d = G.edges[e]
            row = acc.setdefault(lk, {"length_m": {}, "mu": {}, "volume_risk": 0.0,
                                      "routes": [], "share_using": 0.0})
            row["length_m"][e[:2]] = float(d["length"])
            row["mu"][e[:2]] = float(d.get("mu", 0.0) or 0.0)
            row["volume_risk"] += r.share * float(d.get("mu", 0.0) or 0.0)
            if lk not in seen_here:
                seen_here.add(lk)
                row["routes"].append(r.name)
                row["share_using"] += r.share
    rows = []
    for lk, row in acc.items():
        # both directions may be used by different routes: report one direction's figures
        length_km = _one_direction(row["length_m"]) / 1000
        mu = _one_direction(row["mu"])
        rows.append({"link": lk,
                     "label": link_label(G, lk, gazetteer=gazetteer) if label else "",
                     "length_km": length_km, "mu": mu, "p_disrupt": 1 - math.exp(-mu),
                     "share_using": row["share_using"], "volume_risk": row["volume_risk"],
                     "routes": ", ".join(row["routes"])})
    cols = ["link", "label", "length_km", "mu", "p_disrupt", "share_using", "volume_risk",
            "routes"]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["volume_risk", "share_using"], ascending=False,
                          kind="stable").reset_index(drop=True)


def _one_direction(per_piece: dict) -> float:
    """Sum over the pieces of one direction (pieces keyed by (u, v) of either direction)."""
    fwd = {}
    for (u, v), val in per_piece.items():
        key = tuple(sorted((u, v), key=str))
        fwd[key] = max(fwd.get(key, 0.0), val)
    return sum(fwd.values())


def exposure(G: nx.MultiDiGraph, spec: FuelRoutes | None = None, *,
             shares: Mapping[str, float] | None = None, top_segments: int | None = 15,
             gazetteer=None) -> Exposure:
    """Exposure of the fuel supply to road disruption over the graph's risk horizon.

    Parameters
    ----------
    G
        Risk-annotated road graph: edges with ``length`` (m), ``travel_time`` (s) and
        ``mu`` (expected incidents over the horizon, see :func:`routerisk.risk.segment_risk`).
    spec
        Import routes (default: :func:`load_routes`).
    shares
        Share overrides, route name → fraction (see :func:`with_shares`).
    top_segments
        How many road links to keep in ``segments`` (``None``: all).
    gazetteer
        Gazetteer frame for geocoding stops and naming towns (default: the shared one).

    Returns
    -------
    Exposure
    """
    check_risk_graph(G)
    spec = load_routes() if spec is None else spec
    spec = with_shares(spec, shares or {})
    stops = resolve_stops(G, spec, gazetteer=gazetteer)
    paths = route_paths(G, spec, stops=stops)
    table = route_table(G, spec, paths, gazetteer=gazetteer)
    segs = segment_table(G, spec, paths, gazetteer=gazetteer)
    if top_segments is not None:
        segs = segs.head(top_segments).reset_index(drop=True)
    total = float((table["share"] * table["p_disrupt"]).sum())
    notes = list(spec.notes) + snap_notes(stops)
    log.info("fuel exposure: %d routes, Σ share × P = %.3f over %s days", len(table), total,
             horizon_days(G))
    return Exposure(table, total, segs, horizon_days(G), spec.assumptions_in_use(), notes,
                    paths)


def snap_notes(stops: Mapping[str, list[SnappedStop]], *, km: float = 15.0) -> list[str]:
    """Notes for stops that lie far from the road network (coarse network, missing road)."""
    return [f"route '{name}': stop '{st.name}' is {st.snap_km:.0f} km from the nearest road "
            "node" for name, ss in stops.items() for st in ss if st.snap_km > km]
