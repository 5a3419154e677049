"""routerisk: disruption risk of road supply routes from incident history.

Stages, each one module (a module imports only stages before it):

- road networks: :mod:`routerisk.corridors`, :mod:`routerisk.network`,
  :mod:`routerisk.segments`, :mod:`routerisk.corridor_graph`;
- incidents: :mod:`routerisk.schema`, :mod:`routerisk.readers`, :mod:`routerisk.dedup`,
  :mod:`routerisk.gazetteer`;
- hazard and risk: :mod:`routerisk.hazard`, :mod:`routerisk.risk`, :mod:`routerisk.backtest`;
- fuel exposure and what-ifs: :mod:`routerisk.fuel`, :mod:`routerisk.scenarios`,
  :mod:`routerisk.criticality`, :mod:`routerisk.routing`;
- the analyst report: :mod:`routerisk.report`.

The most used functions are re-exported here (names that would shadow a submodule, such
as ``routerisk.backtest``, are not)::

    import routerisk as rr
    G = rr.load_study_network()
    model = rr.HazardModel().fit(rr.default_incidents(), G=G)
    risk = rr.segment_risk(G, model, horizon_days=30)
    path = rr.corridor_route(G, rr.get_corridor("dakar-kayes-bamako"))
    print(rr.route_risk(G, path, model=model, horizon_days=30).p_disrupt)
"""

__version__ = "0.1.0"

from routerisk.errors import (  # noqa: E402
    DataNotFoundError,
    GeocodeError,
    NodeNotFoundError,
    NoRouteError,
    RouteRiskError,
    SpecError,
    UnknownNameError,
    ValidationError,
)
from routerisk.geo.gazetteer import geocode
from routerisk.incidents.io import default_incidents, load_catalogue, read_incidents
from routerisk.model.hazard import HazardModel
from routerisk.model.risk import route_risk, segment_risk
from routerisk.network.corridor_graph import corridor_route
from routerisk.network.corridors import get_corridor, load_corridors
from routerisk.network.io import load_network, load_study_network
from routerisk.network.nodes import nearest_node
from routerisk.network.osm import graph_from_osm_file, graph_from_overpass, graph_from_pbf
from routerisk.network.segments import segmentize
from routerisk.supply.exposure import exposure
from routerisk.supply.fuel_routes import load_routes
from routerisk.supply.routing import route
from routerisk.supply.scenario_spec import load_presets
from routerisk.supply.scenarios import run_scenario

__all__ = [
    "__version__",
    "DataNotFoundError",
    "GeocodeError",
    "HazardModel",
    "NoRouteError",
    "NodeNotFoundError",
    "RouteRiskError",
    "SpecError",
    "UnknownNameError",
    "ValidationError",
    "corridor_route",
    "default_incidents",
    "exposure",
    "geocode",
    "get_corridor",
    "graph_from_osm_file",
    "graph_from_overpass",
    "graph_from_pbf",
    "load_catalogue",
    "load_corridors",
    "load_network",
    "load_presets",
    "load_routes",
    "load_study_network",
    "nearest_node",
    "read_incidents",
    "route",
    "route_risk",
    "run_scenario",
    "segment_risk",
    "segmentize",
]
