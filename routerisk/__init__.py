"""routerisk: disruption risk of road supply routes from incident history.

The package is one subpackage per pipeline stage, each importing only the stages before it:

- :mod:`routerisk.geo`: great circles, the projection, the grid index, the gazetteer;
- :mod:`routerisk.network`: road graphs, OSM building, segments, corridors, place naming;
- :mod:`routerisk.incidents`: the schema, one reader per source, deduplication;
- :mod:`routerisk.model`: the hazard model, segment and route risk, the backtest;
- :mod:`routerisk.supply`: routing, fuel-import exposure, scenarios, criticality;
- :mod:`routerisk.report`: the analyst report; :mod:`routerisk.cli`: the command line.

The most used functions are re-exported here and imported on first use, so
``import routerisk`` is fast::

    import routerisk as rr
    G = rr.load_study_network()
    model = rr.HazardModel(horizon_days=30).fit(rr.default_incidents(), G=G)
    risk = rr.segment_risk(G, model)                # a new frame; G is unchanged
    path = rr.corridor_route(G, rr.get_corridor("dakar-kayes-bamako"))
    print(rr.route_risk(G, path, model=model, horizon_days=30).p_disrupt)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

#: Public name → the module that defines it.
_EXPORTS: dict[str, str] = {
    "DataNotFoundError": "routerisk.errors",
    "GeocodeError": "routerisk.errors",
    "NodeNotFoundError": "routerisk.errors",
    "NoRouteError": "routerisk.errors",
    "RouteRiskError": "routerisk.errors",
    "SpecError": "routerisk.errors",
    "UnknownNameError": "routerisk.errors",
    "ValidationError": "routerisk.errors",
    "geocode": "routerisk.geo.gazetteer",
    "load_network": "routerisk.network.io",
    "load_study_network": "routerisk.network.io",
    "nearest_node": "routerisk.network.nodes",
    "graph_from_osm_file": "routerisk.network.osm",
    "graph_from_overpass": "routerisk.network.osm",
    "graph_from_pbf": "routerisk.network.osm",
    "segmentize": "routerisk.network.segments",
    "get_corridor": "routerisk.network.corridors",
    "load_corridors": "routerisk.network.corridors",
    "corridor_route": "routerisk.network.corridor_graph",
    "read_incidents": "routerisk.incidents.io",
    "load_catalogue": "routerisk.incidents.io",
    "default_incidents": "routerisk.incidents.io",
    "HazardModel": "routerisk.model.hazard",
    "segment_risk": "routerisk.model.risk",
    "route_risk": "routerisk.model.risk",
    "route": "routerisk.supply.routing",
    "load_routes": "routerisk.supply.fuel_routes",
    "exposure": "routerisk.supply.exposure",
    "load_presets": "routerisk.supply.scenario_spec",
    "run_scenario": "routerisk.supply.scenarios",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'routerisk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
