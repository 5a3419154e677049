"""The Kayes–Nioro blockade and the fuel-import ban (JNIM declaration, August 2025).

Runs three seed presets of ``routerisk/data/scenarios.toml`` against the baseline (routed
once and reused) and prints, per fuel-import route, whether it still reaches Bamako, its
detour (generalised-cost hours) and its new risk; the share of fuel volume cut off apart from
the share disrupted; and the fuel supply: m³/day arriving, days until the Bamako stock runs
out, extra tanker-days, with every assumption named.

Run: ``python examples/blockade_scenarios.py``
"""

from __future__ import annotations

import math

from routerisk.incidents.io import load_catalogue
from routerisk.supply.exposure import compute_baseline
from routerisk.supply.fuel_routes import load_routes
from routerisk.supply.routing import risk_network
from routerisk.supply.scenario_spec import load_presets
from routerisk.supply.scenarios import run_scenario


def show(result) -> None:
    s = result.scenario
    print(f"== {s.name}: {s.title}")
    for c in result.closures:
        print(f"   closure: {c.kind} {c.target}, {c.detail}; {len(c.links)} road links closed")
    if s.bans:
        print(f"   ban on fuel imports from: {', '.join(s.bans)}")
    print(f"   {'route':<13} {'share':>6} {'status':<10} {'km':>6} {'detour km':>10} "
          f"{'detour h':>9} {'m3/day':>7} {'P before':>9} {'P new road':>10}")
    for name, r in result.routes.iterrows():
        dkm = "—" if math.isnan(r.detour_km) else f"{r.detour_km:+.0f}"
        dh = "—" if math.isnan(r.detour_h) else f"{r.detour_h:+.1f}"
        after = "—" if math.isnan(r.new_p_disrupt) else f"{r.new_p_disrupt:.1%}"
        print(f"   {name:<13} {r.share:>6.1%} {r.status:<10} {r.length_km:>6.0f} {dkm:>10} "
              f"{dh:>9} {r.m3_per_day_arriving:>7.0f} {r.p_disrupt:>9.1%} {after:>10}")
        if r.status == "detour":
            print(f"      via {r.new_towns}")
    print(f"   cut off: {result.share_cut:.1%} of fuel volume; must detour: "
          f"{result.share_detour:.1%}; share disrupted "
          f"{result.expected_share_disrupted_baseline:.1%} -> "
          f"{result.expected_share_disrupted:.1%} (cut-off volume not included)")
    sup = result.supply
    cover = sup["days_of_cover"]
    print(f"   arriving: {sup['arriving_m3_per_day']:,.0f} m3/day "
          f"({sup['share_of_demand_arriving']:.1%} of demand); Bamako stock "
          + ("not drawn down" if cover is None else f"runs out in {cover:.1f} days")
          + f"; extra tanker-days per day {sup['extra_tanker_days_per_day']:+.1f}")
    for w in result.warnings:
        print(f"   ! {w}")
    print()


def main() -> None:
    G = risk_network(horizon_days=30)
    spec = load_routes()
    presets = load_presets()
    catalogue = load_catalogue()
    base = compute_baseline(G, spec, towns=False)
    print(f"Scenarios against the baseline, risk over 30 days as of {G.graph['risk_as_of']}")
    print()
    result = None
    for name in ("kayes-nioro-blockade-2025", "fuel-import-ban-2025",
                 "august-2025-declaration"):
        result = run_scenario(G, presets.scenario(name), presets=presets,
                              catalogue=catalogue, baseline=base)
        show(result)
    print("Assumptions (routes, cost and supply models):")
    for key, text in result.assumptions.items():
        print(f"  [{key}] {' '.join(text.split())}")


if __name__ == "__main__":
    main()
