"""routerisk: disruption risk of road supply routes from incident history.

Stages, each one module (a module imports only stages before it):
road networks (:mod:`routerisk.corridors`, :mod:`routerisk.network`,
:mod:`routerisk.segments`) → incidents (:mod:`routerisk.schema`,
:mod:`routerisk.readers`) → hazard (:mod:`routerisk.hazard`) → segment and route risk
(:mod:`routerisk.risk`) → exposure, scenarios, routing, reports.
"""

__version__ = "0.1.0"

from routerisk.errors import (  # noqa: E402
    DataNotFoundError,
    GeocodeError,
    RouteRiskError,
    SpecError,
    UnknownNameError,
    ValidationError,
)
from routerisk.gazetteer import geocode  # noqa: E402

__all__ = [
    "__version__",
    "DataNotFoundError",
    "GeocodeError",
    "RouteRiskError",
    "SpecError",
    "UnknownNameError",
    "ValidationError",
    "geocode",
]
