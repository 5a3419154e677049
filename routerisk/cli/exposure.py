"""``routerisk exposure``, ``routerisk scenario`` and ``routerisk route``.

* ``routerisk exposure [--as-of DATE] [--horizon-days N] [--incidents FILE…]
  [--share ROUTE=FRACTION…] [--routes FILE] [--criticality] [--json]`` — per fuel-import route
  its share, length, hours, P(disruption) and expected incidents; Σ share × P; the road links
  carrying the most volume-weighted risk; with ``--criticality`` the links whose loss cuts or
  diverts the most fuel volume.
* ``routerisk scenario [PRESET] [--blockade TOWN[:RADIUS_KM]…] [--close-road REF…]
  [--ban COUNTRY…] [--list] [--json]`` — which import routes still reach Bamako, detours,
  new risk, share of volume cut off and share that must detour.
* ``routerisk route FROM TO [--risk-aversion A] [--alternatives K] [--json]`` — fastest,
  safest, trade-off and alternative routes between two places (names or ``lat,lon``).

Each fits the hazard model (:class:`routerisk.hazard.HazardModel` defaults) on the default
incidents, or on ``--incidents`` files, as of ``--as-of``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
from functools import lru_cache

from routerisk._output import fmt_percent, print_json
from routerisk.cli import _args, _history
from routerisk.errors import SpecError

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- arguments
def _risk_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("risk model")
    g.add_argument("--as-of", type=_args.iso_date, default=None, metavar="DATE",
                   help="forecast date YYYY-MM-DD: only incidents before it are used "
                        "(default: the day after the latest incident)")
    g.add_argument("--horizon-days", type=_args.positive_int, default=30, metavar="N",
                   help="risk horizon in days (default 30)")
    g.add_argument("--incidents", nargs="+", default=None, metavar="FILE",
                   help="incident files (default: the project catalogue + the shared ACLED "
                        "file)")


def _route_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("import routes")
    g.add_argument("--routes", default=None, metavar="FILE",
                   help="fuel routes TOML (default networks/fuel_routes.toml)")
    g.add_argument("--share", action="append", default=[], metavar="ROUTE=FRACTION",
                   help="override a route's share of import volume (repeatable); the other "
                        "routes are rescaled so that shares sum to 1")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``exposure``, ``scenario`` and ``route`` commands."""
    e = subparsers.add_parser(
        "exposure", help="exposure of the fuel-import routes to disruption",
        description="Per fuel-import route to Bamako: share of import volume, km, hours, "
                    "expected incidents and P(disruption) over the horizon; the expected "
                    "share of fuel volume whose route is disrupted (Σ share × P); the road "
                    "links carrying the most volume-weighted risk.")
    _risk_options(e)
    _route_options(e)
    e.add_argument("--top", type=_args.count, default=10, metavar="N",
                   help="road links to list (default 10, at most 20)")
    e.add_argument("--criticality", action="store_true",
                   help="also rank links by the fuel volume their loss cuts off or diverts")
    e.add_argument("--json", action="store_true", help="print JSON")
    e.set_defaults(func=cmd_exposure)

    s = subparsers.add_parser(
        "scenario", help="blockades, road closures and import bans against the baseline",
        description="Apply closures (a preset and/or --blockade, --close-road, --ban) and "
                    "report, per fuel-import route, whether it still reaches Bamako, its "
                    "detour and new risk; the share of fuel volume cut off and the share that "
                    "must detour.")
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
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_scenario)

    r = subparsers.add_parser(
        "route", help="fastest, safest and trade-off routes between two places",
        description="Fastest route, safest route (fewest expected incidents), the distinct "
                    "routes of the time-risk trade-off, and genuinely different "
                    "alternatives, each with km, hours, P(disruption) and towns passed.")
    r.add_argument("origin", metavar="FROM", help="place name or 'lat,lon'")
    r.add_argument("destination", metavar="TO", help="place name or 'lat,lon'")
    r.add_argument("--risk-aversion", type=_args.non_negative, default=None, metavar="A",
                   help="hours of travel accepted per expected incident avoided "
                        "(default 24); 0 = fastest")
    r.add_argument("--alternatives", type=_args.count, default=3, metavar="K",
                   help="alternatives to look for besides the recommended route (default 3)")
    _risk_options(r)
    r.add_argument("--json", action="store_true", help="print JSON")
    r.set_defaults(func=cmd_route)


# --------------------------------------------------------------------------- model
def _fitted_model(as_of: dt.date | None, files: tuple[str, ...] | None):
    """The hazard model fitted for the options (cached with :func:`_fitted`)."""
    return _fitted(as_of, files)[0]


