"""A safer route from Dakar to Bamako: cheapest, safest and the cost–risk trade-off.

Hours are the generalised tanker cost (driving under the tanker speed profile, border dwell
and crossing penalties of ``routerisk/data/cost.toml``). Prints the cheapest route, the
route with the fewest expected incidents, the distinct routes found as the risk aversion α
(hours accepted per expected incident avoided) varies, and genuinely different alternatives
to the recommended route.

Run: ``python examples/safer_route.py``
"""

from __future__ import annotations

import math

from routerisk.supply.routing import risk_network, route


def line(label: str, m, extra: str = "") -> str:
    towns = m.towns
    if len(towns) > 9:  # first, last and seven spread along the way
        step = math.ceil((len(towns) - 2) / 7)
        towns = [towns[0], *towns[1:-1][::step], towns[-1]]
    return (f"  {label:<14} {m.length_km:>6.0f} km {m.cost_h:>5.1f} h  "
            f"mu {m.mu:.3f}  P {m.p_disrupt:>5.1%} {extra} via {', '.join(towns)}")


def main() -> None:
    G = risk_network(horizon_days=30)
    res = route(G, "Dakar", "Bamako", risk_aversion=24.0, alternatives=2)
    print(f"Dakar → Bamako, risk over 30 days as of {G.graph['risk_as_of']}")
    print(line("cheapest", res.fastest.metrics))
    print(line("safest", res.safest.metrics))
    print(line("recommended", res.recommended.metrics, "(α = 24 h per incident)"))
    print()
    print("Cost–risk trade-off (each route is best for a range of α):")
    for i, opt in enumerate(res.tradeoff, 1):
        lo, hi = opt.alpha_range
        rng = f"α {lo:.1f}–{'∞' if math.isinf(hi) else f'{hi:.1f}'}"
        print(line(f"#{i}", opt.metrics, f"[{rng}]"))
    print()
    print("Genuinely different alternatives (≤ 70 % shared road):")
    for i, opt in enumerate(res.alternatives, 1):
        print(line(f"alt {i}", opt.metrics))
    if not res.alternatives:
        print("  none on this network")


if __name__ == "__main__":
    main()
