"""Fuel-import routes to Bamako and the exposure of the fuel supply to road disruption.

The routes and their shares of import volume are declared in ``networks/fuel_routes.toml``
(origin port, border crossing, waypoints, share, the source or the named assumption behind
each share). :func:`load_routes` validates the file; :func:`with_shares` applies user
overrides; :func:`exposure` routes each import route on a risk-annotated graph and sums
the risk.

Risk algebra (``docs/exposure.md``): a route's expected incidents over the horizon is
``mu = Σ mu_e`` over its edges and ``P(disruption) = 1 − exp(−mu)``. The expected share of
fuel volume whose route is disrupted is ``Σ share_r · P_r``; the volume-weighted risk of a
road link is ``Σ share_r · mu_e`` over the routes using it."""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from routerisk.errors import ValidationError
from routerisk.geo.sphere import great_circle_km
from routerisk.network.naming import link_label
from routerisk.supply.fuel_routes import FuelRoutes, load_routes, with_shares
from routerisk.supply.paths import (
    Edge,
    PathMetrics,
    check_risk_graph,
    fastest_weight,
    horizon_days,
    link_of,
    path_metrics,
    path_through,
)

log = logging.getLogger(__name__)


#: A stop farther than this from the nearest road node is refused, km.
MAX_STOP_SNAP_KM = 50.0


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
    from routerisk.geo.gazetteer import geocode
    from routerisk.network.nodes import nearest_node

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
                    node = nearest_node(G, lon, lat)
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
            "expected_share_disrupted": self.expected_share_disrupted,
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
                v = v if math.isfinite(v) else None
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

