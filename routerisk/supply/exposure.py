"""Fuel-import routes to Bamako and the exposure of the fuel supply to road disruption.

The routes and their shares of import volume are declared in ``routerisk/data/fuel_routes.toml``
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
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from routerisk.network.naming import link_label
from routerisk.network.nodes import path_edges
from routerisk.supply.fuel_routes import FuelRoutes, load_routes, with_shares
from routerisk.supply.paths import (
    Edge,
    PathMetrics,
    cheapest_weight,
    check_risk_graph,
    horizon_days,
    link_of,
    path_cost_h,
    path_metrics,
)
from routerisk.supply.stops import (  # noqa: F401  (re-exported)
    SnappedStop,
    network_place_nodes,
    resolve_stops,
    route_paths,
    skipped_stops,
    snap_notes,
)

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- baseline
@dataclass
class Baseline:
    """The import routes as the trade uses them, routed once and reused by exposure,
    scenarios and criticality.

    Attributes
    ----------
    spec
        The routes (shares applied).
    stops
        Route name → its snapped stops (origin … destination).
    paths
        Route name → node path (simple: no node repeats) through the declared stops, the
        cheapest under ``cost`` leg by leg.
    metrics
        Route name → :class:`PathMetrics` of the path.
    cheapest_cost_h
        Route name → cost (h) of the cheapest origin–destination path ignoring the declared
        stops; a baseline dearer than it is not the cheapest road (see ``not_cheapest``).
    cost
        The generalised cost model used.
    notes
        Stops passed at a junction, stops far from the network.
    """

    spec: FuelRoutes
    stops: dict[str, list[SnappedStop]]
    paths: dict[str, list[Hashable]]
    metrics: dict[str, PathMetrics]
    cheapest_cost_h: dict[str, float]
    cost: object
    notes: list[str] = field(default_factory=list)

    def ends(self, name: str) -> tuple[Hashable, Hashable]:
        return self.stops[name][0].node, self.stops[name][-1].node

    def not_cheapest(self, name: str, *, tol_h: float = 0.01) -> bool:
        """The declared corridor costs more than the cheapest road between its ends."""
        return self.metrics[name].cost_h > self.cheapest_cost_h[name] + tol_h


def compute_baseline(G: nx.MultiDiGraph, spec: FuelRoutes, *, cost=None, gazetteer=None,
                     towns: bool = True) -> Baseline:
    """Route every import route through its declared stops under the generalised cost.

    Raises
    ------
    ValidationError
        A stop is unknown, ambiguous or far from the network.
    NoRouteError
        A route's stops are not connected.
    """
    from routerisk.supply.cost import check_cost
    from routerisk.supply.paths import shortest_path

    cost = check_cost(cost)
    stops = resolve_stops(G, spec, gazetteer=gazetteer)
    paths = route_paths(G, spec, stops=stops, cost=cost)
    weight = cheapest_weight(G, cost)
    metrics = {n: path_metrics(G, p, weight=weight, cost=cost, towns=towns,
                               gazetteer=gazetteer) for n, p in paths.items()}
    cheapest = {}
    for r in spec.routes:
        a, b = stops[r.name][0].node, stops[r.name][-1].node
        free = shortest_path(G, a, b, weight=weight)
        cheapest[r.name] = path_cost_h(G, path_edges(G, free, weight), cost)
    notes = skipped_stops(paths, stops) + snap_notes(stops)
    return Baseline(spec, stops, paths, metrics, cheapest, cost, notes)


# --------------------------------------------------------------------------- exposure
@dataclass
class Exposure:
    """Result of :func:`exposure`.

    Attributes
    ----------
    routes
        One row per import route: ``share``, ``share_basis``, ``length_km``,
        ``travel_time_h``, ``cost_h`` (generalised tanker cost), ``border_h`` (border and
        customs dwell in it), ``cheapest_cost_h``, ``not_cheapest``, ``mu`` (expected
        incidents over the horizon), ``p_disrupt``, ``volume_at_risk`` (= share ×
        p_disrupt), the supply figures ``m3_per_day``, ``tankers_per_day``,
        ``round_trip_days``, ``fleet_tankers``, ``tankers_lost_per_month`` (with
        ``_low``/``_high`` from the loss range), ``border``, ``towns``.
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
        The named assumptions in use (routes, cost and supply models; id → text).
    notes
        Share rescaling and other remarks.
    paths
        Route name → node path (for scenarios and criticality).
    supply
        National totals (:func:`routerisk.supply.logistics.supply_summary`).
    baseline
        The routed baseline (reused by scenarios and criticality).
    """

    routes: pd.DataFrame
    expected_share_disrupted: float
    segments: pd.DataFrame
    horizon_days: float | None
    assumptions: dict[str, str]
    notes: list[str] = field(default_factory=list)
    paths: dict[str, list[Hashable]] = field(default_factory=dict, repr=False)
    supply: dict = field(default_factory=dict)
    baseline: Baseline | None = field(default=None, repr=False)

    def to_dict(self, *, top: int | None = None) -> dict:
        seg = self.segments if top is None else self.segments.head(top)
        return {
            "horizon_days": self.horizon_days,
            "expected_share_disrupted": self.expected_share_disrupted,
            "supply": self.supply,
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


def route_table(G: nx.MultiDiGraph, base: Baseline, supply=None) -> pd.DataFrame:
    """Per-route metrics and supply figures of the baseline (index = route name)."""
    from routerisk.supply.logistics import load_supply

    supply = load_supply() if supply is None else supply
    hd = horizon_days(G)
    rows = []
    for r in base.spec.routes:
        m: PathMetrics = base.metrics[r.name]
        rows.append({"route": r.name, "share": r.share, "share_basis": r.share_basis,
                     "origin": r.origin.name, "origin_country": r.origin_country,
                     "border": r.border, "length_km": m.length_km,
                     "travel_time_h": m.travel_time_h, "cost_h": m.cost_h,
                     "border_h": m.border_h, "cheapest_cost_h": base.cheapest_cost_h[r.name],
                     "not_cheapest": base.not_cheapest(r.name),
                     "mu": m.mu, "p_disrupt": m.p_disrupt,
                     "volume_at_risk": r.share * m.p_disrupt,
                     **supply.route_row(r.share, m.cost_h, m.border_h, m.mu, hd),
                     "simple_path": len(set(m.nodes)) == len(m.nodes),
                     "towns": ", ".join(m.towns)})
    return pd.DataFrame(rows).set_index("route")


def segment_table(G: nx.MultiDiGraph, spec: FuelRoutes,
                  edges: Mapping[str, list[Edge]], *,
                  gazetteer=None, label: bool = True) -> pd.DataFrame:
    """Road links used by import routes (``edges``: route name → path edges), ranked by
    volume-weighted risk Σ share × mu."""
    acc: dict[tuple, dict] = {}
    for r in spec.routes:
        seen_here: set = set()
        for e in edges[r.name]:
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
             gazetteer=None, cost=None, supply=None) -> Exposure:
    """Exposure of the fuel supply to road disruption over the graph's risk horizon.

    Parameters
    ----------
    G
        Risk-annotated road graph: edges with ``length`` (m), ``travel_time`` (s) and
        ``mu`` (expected incidents over the horizon, see
        :func:`routerisk.model.risk.segment_risk`).
    spec
        Import routes (default: :func:`load_routes`).
    shares
        Share overrides, route name → fraction (see :func:`with_shares`).
    top_segments
        How many road links to keep in ``segments`` (``None``: all).
    gazetteer
        Gazetteer frame for geocoding stops and naming towns (default: the shared ones).
    cost, supply
        Generalised cost and supply models (defaults: :func:`routerisk.supply.cost.load_cost`,
        :func:`routerisk.supply.logistics.load_supply`).

    Returns
    -------
    Exposure
    """
    from routerisk.supply.cost import check_cost
    from routerisk.supply.logistics import load_supply, supply_summary

    check_risk_graph(G)
    spec = load_routes() if spec is None else spec
    spec = with_shares(spec, shares or {})
    cost = check_cost(cost)
    supply = load_supply() if supply is None else supply
    base = compute_baseline(G, spec, cost=cost, gazetteer=gazetteer)
    table = route_table(G, base, supply)
    segs = segment_table(G, spec, {n: m.edges for n, m in base.metrics.items()},
                         gazetteer=gazetteer)
    if top_segments is not None:
        segs = segs.head(top_segments).reset_index(drop=True)
    total = float((table["share"] * table["p_disrupt"]).sum())
    notes = list(spec.notes) + base.notes + list(supply.notes) + not_cheapest_notes(base)
    summary = supply_summary(supply, table.reset_index().to_dict("records"))
    log.info("fuel exposure: %d routes, Σ share × P = %.3f over %s days", len(table), total,
             horizon_days(G))
    return Exposure(table, total, segs, horizon_days(G),
                    all_assumptions(spec, cost, supply), notes, dict(base.paths), summary,
                    base)


def all_assumptions(spec: FuelRoutes, cost, supply) -> dict[str, str]:
    """The named assumptions of the routes, cost and supply models in use."""
    return {**spec.assumptions_in_use(), **getattr(cost, "assumptions", {}),
            **getattr(supply, "assumptions", {})}


def not_cheapest_notes(base: Baseline) -> list[str]:
    """Say plainly which declared corridors are not the cheapest road under the cost."""
    out = []
    for r in base.spec.routes:
        if base.not_cheapest(r.name):
            m = base.metrics[r.name]
            out.append(f"route '{r.name}': the declared corridor costs {m.cost_h:.1f} h, "
                       f"{m.cost_h - base.cheapest_cost_h[r.name]:.1f} h more than the "
                       "cheapest road between its ends under the cost model; a detour can "
                       "therefore come out cheaper than this baseline")
    return out
