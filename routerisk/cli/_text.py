"""Plain-text output of the ``exposure``, ``scenario`` and ``route`` commands: tables, the
fuel supply block, the scenario report and the assumptions in use."""

from __future__ import annotations

import math

from routerisk._output import fmt_percent


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
def _supply_lines(summary: dict, title: str) -> list[str]:
    cover = summary.get("days_of_cover")
    rng = summary.get("days_of_cover_range") or [None, None]
    lost_rng = summary.get("tankers_lost_per_month_range")
    lines = [title,
             f"  arriving: {summary['arriving_m3_per_day']:,.0f} m³/day of "
             f"{summary['demand_m3_per_day']:,.0f} "
             f"({fmt_percent(summary['share_of_demand_arriving'])} of demand)",
             "  Bamako stock: " + (
                 "not drawn down (no shortfall)" if cover is None else
                 f"runs out in {cover:.1f} days (stock range: "
                 f"{_days(rng[0])}–{_days(rng[1])} days)")]
    if summary.get("fleet_tankers"):
        lines.append(f"  tanker fleet in service: {summary['fleet_tankers']:,.0f} tankers")
    if summary.get("extra_tanker_days_per_day"):
        lines.append(f"  extra tanker-days per day on detours (to keep the volume): "
                     f"{summary['extra_tanker_days_per_day']:+,.1f}")
    lost = f"  expected tankers lost per month: {summary['tankers_lost_per_month']:.2f}"
    if lost_rng:
        lost += f" (range {lost_rng[0]:.2f}–{lost_rng[1]:.2f} from the loss assumption)"
    lines.append(lost)
    return lines


def _days(v) -> str:
    return "∞" if v is None else f"{v:.1f}"


def scenario_lines(G, scenario, res, od, *, history: list[str] | None = None) -> list[str]:
    """The text report of a scenario (closures, routes, cut off and disrupted, supply,
    access to the regional towns, warnings, assumptions)."""
    from routerisk.supply.damage import places_cut_off

    lines = [f"Scenario {scenario.name}: {scenario.title or 'custom closures'} — {_header(G)}"]
    lines += list(history or [])
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
                               ("status", "status", ""), ("cost_h", "cost h", ".1f"),
                               ("new_cost_h", "new cost h", ".1f"),
                               ("detour_km", "detour km", "+.0f"),
                               ("detour_h", "detour h", "+.1f"),
                               ("m3_per_day_arriving", "m³/day arriving", ",.0f"),
                               ("extra_tanker_days_per_day", "extra tanker-days/day", "+.1f"),
                               ("p0", "P before", ">"), ("p1", "P on new road", ">"),
                               ("cut_by", "hit by", "")])]
    for r in rows:
        if r["status"] == "detour" and r["new_towns"]:
            lines.append(f"  {r['route']} detours via: {r['new_towns']}")
    lines += ["",
              f"Cut off (no route: banned or no open road): {fmt_percent(res.share_cut)} "
              "of import volume",
              f"Forced off its corridor (detour):           {fmt_percent(res.share_detour)}",
              f"Expected share disrupted, baseline → scenario: "
              f"{fmt_percent(res.expected_share_disrupted_baseline)} → "
              f"{fmt_percent(res.expected_share_disrupted)} (routes still arriving; a route "
              "forced off its corridor counts as disrupted; cut-off volume is counted above, "
              "not here)",
              f"  of which from incidents on the roads now used: "
              f"{fmt_percent(res.expected_share_disrupted_by_incidents)}", ""]
    lines += _supply_lines(res.supply_baseline, "Fuel supply before the scenario:")
    lines += _supply_lines(res.supply, "Fuel supply under the scenario:")
    lines += ["", "Access from Bamako to the regional towns (generalised cost):",
              table(od.to_dict("records"),
                    [("town", "town", ""), ("status", "status", ""),
                     ("cost_h", "cost h", ".1f"), ("new_cost_h", "new cost h", ".1f"),
                     ("extra_h", "extra h", "+.1f")])]
    cut_towns = places_cut_off(od)
    lines.append("Places cut off: " + (", ".join(cut_towns) if cut_towns else "none"))
    if res.warnings:
        lines.append("\nWarnings:")
        lines += [f"  ! {w}" for w in res.warnings]
    lines += _assumption_lines(res.assumptions, res.notes)
    return lines
