"""``routerisk backtest --rolling N``: the rolling-origin backtest and its text report."""

from __future__ import annotations

import argparse
import logging
import math
from collections.abc import Callable

from routerisk._output import print_json

logger = logging.getLogger(__name__)


def corridor_pieces(G) -> dict:
    """Two-way piece positions of every corridor's fastest route
    (:func:`routerisk.model.routes.corridor_routes`); the unroutable ones are named in a
    warning, not silently dropped."""
    from routerisk.model.lines import edge_lines
    from routerisk.model.routes import corridor_routes
    from routerisk.network.corridors import load_corridors

    el = edge_lines(G)
    out = corridor_routes(G, list(el.index), el.undirected())
    failed = [name for name in load_corridors() if name not in out]
    if failed:
        logger.warning("%d corridor(s) not routed, left out of the route evaluation: %s",
                       len(failed), ", ".join(failed))
    return out


def run_rolling(args: argparse.Namespace, read_all: Callable, network: Callable) -> int:
    """Run the rolling backtest for the parsed ``backtest`` options."""
    from routerisk.incidents.io import combine
    from routerisk.model.rolling import rolling_backtest

    frames = [read_all(args.incidents)]
    if list(args.test_incidents) != list(args.incidents):
        frames.append(read_all(args.test_incidents))
    incidents = combine(frames, dedup=True) if len(frames) > 1 else frames[0]
    G = network(args.network)
    routes = corridor_pieces(G)
    out = rolling_backtest(incidents, as_of=args.as_of, n_origins=args.rolling,
                           horizon_days=args.horizon_days, G=G, radius_km=args.radius_km,
                           routes=routes, n_boot=args.n_boot)
    if args.json:
        print_json(out)
        return 0
    print(format_rolling(out))
    return 0


def _n(v, digits: int = 3, width: int = 8) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return f"{'n/a':>{width}}"
    return f"{v:>{width}.{digits}f}"


def _ci(d: dict, digits: int) -> str:
    return (f"{d['estimate']:+.{digits}f} ({d['lo']:+.{digits}f} .. {d['hi']:+.{digits}f})")


def format_rolling(out: dict) -> str:
    """The rolling backtest as text tables."""
    P = out["pooled"]
    lines = [f"rolling backtest: {out['n_origins']} origins from {out['as_of']} every "
             f"{out['horizon_days']} days, radius {out['radius_km']:g} km; "
             f"{out['n_segment_windows']:,} segment-windows, {out['n_positive']:,} positive",
             "", f"{'pooled':<12} {'ROC AUC':>8} {'avg prec':>8} {'Brier':>8} {'BSS':>8}"]
    for name, s in [("model", P["model"]), *P["baselines"].items()]:
        lines.append(f"{name:<12} {_n(s['roc_auc'])} {_n(s['average_precision'])} "
                     f"{_n(s['brier'], 5)} {_n(s['brier_skill'])}")
    b = out["bootstrap"]
    lines += ["", f"model - baseline, {b['level']:.0%} intervals (block bootstrap over "
                  f"{b['cell_km']:g} km cells, {b['n_boot']} replicates)"]
    for name, d in P["differences"].items():
        lines.append(f"  vs {name:<12} AUC {_ci(d['roc_auc'], 3)}  AP "
                     f"{_ci(d['average_precision'], 3)}  Brier {_ci(d['brier'], 5)}")
    better = P["origins_model_better_than_persistence"]
    lines.append(f"  origins where the model beats persistence: AUC {better['roc_auc']}, AP "
                 f"{better['average_precision']}, Brier {better['brier']} of "
                 f"{out['n_origins']}")
    nv = P["near_violence"]
    lines += ["", f"segments within 50 km of violence in the previous 3 years: {nv['n']:,} "
                  f"({nv['n_positive']:,} positive): model AUC {_n(nv['model']['roc_auc'])} AP "
                  f"{_n(nv['model']['average_precision'])}; persistence AUC "
                  f"{_n(nv['baselines']['persistence']['roc_auc'])} AP "
                  f"{_n(nv['baselines']['persistence']['average_precision'])}",
              "", f"{'origin':<11} {'pos':>5} {'AP model':>8} {'AP pers':>8} "
                  f"{'Brier m':>8} {'Brier p':>8}"]
    for o in out["origins"]:
        pers = o["baselines"]["persistence"]
        lines.append(f"{o['as_of']:<11} {o['n_positive']:>5} "
                     f"{_n(o['model']['average_precision'])} {_n(pers['average_precision'])} "
                     f"{_n(o['model']['brier'], 5)} {_n(pers['brier'], 5)}")
    lines += ["", "reliability (model, pooled, by decile of predicted P)",
              f"{'decile':>6} {'n':>7} {'mean P':>8} {'observed':>9}"]
    for r in out["reliability"]:
        lines.append(f"{r['bin']:>6} {r['n']:>7} {r['mean_predicted']:>8.4f} "
                     f"{r['observed_frequency']:>9.4f}")
    for key, title in (("routes", "corridor-windows"), ("random_routes", "random-route-windows")):
        R = out.get(key) or {}
        if not R.get("n_route_windows"):
            continue
        lines += ["", f"{title}: {R['n_route_windows']} (observed disrupted "
                      f"{R['observed_frequency']:.3f})",
                  f"{'':<13} {'Brier':>7} {'mean P':>7}"]
        for k in ("calibrated", "independence", "constant"):
            lines.append(f"{k:<13} {R[k]['brier']:>7.4f} {R[k]['mean_predicted']:>7.3f}")
        for k, d in R["differences"].items():
            lines.append(f"  calibrated - {k}: Brier {_ci(d, 4)} (windows resampled)")
    return "\n".join(lines)
