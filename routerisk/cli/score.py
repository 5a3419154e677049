"""``routerisk score`` and ``routerisk backtest``.

* ``routerisk score --corridor NAME [--incidents FILE ...] [--as-of DATE]
  [--horizon-days N] [--network PATH] [--n-boot N] [--json]`` — the corridor's route risk
  with its bootstrap interval, its ten riskiest segments (place names of the ends, km from
  the corridor start, expected incidents, probability) and the model parameters used.
* ``routerisk backtest --incidents TRAIN ... --test-incidents TEST ... --as-of DATE
  --horizon-days N [--network PATH] [--radius-km R] [--routes N] [--json]`` — fit before
  the date, score every segment, compare with the violent test incidents of the window;
  model against climatology and persistence baselines, reliability by decile.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math

from routerisk._output import MISSING, _number, print_json
from routerisk.cli import _args, _history, _model

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``score`` and ``backtest`` commands."""
    p = subparsers.add_parser(
        "score", help="disruption risk of a corridor's route",
        description="Fit the hazard model on the incidents and score a corridor's fastest "
                    "route: P(disrupted) over the horizon with a bootstrap interval, and its "
                    "ten riskiest segments.")
    p.add_argument("--corridor", required=True, metavar="NAME",
                   help="corridor name (see 'routerisk corridors')")
    p.add_argument("--incidents", nargs="+", metavar="FILE", default=None,
                   help="incident files (routerisk CSV/GeoJSON, ACLED, UCDP); default: the "
                        "project catalogue plus the shared ACLED file when present")
    p.add_argument("--as-of", type=_args.iso_date, default=None, metavar="DATE",
                   help="forecast date (default: the day after the latest incident)")
    p.add_argument("--horizon-days", type=_args.positive_int, default=30, metavar="N",
                   help="horizon in days (default 30)")
    _model.add_network_option(p)
    _model.add_model_option(p)
    p.add_argument("--n-boot", type=_args.non_negative_int, default=200, metavar="N",
                   help="bootstrap replicates for the interval (default 200; 0: none)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_score)

    b = subparsers.add_parser(
        "backtest", help="does the model forecast? time-split backtest against baselines",
        description="Fit on training incidents dated before --as-of, score every segment, "
                    "and compare with the violent test incidents of [as-of, as-of + N days): "
                    "ROC AUC, average precision, Brier score and Brier skill score for the "
                    "model, climatology and persistence, and a reliability table.")
    b.add_argument("--incidents", nargs="+", required=True, metavar="TRAIN",
                   help="training incident files")
    b.add_argument("--test-incidents", nargs="+", required=True, metavar="TEST",
                   help="test incident files (may be the same files: the split is by date)")
    b.add_argument("--as-of", type=_args.iso_date, required=True, metavar="DATE",
                   help="forecast date: fit before it, test from it")
    b.add_argument("--horizon-days", type=_args.positive_int, required=True, metavar="N",
                   help="test window in days")
    _model.add_network_option(b)
    b.add_argument("--radius-km", type=_args.km, default=10.0, metavar="R",
                   help="a test incident within R km of a segment makes it positive "
                        "(default 10)")
    b.add_argument("--routes", type=_args.non_negative_int, default=300, metavar="N",
                   help="random routes for the route-level check (default 300; 0: skip)")
    b.add_argument("--rolling", type=_args.positive_int, default=None, metavar="N",
                   help="rolling origins: step the origin by the horizon N times from "
                        "--as-of, fitting at each on every incident (training and test "
                        "files) dated before it; pooled scores with bootstrap intervals and "
                        "corridor-month route scores")
    b.add_argument("--n-boot", type=_args.non_negative_int, default=200, metavar="N",
                   help="block-bootstrap replicates of the rolling intervals (default 200)")
    b.add_argument("--json", action="store_true", help="print JSON")
    b.set_defaults(func=cmd_backtest)


# --- shared helpers -------------------------------------------------------------------------

def _read_all(paths: list[str]):
    return _model.read_incidents(paths)



# --- score ----------------------------------------------------------------------------------

def cmd_score(args: argparse.Namespace) -> int:
    """Score a corridor's route."""
    from routerisk.model.risk import edge_subgraph, route_risk
    from routerisk.network.corridor_graph import corridor_route
    from routerisk.network.corridors import get_corridor

    corridor = get_corridor(args.corridor)
    G = _model.graph(args)
    model, info = _model.model(args)
    path = corridor_route(G, corridor)
    risk = route_risk(G, path, model=model, horizon_days=args.horizon_days,
                      n_boot=args.n_boot)
    from routerisk.network.naming import node_label

    top = risk.top_segments.copy()
    steps = list(zip(top["u"], top["v"], top["key"], strict=True))
    contrib = model.contributions(edge_subgraph(G, steps)) if steps else None
    top.insert(0, "rank", range(1, len(top) + 1))
    top["from_place"] = [node_label(G, u) for u in top["u"]]
    top["to_place"] = [node_label(G, v) for v in top["v"]]
    out = {
        "corridor": corridor.name, "as_of": model.as_of_.date().isoformat(),
        "horizon_days": args.horizon_days, "length_km": risk.length_km,
        "n_segments": len(risk.segments), "p_disrupt": risk.p_disrupt, "mu": risk.mu,
        "p_interval": list(risk.p_interval), "mu_interval": list(risk.mu_interval),
        "interval_level": risk.level,
        "p_independent": risk.p_independent, "route_history": risk.route_history,
        "top_segments": [
            {**row, "contributions": (contrib.loc[s].to_dict() if contrib is not None
                                      else {})}
            for row, s in zip(top[["rank", "from_place", "to_place", "km_from_start",
                                   "length_km", "rate_per_km_yr", "mu", "p_disrupt", "share",
                                   "u", "v", "key"]].to_dict(orient="records"), steps,
                              strict=True)],
        "model": model.params_used(),
        "incidents": {"n": info["n"], "latest": info["latest"]},
        "network": G.graph.get("source"),
    }
    note = info.get("history")
    if note is not None:
        out["history"] = note
        _history.warn(note)
    if args.json:
        print_json(out)
        return 0
    _print_score(out, note)
    return 0


def _fmt_p(p: float) -> str:
    return MISSING if _number(p) is None else f"{p:.3f}"


def _print_score(out: dict, note) -> None:
    m = out["model"]
    lo, hi = out["p_interval"]
    interval = ("" if lo is None or (isinstance(lo, float) and math.isnan(lo))
                else f"  ({out['interval_level']:.0%} interval {_fmt_p(lo)} - {_fmt_p(hi)})")
    print(f"corridor          {out['corridor']}: {out['length_km']:,.0f} km, "
          f"{out['n_segments']} segments")
    print(f"as of             {out['as_of']} (latest incident {out['incidents']['latest']}; "
          f"{m['n_incidents']:,} incidents used)")
    print(f"horizon           {out['horizon_days']} days")
    if out.get("network"):
        print(f"network           {out['network']}")
    print(f"P(disrupted)      {_fmt_p(out['p_disrupt'])}{interval}; pieces as if "
          f"independent {_fmt_p(out['p_independent'])}")
    for line in (_history.lines(note, label="rests on") if note is not None else []):
        print(line)
    own = out.get("route_history")
    if own and own["n_windows"]:
        print(f"its own history   disrupted in {own['window_share']:.0%} of its "
              f"{own['n_windows']} calibration windows; follows the month-to-month signal "
              f"x{1 + own['slope']:.2f}, level {own['offset']:+.2f} log-odds")
    print(f"expected          {out['mu']:.3f} disrupting incidents "
          f"(violent, within {m['radius_km']:g} km of the road)")
    print(f"model             {m['horizon_days']}-day {m['link']}, C {m['C']:g}, severity "
          f"{m['severity']}")
    origins = m["train_origins"]
    print(f"fitted on         {len(origins)} windows starting {origins[-1]} .. {origins[0]}")
    if m.get("route_origins"):
        first, last = m["route_origins"]
        print(f"route P learnt on {m['n_route_windows']:,} route-windows "
              f"({m['route_calibration_basis']}) starting {first} .. {last}")
    print()
    print("riskiest segments")
    rows = [("#", "from", "to", "km", "mu", "P")]
    for r in out["top_segments"]:
        rows.append((str(r["rank"]), r["from_place"], r["to_place"],
                     f"{r['km_from_start']:,.0f}", f"{r['mu']:.4f}", _fmt_p(r["p_disrupt"])))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for row in rows:
        print(f"{row[0]:>{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  "
              f"{row[3]:>{widths[3]}}  {row[4]:>{widths[4]}}  {row[5]:>{widths[5]}}")


# --- backtest -------------------------------------------------------------------------------

def cmd_backtest(args: argparse.Namespace) -> int:
    """Run the backtest."""
    from routerisk.incidents.coverage import forecast_note, history_note
    from routerisk.incidents.io import check_as_of
    from routerisk.model.backtest import backtest

    if args.rolling:
        from routerisk.cli._rolling import run_rolling

        return run_rolling(args, _read_all, lambda _path: _model.graph(args))
    train = _read_all(args.incidents)
    check_as_of(train, args.as_of)
    test = _read_all(args.test_incidents)
    G = _model.graph(args)
    result = backtest(train, test, as_of=args.as_of, horizon_days=args.horizon_days, G=G,
                      radius_km=args.radius_km, n_routes=args.routes)
    out = result.to_dict()
    fit = forecast_note(train, result.as_of)
    start = result.as_of.date()
    end = start + dt.timedelta(days=args.horizon_days - 1)
    test_note = history_note(test, start=start, end=end,
                             consequence="test labels miss what the sources did not "
                                         "record: observed frequencies are lower bounds")
    out["history"] = {"training": fit.to_dict(), "test": test_note.to_dict()}
    _history.warn(fit)
    if test_note.warning:
        _history.warn(test_note)
    if args.json:
        print_json(out)
        return 0
    print(format_backtest(out))
    print("\n".join(_history.lines(fit, label="training rests on")
                    + _history.lines(test_note, label="test rests on")))
    return 0


def format_backtest(out: dict) -> str:
    """The backtest as text tables (metrics, reliability, route check)."""
    lines = [
        f"as of {out['as_of']}, horizon {out['horizon_days']} days, radius "
        f"{out['radius_km']:g} km: {out['n_segments']:,} segments, {out['n_positive']:,} "
        f"positive ({out['n_test_incidents']:,} violent test incidents)",
        "",
        f"{'':<12} {'ROC AUC':>8} {'avg prec':>9} {'Brier':>8} {'BSS':>7} {'mean p':>7}",
    ]
    rows = [("model", out["model"])] + list(out["baselines"].items())
    for name, s in rows:
        lines.append(f"{name:<12} {_num(s['roc_auc'])} {_num(s['average_precision'], 9)} "
                     f"{_num(s['brier'], 8, 4)} {_num(s['brier_skill'], 7)} "
                     f"{_num(s['mean_predicted'], 7)}")
    p = out["params"]
    lines += ["", f"model: {p['horizon_days']}-day {p['link']}, C {p['C']:g}; fitted on "
                  f"{len(p['train_origins'])} windows starting {p['train_origins'][-1]} .. "
                  f"{p['train_origins'][0]}", "",
              "reliability (model, by decile of predicted P)",
              f"{'decile':>6} {'n':>6} {'mean P':>8} {'observed':>9}"]
    for r in out["reliability"]:
        lines.append(f"{r['bin']:>6} {r['n']:>6} {r['mean_predicted']:>8.4f} "
                     f"{r['observed_frequency']:>9.4f}")
    routes = out.get("routes") or {}
    if routes.get("n_routes"):
        lines += ["", f"routes: {routes['n_routes']} random routes, observed "
                      f"{routes['observed_frequency']:.3f}; calibrated mean P "
                      f"{routes['mean_predicted']:.3f} (Brier {routes['brier']:.4f}), "
                      f"independence {routes['mean_independence']:.3f} (Brier "
                      f"{routes['brier_independence']:.4f})"]
    return "\n".join(lines)


def _num(v: float | None, width: int = 8, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return f"{'n/a':>{width}}"
    return f"{v:>{width}.{digits}f}"
