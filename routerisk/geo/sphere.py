"""Exact point-to-polyline distances in kilometres, with a grid spatial index; great-circle
distances.

Private plumbing for the hazard model and the backtest. Coordinates are projected from
WGS84 to a spherical azimuthal equidistant projection centred on the study area (lon
-6.65, lat 15.0), in kilometres; over the study area (about 2,000 km across) its scale
error stays under about 1 %, far below the location precision of incident data.

The index is a uniform grid of cells: polylines are bucketed by the centre of their
bounding box, points by their position, and every cell of polylines is compared densely
with the points of the neighbouring cells that can reach it. Inside a block the exact
distance from each point to each sub-segment is computed with numpy and reduced to the
minimum per polyline. Work therefore grows with the number of (point, polyline) pairs
within reach, not with the product of the two counts. (A shapely ``STRtree`` was measured
at about 200 ns per candidate pair on a million segments, too slow for the benchmark; the
grid does the same job with dense numpy blocks.)"""

from __future__ import annotations

import numpy as np

#: Earth radius (km) of the spherical projection and of great-circle distances (IUGG mean
#: radius).
EARTH_RADIUS_KM = 6371.0088


def central_angle(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle angle (radians) between points given in degrees (haversine, broadcastable).

    Multiply by a radius for a distance: :func:`great_circle_km`,
    :func:`routerisk.network.great_circle_m`.
    """
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(a, dtype=float))
                              for a in (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km; arguments in degrees, broadcastable."""
    return EARTH_RADIUS_KM * central_angle(lat1, lon1, lat2, lon2)

