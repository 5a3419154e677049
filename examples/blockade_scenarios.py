"""The Kayes–Nioro blockade and the fuel-import ban (JNIM declaration, August 2025).

Runs the two seed presets of ``networks/scenarios.toml`` against the baseline and prints,
per fuel-import route, whether it still reaches Bamako, its detour and its new risk, and the
share of fuel volume cut off or diverted.

Run: ``python examples/blockade_scenarios.py``
"""

from __future__ import annotations

import math

from routerisk.incidents.io import load_catalogue
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
    print(f"   {'route':<11} {'share':>6} {'status':<10} {'km':>6} {'detour km':>10} "
          f"{'detour h':>9} {'P before':>9} {'P after':>8}")
    for name, r in result.routes.iterrows():
        dkm = "—" if math.isnan(r.detour_km) else f"{r.detour_km:+.0f}"
        dh = "—" if math.isnan(r.detour_h) else f"{r.detour_h:+.1f}"
        after = "—" if math.isnan(r.new_p_disrupt) else f"{r.new_p_disrupt:.1%}"
        print(f"   {name:<11} {r.share:>6.1%} {r.status:<10} {r.length_km:>6.0f} {dkm:>10} "
              f"{dh:>9} {r.p_disrupt:>9.1%} {after:>8}")
        if r.status == "detour":
            print(f"      via {r.new_towns}")
    print(f"   cut off: {result.share_cut:.1%} of fuel volume; must detour: "
          f"{result.share_detour:.1%}")
    for w in result.warnings:
        print(f"   ! {w}")
    print()


def main() -> None:
    G = risk_network(horizon_days=30)
    spec = load_routes()
    presets = load_presets()
    catalogue = load_catalogue()
    print(f"Scenarios against the baseline, risk over 30 days as of {G.graph['risk_as_of']}")
    print()
    for name in ("kayes-nioro-blockade-2025", "fuel-import-ban-2025"):
        show(run_scenario(G, presets.scenario(name), spec, presets=presets,
                          catalogue=catalogue))


if __name__ == "__main__":
    main()
