"""Score the three seed corridors on the default data with the Python API.

Run from the project root: ``python examples/score_corridors.py``. It reads the project
catalogue plus the shared ACLED file, fits the hazard model once (as of the day after the
latest incident, on rolling 30-day windows of the study network), and prints each
corridor's 30-day disruption probability with its bootstrap interval and riskiest segment.
"""

from __future__ import annotations

import routerisk.network.corridor_graph as cg
from routerisk.incidents.io import default_incidents
from routerisk.model.build import fit_model
from routerisk.model.risk import route_risk
from routerisk.network.io import load_study_network

CORRIDORS = ("dakar-kayes-bamako", "abidjan-sikasso-bamako", "bamako-segou")
HORIZON_DAYS = 30


def main() -> None:
    G = load_study_network()
    incidents = default_incidents()
    model = fit_model(incidents, horizon_days=HORIZON_DAYS, G=G)
    p = model.params_used()
    print(f"as of {p['as_of']}: {p['n_incidents']:,} incidents, {HORIZON_DAYS}-day model "
          f"fitted on {len(p['train_origins'])} windows from {p['train_origins'][-1]}")
    print()
    header = f"{'corridor':<24} {'km':>6} {'P(disrupted)':>12} {'90% interval':>15} " \
             f"{'mu':>7}  riskiest segment (km from start)"
    print(header)
    print("-" * len(header))
    for name in CORRIDORS:
        path = cg.corridor_route(G, name)
        risk = route_risk(G, path, model=model, horizon_days=HORIZON_DAYS)
        top = risk.top_segments.iloc[0]
        towns = G.nodes[top["u"]].get("city") or G.nodes[top["v"]].get("city") or ""
        where = f"{top['km_from_start']:,.0f} km" + (f" ({towns})" if towns else "")
        lo, hi = risk.p_interval
        print(f"{name:<24} {risk.length_km:>6,.0f} {risk.p_disrupt:>12.3f} "
              f"{lo:>7.3f}-{hi:<7.3f} {risk.mu:>7.3f}  {where}")


if __name__ == "__main__":
    main()
