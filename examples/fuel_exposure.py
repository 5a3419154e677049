"""Fuel exposure today: how exposed is Mali's fuel supply to road disruption?

Fits the hazard model on the default incidents (project catalogue + shared ACLED file),
scores every road piece over the next 30 days, routes the fuel-import routes of
``routerisk/data/fuel_routes.toml`` under the generalised tanker cost and prints, per route,
its share of import volume, length, cost hours (driving + border dwell), m³/day, tanker round
trip and P(disruption); the expected share of fuel volume whose route is disrupted; the fuel
supply (fleet, tankers lost per month); the road links that carry the most volume-weighted
risk; and the links whose loss would cut or divert the most fuel.

Run: ``python examples/fuel_exposure.py``
"""

from __future__ import annotations

from routerisk.supply.criticality import criticality
from routerisk.supply.exposure import exposure
from routerisk.supply.fuel_routes import load_routes
from routerisk.supply.routing import risk_network


def main() -> None:
    G = risk_network(horizon_days=30)
    spec = load_routes()
    ex = exposure(G, spec, top_segments=8)
    print(f"Fuel-import exposure over {ex.horizon_days:g} days, as of {G.graph['risk_as_of']}")
    print()
    print(f"{'route':<13} {'share':>6} {'km':>6} {'cost h':>7} {'m3/day':>7} "
          f"{'trip d':>7} {'exp.inc':>8} {'P(disr.)':>9}")
    for name, r in ex.routes.iterrows():
        print(f"{name:<13} {r.share:>6.1%} {r.length_km:>6.0f} {r.cost_h:>7.1f} "
              f"{r.m3_per_day:>7.0f} {r.round_trip_days:>7.1f} {r.mu:>8.3f} "
              f"{r.p_disrupt:>9.1%}")
    print()
    print(f"Expected share of fuel volume whose route is disrupted: "
          f"{ex.expected_share_disrupted:.1%}")
    sup = ex.supply
    print(f"Fuel supply: {sup['demand_m3_per_day']:,.0f} m3/day carried by "
          f"{sup['fleet_tankers']:,.0f} tankers; expected tankers lost per month "
          f"{sup['tankers_lost_per_month']:.2f} (range {sup['tankers_lost_per_month_range'][0]:.2f}"
          f"–{sup['tankers_lost_per_month_range'][1]:.2f})")
    print()
    print("Road links carrying the most volume-weighted risk (share x expected incidents):")
    for r in ex.segments.itertuples():
        print(f"  {r.label:<34} {r.length_km:>5.0f} km  mu {r.mu:.3f}  "
              f"share using {r.share_using:.3f}  -> {r.volume_risk:.4f}")
    crit = criticality(G, baseline=ex.baseline)
    print()
    print("Most critical links (fuel volume cut off or diverted if the link is cut):")
    for r in crit.links.head(6).itertuples():
        what = (f"cuts {r.share_lost:.1%} ({r.lost_routes})" if r.spof
                else f"diverts {r.share_detour:.1%}, {r.max_extra_h:+.1f} h at worst")
        print(f"  {r.label:<34} {what}")
    print()
    print("Assumptions (routes, cost and supply models):")
    for key, text in ex.assumptions.items():
        print(f"  [{key}] {' '.join(text.split())}")


if __name__ == "__main__":
    main()
