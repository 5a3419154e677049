"""``routerisk corridors``, ``routerisk network info`` and ``routerisk network build``.

* ``routerisk corridors [--file PATH] [--json]`` — the named corridors and their waypoints.
* ``routerisk network info --corridor NAME [--network PATH] [--max-segment-km KM] [--json]``
  — size of the corridor on the default (study) network or on a GraphML file, and its
  fastest route through the waypoints (km, hours, towns passed).
* ``routerisk network build --corridor NAME (--osm-file PATH | --pbf-file PATH |
  --overpass) [--max-segment-km KM] [--refresh] [--cache-dir DIR] [--json]`` — build the
  corridor's graph from real OpenStreetMap data with osmnx, cache it under
  ``networks/cache/`` and print the same summary.
"""

from __future__ import annotations

import argparse

from routerisk._output import print_json
from routerisk.cli import _args, _model


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``corridors`` and ``network`` commands."""
    p = subparsers.add_parser("corridors", help="list the named road corridors",
                              description="List the named corridors and their waypoints.")
    p.add_argument("--file", metavar="PATH", default=None,
                   help="corridor file (default networks/corridors.toml)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_corridors)

    net = subparsers.add_parser("network", help="road network of a corridor: info, build",
                                description="Inspect or build corridor road networks.")
    sub = net.add_subparsers(dest="network_command", metavar="SUBCOMMAND", required=True)

    info = sub.add_parser("info", help="corridor size and fastest route on a road network",
                          description="Nodes, edges, segments and total km of a corridor, "
                                      "and its fastest route through the waypoints.")
    info.add_argument("--corridor", required=True, metavar="NAME",
                      help="corridor name (see 'routerisk corridors')")
    _model.add_network_option(info)
    info.add_argument("--max-segment-km", type=_args.km, default=10.0, metavar="KM",
                      help="cut roads into pieces of at most KM km (default 10)")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=cmd_info)

    build = sub.add_parser("build", help="build and cache a corridor graph from OSM data",
                           description="Build a corridor's road graph from OpenStreetMap "
                                       "data (drivable major roads) and cache it as GraphML "
                                       "under networks/cache/.")
    build.add_argument("--corridor", required=True, metavar="NAME",
                       help="corridor name (see 'routerisk corridors')")
    src = build.add_mutually_exclusive_group(required=True)
    src.add_argument("--osm-file", metavar="PATH", help=".osm or .osm.bz2 OSM XML file")
    src.add_argument("--pbf-file", metavar="PATH", help=".osm.pbf extract (read with osmium)")
    src.add_argument("--overpass", action="store_true",
                     help="download the corridor's roads from the Overpass API (internet)")
    build.add_argument("--max-segment-km", type=_args.km, default=10.0, metavar="KM",
                       help="cut roads into pieces of at most KM km (default 10)")
    build.add_argument("--all-roads", action="store_true",
                       help="keep the full drivable network (adds unclassified, residential, "
                            "living streets) instead of motorway ... tertiary")
    build.add_argument("--out", metavar="FILE", default=None,
                       help="also write the corridor graph to FILE (.graphml), ready for "
                            "--network of every command")
    build.add_argument("--refresh", action="store_true", help="rebuild even when cached")
    build.add_argument("--cache-dir", metavar="DIR", default=None,
                       help="where built graphs are cached (default networks/cache)")
    build.add_argument("--json", action="store_true", help="print JSON")
    build.set_defaults(func=cmd_build)


def cmd_corridors(args: argparse.Namespace) -> int:
    """Print the corridors."""
    from routerisk.network.corridors import load_corridors

    corridors = load_corridors(args.file)
    if args.json:
        out = [c.model_dump() for c in corridors.values()]
        print_json(out)
        print()
        return 0
    rows = [("corridor", "buffer km", "waypoints", "route")]
    for c in corridors.values():
        rows.append((c.name, f"{c.buffer_km:g}", str(len(c.waypoints)),
                     " - ".join(w.name for w in c.waypoints)))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}")
    return 0


def _print_summary(summary: dict) -> None:
    r = summary["route"]
    lines = [
        f"corridor        {summary['corridor']} (buffer {summary['buffer_km']:g} km)",
    ]
    if summary.get("network"):
        lines.append(f"network         {summary['network']}")
    if summary.get("cache"):
        lines.append(f"cache           {summary['cache']}")
    lines += [
        f"nodes           {summary['nodes']:,}",
        f"edges           {summary['edges']:,} (directed)",
        f"segments        {summary['segments']:,} road pieces of at most "
        f"{summary['max_segment_km']:g} km ({summary['parent_edges']:,} road edges before "
        f"cutting)",
        f"total           {summary['total_km']:,.1f} km of road",
        f"fastest route   {r['from']} -> {r['to']}: {r['km']:,.1f} km, {r['hours']:.1f} h, "
        f"{r['segments']} segments",
        f"towns passed    {', '.join(r['towns']) or '-'}",
        f"waypoints       {', '.join(r['waypoints'])}",
    ]
    print("\n".join(lines))


def _emit(summary: dict, as_json: bool) -> None:
    if as_json:
        print_json(summary)
        print()
    else:
        _print_summary(summary)


def cmd_info(args: argparse.Namespace) -> int:
    """Summarise a corridor on the study network (or a GraphML file)."""
    from routerisk.network.corridor_graph import corridor_summary
    from routerisk.network.corridors import get_corridor
    from routerisk.network.io import default_network_path, load_study_network

    corridor = get_corridor(args.corridor)
    path = default_network_path(args.network)
    G = load_study_network(path, max_segment_m=args.max_segment_km * 1000)
    summary = corridor_summary(G, corridor)
    summary["network"] = str(path)
    summary["max_segment_limit_km"] = args.max_segment_km
    _emit(summary, args.json)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """Build (or reload) a corridor graph from OSM data and summarise it."""
    from routerisk.errors import SpecError
    from routerisk.network.corridor_graph import corridor_summary
    from routerisk.network.corridors import get_corridor
    from routerisk.network.io import load_any_graph, save_graph
    from routerisk.network.osm import build_corridor_network

    if args.out is not None and not args.out.lower().endswith(".graphml"):
        raise SpecError(f"--out {args.out}: the corridor graph is written as GraphML; "
                        "give a file name ending in .graphml")
    corridor = get_corridor(args.corridor)
    G = build_corridor_network(corridor, osm_file=args.osm_file, pbf_file=args.pbf_file,
                               overpass=args.overpass, refresh=args.refresh,
                               cache_dir=args.cache_dir,
                               roads="drive" if args.all_roads else "major")
    cache = G.graph.get("cache_path", "")
    if args.out is not None:
        from pathlib import Path

        out = Path(args.out)
        tmp = out.with_name(f".{out.name}.tmp")
        save_graph(G, tmp)
        tmp.replace(out)
    # the same clipping and cutting as every command applies to --network
    S = load_any_graph(args.out or cache, max_segment_m=args.max_segment_km * 1000)
    summary = corridor_summary(S, corridor)
    summary["cache"] = cache
    if args.out is not None:
        summary["network"] = args.out
    summary["max_segment_limit_km"] = args.max_segment_km
    _emit(summary, args.json)
    return 0
