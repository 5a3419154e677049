"""``routerisk exposure``, ``routerisk scenario`` and ``routerisk route``.

* ``routerisk exposure [--as-of DATE] [--horizon-days N] [--incidents FILE…]
  [--share ROUTE=FRACTION…] [--routes FILE] [--criticality] [--worst-links K] [model options]
  [--json]`` — per fuel-import route its share, km, generalised cost (h, with border dwell),
  m³/day, tanker round trip, P(disruption), expected incidents and tankers lost per month;
  Σ share × P; the fuel supply; the road links carrying the most volume-weighted risk; with
  ``--criticality`` the links whose loss cuts off or diverts the most fuel volume; with
  ``--worst-links`` the K links whose joint loss cuts off the most (greedy).
* ``routerisk scenario [PRESET] [--blockade TOWN[:RADIUS_KM]…] [--close-road REF…]
  [--ban COUNTRY…] [--list] [model options] [--json]`` — which import routes still reach
  Bamako, detours, share cut off apart from share disrupted, m³/day arriving, days of stock
  cover, extra tanker-days, tankers lost, access to the regional towns.
* ``routerisk route FROM TO [--risk-aversion A] [--alternatives K] [--cost FILE] [--json]`` —
  cheapest (generalised cost), safest, trade-off and alternative routes between two places.

Model options: ``--cost FILE``, ``--undeclared-crossing-h H``, ``--supply FILE``,
``--demand-m3-per-day M3``, ``--stock-days DAYS``, ``--tanker-m3 M3``. Each command runs on
the road graph of ``--network`` (any graph :func:`routerisk.network.io.load_any_graph`
reads; default the study network) and takes its hazard model from ``--model FILE`` (saved by
``routerisk model fit``) or fits the hazard model for ``--horizon-days``
(:func:`routerisk.model.build.fit_model`) on the default incidents, or on ``--incidents``
files, as of ``--as-of`` (see :mod:`routerisk.cli._model`).
"""

from __future__ import annotations

import argparse
import logging
import math

from routerisk._output import fmt_percent, print_json
from routerisk.cli import _args, _history, _model
from routerisk.cli._text import (
    _assumption_lines,
    _header,
    _supply_lines,
    scenario_lines,
    table,
)
from routerisk.errors import SpecError

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- arguments
def _risk_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("risk model")
    g.add_argument("--as-of", type=_args.iso_date, default=None, metavar="DATE",
                   help="forecast date YYYY-MM-DD: only incidents before it are used "
                        "(default: the day after the latest incident)")
    g.add_argument("--horizon-days", type=_args.positive_int, default=30, metavar="N",
                   help="risk horizon in days; the model is fitted for it (default 30)")
    g.add_argument("--incidents", nargs="+", default=None, metavar="FILE",
                   help="incident files (default: the project catalogue + the shared ACLED "
                        "file)")
    _model.add_model_option(g)
    _model.add_network_option(g)


def _route_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("import routes")
    g.add_argument("--routes", default=None, metavar="FILE",
                   help="fuel routes TOML (default networks/fuel_routes.toml)")
    g.add_argument("--share", action="append", default=[], metavar="ROUTE=FRACTION",
                   help="override a route's share of import volume (repeatable); the other "
                        "routes are rescaled so that shares sum to 1")


def _model_options(p: argparse.ArgumentParser, *, supply: bool = True) -> None:
    g = p.add_argument_group("cost and supply models")
    g.add_argument("--cost", default=None, metavar="FILE",
                   help="generalised tanker cost TOML (default routerisk/data/cost.toml)")
    g.add_argument("--undeclared-crossing-h", type=_args.non_negative, default=None,
                   metavar="H", help="customs dwell added at a border crossing that is not a "
                                     "transit crossing of the cost file (default 24)")
    if not supply:
        return
    g.add_argument("--supply", default=None, metavar="FILE",
                   help="fuel supply model TOML (default routerisk/data/supply.toml)")
    g.add_argument("--demand-m3-per-day", type=_args.positive, default=None, metavar="M3",
                   help="national fuel demand, m³/day (default 2,700: assumption S1)")
    g.add_argument("--stock-days", type=_args.non_negative, default=None, metavar="DAYS",
                   help="Bamako stock in days of demand (default 10: assumption S3)")
    g.add_argument("--tanker-m3", type=_args.positive, default=None, metavar="M3",
                   help="tanker capacity, m³ (default 40: assumption S2)")