@lru_cache(maxsize=4)
def _fitted(as_of: dt.date | None, files: tuple[str, ...] | None):
    """(model, history note) fitted on the default incidents or ``files`` as of ``as_of``."""
    from routerisk.incidents.coverage import forecast_note
    from routerisk.incidents.io import combine, default_incidents, read_incidents
    from routerisk.model.hazard import HazardModel
    from routerisk.network.io import load_study_network

    if files:
        incidents = combine([read_incidents(f) for f in files])
    else:
        incidents = default_incidents()
    log.info("fitting the hazard model on %d incidents", len(incidents))
    model = HazardModel().fit(incidents, as_of=as_of, G=load_study_network())
    return model, forecast_note(incidents, model.as_of_)


def risk_graph(args: argparse.Namespace):
    """The study network annotated with risk for the command's options.

    ``G.graph["history"]`` holds the :class:`~routerisk.incidents.coverage.HistoryNote` of
    the fit (as a dict); its warning, if any, is printed on stderr with the command's output
    (:func:`_history_json`, :func:`_history_text`), so that an error stays one line."""
    from routerisk.supply.routing import risk_network

    files = tuple(args.incidents) if args.incidents else None
    model, note = _fitted(args.as_of, files)
    G = risk_network(model=model, horizon_days=args.horizon_days)
    G.graph["history"] = note.to_dict()
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
def _fmt(v, spec: str = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if spec:
        return format(v, spec)
    return str(v)


def table(rows: list[dict], columns: list[tuple[str, str, str]]) -> str:
    """Plain-text table: columns are (key, header, format spec)."""
    cells = [[h for _, h, _ in columns]]
    for row in rows:
        cells.append([_fmt(row.get(k), f) for k, _, f in columns])
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = []
    for j, r in enumerate(cells):
        parts = []
        for i, c in enumerate(r):
            left = i == 0 or columns[i][2] == ""
            parts.append(c.ljust(widths[i]) if left else c.rjust(widths[i]))
        lines.append("  ".join(parts).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _header(G) -> str:
    return (f"risk over {G.graph.get('risk_horizon_days', float('nan')):g} days as of "
            f"{G.graph.get('risk_as_of', '?')}")


def _assumption_lines(assumptions: dict, notes: list[str]) -> list[str]:
    lines = []
    if assumptions:
        lines.append("\nAssumptions in use:")
        lines += [f"  [{k}] {' '.join(v.split())}" for k, v in assumptions.items()]
    if notes:
        lines.append("\nNotes:")
        lines += [f"  - {n}" for n in notes]
    return lines


# --------------------------------------------------------------------------- commands
def cmd_exposure(args: argparse.Namespace) -> int:
    from routerisk.supply.criticality import criticality
    from routerisk.supply.exposure import exposure

    spec = _spec(args)
    G = risk_graph(args)
    ex = exposure(G, spec, top_segments=args.top)
    crit = criticality(G, spec, paths=ex.paths) if args.criticality else None
    if args.json:
        out = {"as_of": G.graph.get("risk_as_of"), **_history_json(G), **ex.to_dict()}
        if crit is not None:
            out["criticality"] = crit.to_dict(top=args.top)
        print_json(out)
        return 0
    rows = [{**r, "share_pct": fmt_percent(r["share"]), "p_pct": fmt_percent(r["p_disrupt"])}
            for r in ex.routes.reset_index().to_dict("records")]
    lines = [f"Fuel-import exposure — {_header(G)}", *_history_text(G), "",
             table(rows, [("route", "route", ""), ("share_pct", "share", ">"),
                          ("border", "border crossing", ""), ("length_km", "km", ".0f"),
                          ("travel_time_h", "hours", ".1f"), ("mu", "exp. incidents", ".3f"),
                          ("p_pct", "P(disruption)", ">")]),
             "",
             f"Expected share of fuel volume whose route is disrupted (Σ share × P): "
             f"{fmt_percent(ex.expected_share_disrupted)}", "",
             f"Road links carrying the most volume-weighted risk (Σ share × mu), top {args.top}:",
             table(ex.segments.to_dict("records"),
                   [("label", "link", ""), ("length_km", "km", ".0f"),
                    ("mu", "exp. incidents", ".3f"), ("share_using", "share using", ".3f"),
                    ("volume_risk", "Σ share×mu", ".4f"), ("routes", "routes", "")])]
    if crit is not None:
        lines += ["", f"Criticality: links whose loss cuts off or diverts the most fuel volume "
                  f"(top {args.top}; {crit.n_reroutes} reroutes):",
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
    from routerisk.supply.scenario_spec import load_presets
    from routerisk.supply.scenarios import run_scenario

    presets = load_presets()
    if args.list:
        return _list_presets(presets, args.json)
    scenario = _scenario_from_args(args, presets)
    if scenario.is_empty:
        raise SpecError("no closure given: name a PRESET (see --list) or use --blockade, "
                        "--close-road or --ban")
    spec = _spec(args)
    from routerisk.supply.scenarios import resolve_closures

    G = risk_graph(args)
    closures = resolve_closures(G, scenario, presets=presets, catalogue=load_catalogue(),
                                strict=args.strict)
    res = run_scenario(G, scenario, spec, presets=presets, strict=args.strict,
                       closures=closures)
    if args.json:
        print_json({"as_of": G.graph.get("risk_as_of"), **_history_json(G), **res.to_dict(G)})
        return 0
    lines = [f"Scenario {scenario.name}: {scenario.title or 'custom closures'} — {_header(G)}"]
    lines += _history_text(G)
    lines += [f"  source: {s}" for s in scenario.sources]
    lines.append("\nClosures:")
    for c in res.closures:
        d = c.to_dict(G)
        lines.append(f"  - {c.kind} {c.target}: {c.detail}; {d['pieces_closed']} road pieces "
                     f"on {d['links_closed']} links"
                     + (f" ({'; '.join(d['roads'])})" if d["roads"] else "")
                     + (f"; hits {', '.join(c.routes_hit)}" if c.routes_hit
                        else "; hits no import route"))
    if scenario.bans:
        lines.append(f"  - ban on fuel imports from {', '.join(scenario.bans)}")
    rows = []
    for r in res.routes.reset_index().to_dict("records"):
        rows.append({**r, "share_pct": fmt_percent(r["share"]), "p0": fmt_percent(r["p_disrupt"]),
                     "p1": fmt_percent(r["new_p_disrupt"])})
    lines += ["", table(rows, [("route", "route", ""), ("share_pct", "share", ">"),
                               ("status", "status", ""), ("length_km", "km", ".0f"),
                               ("new_length_km", "new km", ".0f"),
                               ("detour_km", "detour km", "+.0f"),
                               ("detour_h", "detour h", "+.1f"), ("p0", "P before", ">"),
                               ("p1", "P after", ">"), ("cut_by", "hit by", "")])]
    for r in rows:
        if r["status"] == "detour" and r["new_towns"]:
            lines.append(f"  {r['route']} detours via: {r['new_towns']}")
    lines += ["",
              f"Share of fuel volume cut off:     {fmt_percent(res.share_cut)}",
              f"Share that must detour:           {fmt_percent(res.share_detour)}",
              f"Share still arriving:             {fmt_percent(res.share_reaching)}",
              f"Expected share disrupted (Σ share × P), baseline → scenario: "
              f"{fmt_percent(res.expected_share_disrupted_baseline)} → "
              f"{fmt_percent(res.expected_share_disrupted)} (cut routes not counted)"]
    if res.warnings:
        lines.append("\nWarnings:")
        lines += [f"  ! {w}" for w in res.warnings]
    lines += _assumption_lines(res.assumptions, res.notes)
    print("\n".join(lines))
    return 0


def cmd_route(args: argparse.Namespace) -> int:
    from routerisk.supply.routing import DEFAULT_RISK_AVERSION_H, route

    alpha = DEFAULT_RISK_AVERSION_H if args.risk_aversion is None else args.risk_aversion
    G = risk_graph(args)
    res = route(G, args.origin, args.destination, risk_aversion=alpha,
                alternatives=args.alternatives)
    if args.json:
        print_json({"as_of": G.graph.get("risk_as_of"), **_history_json(G), **res.to_dict()})
        return 0

    def row(label, opt):
        m = opt.metrics
        out = {"route": label, "km": m.length_km, "h": m.travel_time_h, "mu": m.mu,
               "p": fmt_percent(m.p_disrupt), "towns": _short(m.towns)}
        if opt.alpha_range is not None:
            lo, hi = opt.alpha_range
            out["alpha"] = f"{_num(lo)}–{'∞' if math.isinf(hi) else _num(hi)}"
        return out

    rows = [row("fastest", res.fastest), row("safest", res.safest),
            row(f"recommended (α={alpha:g})", res.recommended)]
    cols = [("route", "route", ""), ("km", "km", ".0f"), ("h", "hours", ".1f"),
            ("mu", "exp. incidents", ".3f"), ("p", "P(disruption)", ">"),
            ("towns", "via", "")]
    lines = [f"Routes {res.origin} → {res.destination} — {_header(G)}", *_history_text(G), "",
             table(rows, cols),
             "", "Time–risk trade-off (routes minimising hours + α × expected incidents; "
             "α in hours per incident):",
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
