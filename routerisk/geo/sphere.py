"""Great-circle distances on the sphere: the one implementation routerisk uses.

Every distance between two lon/lat points — snapping a place to a road, deduplicating
incidents, geocoding ambiguity — is :func:`great_circle_km` (haversine on the IUGG mean
radius); k-d trees of points on the unit sphere turn chord lengths into the same distance
with :func:`chord_to_km`.
"""

from __future__ import annotations

import numpy as np

#: Earth radius (km) of the spherical projection and of great-circle distances (IUGG mean
#: radius).
EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle (haversine) distance in km; arguments in degrees, broadcastable."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(a, dtype=float))
                              for a in (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return EARTH_RADIUS_KM * 2 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def unit_vectors(lon, lat) -> np.ndarray:
    """Points (degrees) on the unit sphere, rows ``(x, y, z)``: for chord-distance k-d trees."""
    lam, phi = np.radians(np.asarray(lon, float)), np.radians(np.asarray(lat, float))
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def chord_to_km(chord) -> np.ndarray:
    """Great-circle km from the chord length between two unit vectors."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord, float) / 2.0, 0.0, 1.0))