def _cost(args: argparse.Namespace):
    from routerisk.supply.cost import load_cost

    return load_cost(args.cost, undeclared_crossing_h=args.undeclared_crossing_h)


def _supply(args: argparse.Namespace):
    from routerisk.supply.logistics import load_supply

    return load_supply(args.supply, demand_m3_per_day=args.demand_m3_per_day,
                       stock_days_of_cover=args.stock_days,
                       tanker_capacity_m3=args.tanker_m3)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``exposure``, ``scenario`` and ``route`` commands."""
    e = subparsers.add_parser(
        "exposure", help="exposure of the fuel-import routes to disruption",
        description="Per fuel-import route to Bamako: share of import volume, km, "
                    "generalised cost hours (with border dwell), m³/day, tanker round trip, "
                    "expected incidents, P(disruption) and tankers lost per month over the "
                    "horizon; the expected share of fuel volume whose route is disrupted "
                    "(Σ share × P); the road links carrying the most volume-weighted risk.")
    _risk_options(e)
    _route_options(e)
    e.add_argument("--top", type=_args.count, default=10, metavar="N",
                   help="road links to list (default 10, at most 20)")
    e.add_argument("--criticality", action="store_true",
                   help="also rank links by the fuel volume their loss cuts off or diverts")
    e.add_argument("--worst-links", type=_args.count, default=0, metavar="K",
                   help="also find the K links whose joint loss cuts off the most import "
                        "volume (greedy search; slow: about 10 s per link)")
    _model_options(e)
    e.add_argument("--json", action="store_true", help="print JSON")
    e.set_defaults(func=cmd_exposure)

    s = subparsers.add_parser(
        "scenario", help="blockades, road closures and import bans against the baseline",
        description="Apply closures (a preset and/or --blockade, --close-road, --ban) and "
                    "report, per fuel-import route, whether it still reaches Bamako, its "
                    "detour and new risk; the share of fuel volume cut off apart from the "
                    "share disrupted; m³/day arriving, days until the Bamako stock runs out, "
                    "extra tanker-days and tankers lost; access to the regional towns.")
    s.add_argument("preset", nargs="?", default=None, metavar="PRESET",
                   help="a preset of networks/scenarios.toml (see --list)")
    s.add_argument("--blockade", action="append", default=[], metavar="TOWN[:RADIUS_KM]",
                   help="close every road within the radius of a town (default radius: the "
                        "catalogue's blockade radius for the town, else 25 km); repeatable")
    s.add_argument("--close-road", action="append", default=[], metavar="REF",
                   help="close a named road (e.g. RN1) or the road between two towns "
                        "written 'A..B'; repeatable")
    s.add_argument("--ban", action="append", default=[], metavar="COUNTRY",
                   help="cut the import routes from a country (ISO3 code or name); "
                        "repeatable")
    s.add_argument("--list", action="store_true", help="list the presets and named roads")
    s.add_argument("--strict", action="store_true",
                   help="fail when a closure touches no road or a ban hits no route")
    _risk_options(s)
    _route_options(s)
    _model_options(s)
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_scenario)

    r = subparsers.add_parser(
        "route", help="cheapest, safest and trade-off routes between two places",
        description="Cheapest route under the generalised tanker cost (driving time, border "
                    "dwell, crossing penalties), safest route (fewest expected incidents), "
                    "the distinct routes of the cost-risk trade-off, and genuinely different "
                    "alternatives, each with km, cost hours, P(disruption) and towns passed.")
    r.add_argument("origin", metavar="FROM", help="place name or 'lat,lon'")
    r.add_argument("destination", metavar="TO", help="place name or 'lat,lon'")
    r.add_argument("--risk-aversion", type=_args.non_negative, default=None, metavar="A",
                   help="hours of travel accepted per expected incident avoided "
                        "(default 24); 0 = fastest")
    r.add_argument("--alternatives", type=_args.count, default=3, metavar="K",
                   help="alternatives to look for besides the recommended route (default 3)")
    _risk_options(r)
    _model_options(r, supply=False)
    r.add_argument("--json", action="store_true", help="print JSON")
    r.set_defaults(func=cmd_route)


# --------------------------------------------------------------------------- model
def risk_graph(args: argparse.Namespace):
    """The road graph of ``--network`` (default the study network) annotated with risk.

    ``G.graph["history"]`` holds the :class:`~routerisk.incidents.coverage.HistoryNote` of
    the fit (as a dict; saved with a ``--model``); its warning, if any, is printed on stderr
    with the command's output (:func:`_history_json`, :func:`_history_text`), so that an
    error stays one line."""
    from routerisk.supply.routing import risk_network

    model, info = _model.model(args)
    G = risk_network(model=model, G=_model.graph(args), horizon_days=args.horizon_days,
                     copy=False)  # the graph is this command's own
    if info.get("history") is not None:
        G.graph["history"] = info["history"]
    return G


def _history_json(G) -> dict:
    """The ``history`` object for ``--json`` (the warning goes to stderr)."""
    note = G.graph.get("history")
    if note is None:
        return {}
    _history.warn(note)
    return {"history": note}


def _history_text(G) -> list[str]:
    """The ``rests on`` lines for text output (the warning goes to stderr too)."""
    note = G.graph.get("history")
    if note is None:
        return []
    _history.warn(note)
    return _history.lines(note, label="rests on")


def _spec(args: argparse.Namespace):
    from routerisk.supply.fuel_routes import load_routes, parse_share_overrides, with_shares

    spec = load_routes(args.routes)
    return with_shares(spec, parse_share_overrides(args.share))


# --------------------------------------------------------------------------- output
def cmd_exposure(args: argparse.Namespace) -> int:
    from routerisk.supply.criticality import criticality
    from routerisk.supply.damage import worst_links
    from routerisk.supply.exposure import exposure

    spec = _spec(args)
    cost, supply = _cost(args), _supply(args)
    G = risk_graph(args)
    ex = exposure(G, spec, top_segments=args.top, cost=cost, supply=supply)
    crit = criticality(G, baseline=ex.baseline) if args.criticality else None
    worst = worst_links(G, ex.baseline, k=args.worst_links) if args.worst_links else None
    if args.json:
        out = {"as_of": G.graph.get("risk_as_of"), **_history_json(G), **ex.to_dict()}
        if crit is not None:
            out["criticality"] = crit.to_dict(top=args.top)
        if worst is not None:
            out["worst_links"] = worst.drop(columns=["link"]).to_dict("records")
        print_json(out)
        return 0
    rows = [{**r, "share_pct": fmt_percent(r["share"]), "p_pct": fmt_percent(r["p_disrupt"]),
             "lost": f"{r['tankers_lost_per_month']:.2f}"}
            for r in ex.routes.reset_index().to_dict("records")]
    lines = [f"Fuel-import exposure — {_header(G)}", *_history_text(G), "",
             table(rows, [("route", "route", ""), ("share_pct", "share", ">"),
                          ("length_km", "km", ".0f"), ("cost_h", "cost h", ".1f"),
                          ("border_h", "of which border", ".1f"),
                          ("m3_per_day", "m³/day", ",.0f"),
                          ("round_trip_days", "round trip d", ".1f"),
                          ("mu", "exp. incidents", ".3f"), ("p_pct", "P(disruption)", ">"),
                          ("lost", "tankers lost/month", ">")]),
             "",
             f"Expected share of fuel volume whose route is disrupted (Σ share × P): "
             f"{fmt_percent(ex.expected_share_disrupted)}", ""]
    lines += _supply_lines(ex.supply, "Fuel supply (baseline):")
    lines += ["", f"Road links carrying the most volume-weighted risk (Σ share × mu), "
              f"top {args.top}:",
              table(ex.segments.to_dict("records"),
                    [("label", "link", ""), ("length_km", "km", ".0f"),
                     ("mu", "exp. incidents", ".3f"), ("share_using", "share using", ".3f"),
                     ("volume_risk", "Σ share×mu", ".4f"), ("routes", "routes", "")])]
    if crit is not None:
        lines += ["", f"Criticality: links whose loss cuts off or diverts the most fuel volume "
                  f"(top {args.top}; {crit.n_reroutes} reroutes; hours of generalised cost):",
                  table(crit.links.head(args.top).to_dict("records"),
                        [("label", "link", ""), ("share_lost", "share lost", ".3f"),
                         ("share_detour", "share detouring", ".3f"),
                         ("extra_hours_weighted", "Σ share×Δh", "+.2f"),
                         ("max_extra_h", "max Δh", "+.1f"), ("spof", "single point", "")])]
        spof = crit.single_points_of_failure
        lines.append(f"Single points of failure: {len(spof)}"
                     + (": " + "; ".join(
                         f"{r.label} ({r.lost_routes}"
                         + (", access road of the route's origin or destination)"
                            if r.at_route_end else ")")
                         for r in spof.itertuples()) if len(spof) else ""))
    if worst is not None:
        lines += ["", f"The {args.worst_links} links whose joint loss cuts off the most import "
                  "volume (greedy: each step adds the link that cuts most given the earlier "
                  "ones; not guaranteed optimal):",
                  table(worst.to_dict("records"),
                        [("step", "step", "d"), ("label", "link", ""),
                         ("share_cut", "share cut off (cumulative)", ".3f"),
                         ("extra_hours_weighted", "Σ share×Δh", "+.2f")])]
    lines += _assumption_lines(ex.assumptions, ex.notes)
    print("\n".join(lines))
    return 0


def _scenario_from_args(args: argparse.Namespace, presets):
    from routerisk.supply.scenario_spec import Scenario, parse_blockade

    base = presets.scenario(args.preset) if args.preset else Scenario(name="custom")
    extra = Scenario(name="custom", blockades=[parse_blockade(b) for b in args.blockade],
                     roads=list(args.close_road), bans=list(args.ban))
    if extra.is_empty:
        return base
    if args.preset:
        return base.combine(extra, name=f"{args.preset}+custom")
    return extra


def _list_presets(presets, as_json: bool) -> int:
    if as_json:
        print_json({"scenarios": {k: v.model_dump() for k, v in presets.scenarios.items()},
                     "roads": {k: v.model_dump() for k, v in presets.roads.items()}})
        return 0
    lines = ["Scenario presets (networks/scenarios.toml):"]
    for name, s in presets.scenarios.items():
        parts = ([f"blockade {b.town}" + (f":{b.radius_km:g}" if b.radius_km else "")
                  for b in s.blockades] + [f"close {r}" for r in s.roads]
                 + [f"ban {', '.join(s.bans)}"] * bool(s.bans))
        lines.append(f"  {name}: {s.title}")
        lines.append(f"      {'; '.join(parts)}")
    lines.append("Named roads:")
    for name, r in presets.roads.items():
        lines.append(f"  {name}: {' – '.join(r.towns)}")
    print("\n".join(lines))
    return 0


def cmd_scenario(args: argparse.Namespace) -> int:
    from routerisk.incidents.io import load_catalogue
    from routerisk.supply.damage import od_losses, places_cut_off
    from routerisk.supply.scenario_spec import check_towns, load_presets
    from routerisk.supply.scenarios import closed_edges, resolve_closures, run_scenario

    presets = load_presets()
    if args.list:
        return _list_presets(presets, args.json)
    scenario = _scenario_from_args(args, presets)
    check_towns(presets)
    if scenario.is_empty:
        raise SpecError("no closure given: name a PRESET (see --list) or use --blockade, "
                        "--close-road or --ban")
    spec = _spec(args)
    cost, supply = _cost(args), _supply(args)
    G = risk_graph(args)
    closures = resolve_closures(G, scenario, presets=presets, catalogue=load_catalogue(),
                                strict=args.strict)
    res = run_scenario(G, scenario, spec, presets=presets, strict=args.strict,
                       closures=closures, cost=cost, supply=supply)
    od = od_losses(G, closed_edges(res.closures), cost=cost)
    if args.json:
        print_json({"as_of": G.graph.get("risk_as_of"), **_history_json(G), **res.to_dict(G),
                    "od_losses": od.to_dict("records"),
                    "places_cut_off": places_cut_off(od)})
        return 0
    print("\n".join(scenario_lines(G, scenario, res, od, history=_history_text(G))))
    return 0


def cmd_route(args: argparse.Namespace) -> int:
    from routerisk.supply.routing import DEFAULT_RISK_AVERSION_H, route

    alpha = DEFAULT_RISK_AVERSION_H if args.risk_aversion is None else args.risk_aversion
    cost = _cost(args)
    G = risk_graph(args)
    res = route(G, args.origin, args.destination, risk_aversion=alpha,
                alternatives=args.alternatives, cost=cost)
    if args.json:
        print_json({"as_of": G.graph.get("risk_as_of"), **_history_json(G), **res.to_dict()})
        return 0

    def row(label, opt):
        m = opt.metrics
        out = {"route": label, "km": m.length_km, "h": m.cost_h, "mu": m.mu,
               "p": fmt_percent(m.p_disrupt), "towns": _short(m.towns)}
        if opt.alpha_range is not None:
            lo, hi = opt.alpha_range
            out["alpha"] = f"{_num(lo)}–{'∞' if math.isinf(hi) else _num(hi)}"
        return out

    rows = [row("cheapest", res.fastest), row("safest", res.safest),
            row(f"recommended (α={alpha:g})", res.recommended)]
    cols = [("route", "route", ""), ("km", "km", ".0f"), ("h", "cost h", ".1f"),
            ("mu", "exp. incidents", ".3f"), ("p", "P(disruption)", ">"),
            ("towns", "via", "")]
    lines = [f"Routes {res.origin} → {res.destination} — {_header(G)}", *_history_text(G), "",
             table(rows, cols),
             "", "Cost–risk trade-off (routes minimising cost hours + α × expected "
             "incidents; α in hours per incident; cost = tanker driving time, border dwell "
             "and crossing penalties of the cost model):",
             table([row(f"#{i + 1}", o) for i, o in enumerate(res.tradeoff)],
                   [cols[0], ("alpha", "α range", ""), *cols[1:]])]
    if res.alternatives:
        lines += ["", f"Alternatives to the recommended route ({len(res.alternatives)} "
                  "genuinely different, ≤ 70 % shared length):",
                  table([row(f"alt {i + 1}", o) for i, o in enumerate(res.alternatives)],
                        cols)]
    else:
        lines += ["", "No genuinely different alternative (≤ 70 % shared length, ≤ 2× cost) "
                  "on this network."]
    print("\n".join(lines))
    return 0


def _num(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.2g}"


def _short(towns: list[str], n: int = 8) -> str:
    if len(towns) <= n:
        return ", ".join(towns)
    inner = towns[1:-1]
    step = max(1, math.ceil(len(inner) / (n - 2)))
    return ", ".join([towns[0], *inner[::step][: n - 2], towns[-1]])
