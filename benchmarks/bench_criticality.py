"""Criticality speed: reroute only the routes using each link vs a full recomputation.

Prints, on the default study network (trunk network, ≤ 10 km pieces) and the fuel-import
routes (generalised cost): the links used by import routes, the shortest-path searches and the
wall time of :func:`routerisk.supply.criticality.criticality`, against the full recomputation
(every route recomputed for every link of the network) and the full recomputation restricted
to the same links; and checks that the answers agree.

Run: ``python benchmarks/bench_criticality.py``
"""

from __future__ import annotations

import time

from routerisk.network.io import load_study_network
from routerisk.supply.criticality import criticality, criticality_full_recompute
from routerisk.supply.exposure import compute_baseline
from routerisk.supply.fuel_routes import load_routes
from routerisk.supply.paths import link_index


def main() -> None:
    G = load_study_network()
    spec = load_routes()
    base = compute_baseline(G, spec, towns=False)
    links = list(link_index(G))
    print(f"network: {G.number_of_nodes()} nodes, {G.number_of_edges()} pieces, "
          f"{len(links)} links; {len(spec.routes)} import routes")

    t0 = time.perf_counter()
    crit = criticality(G, baseline=base, label=False)
    t_crit = time.perf_counter() - t0
    print(f"criticality (reroute affected routes only): {len(crit.links)} links, "
          f"{crit.n_reroutes} searches, {t_crit:.2f} s")

    t0 = time.perf_counter()
    same = criticality_full_recompute(G, spec, links=list(crit.links["link"]), baseline=base)
    t_same = time.perf_counter() - t0
    print(f"full recomputation on the same links: {len(same) * len(spec.routes)} searches, "
          f"{t_same:.2f} s ({t_same / t_crit:.1f}x)")

    t0 = time.perf_counter()
    full = criticality_full_recompute(G, spec, links=links, baseline=base)
    t_full = time.perf_counter() - t0
    print(f"full recomputation on every link: {len(full) * len(spec.routes)} searches, "
          f"{t_full:.2f} s ({t_full / t_crit:.1f}x)")

    merged = crit.links.merge(same, on="link", suffixes=("", "_full"))
    d_lost = (merged["share_lost"] - merged["share_lost_full"]).abs().max()
    d_h = (merged["extra_hours_weighted"] - merged["extra_hours_weighted_full"]).abs().max()
    unused = full[~full["link"].isin(set(crit.links["link"]))]
    print(f"agreement: max |Δ share lost| = {d_lost:.2g}, max |Δ Σ share·Δh| = {d_h:.2g}; "
          f"links on no import route: {len(unused)}, of which cutting one leaves a route "
          f"without road: {int((unused['share_lost'] != 0).sum())}")


if __name__ == "__main__":
    main()
