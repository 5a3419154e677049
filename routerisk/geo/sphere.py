"""Great-circle distances on the sphere: the one implementation routerisk uses.

Every distance between two lon/lat points — snapping a place to a road, deduplicating
incidents, geocoding ambiguity — is :func:`great_circle_km` (haversine on the IUGG mean
radius); nearest-point searches on the unit sphere (:class:`NearestOnSphere`) turn chord
lengths into the same distance with :func:`chord_to_km`.
"""

from __future__ import annotations

from collections.abc import Callable

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


class NearestOnSphere:
    """The nearest of fixed points on the unit sphere (rows of :func:`unit_vectors`) to a
    query point, by chord length.

    The first queries scan every point with numpy (tens of microseconds for thousands of
    points; no scipy import, which costs more than a command's few queries); the scan
    computes the chord exactly as ``scipy.spatial.cKDTree`` does, so it gives the same
    distance and point. From :data:`TREE_AFTER` queries on, and for a query whose nearest
    is tied (points at the same chord) unless the caller says the tied points are
    interchangeable, the k-d tree answers, as it always did.
    """

    #: Queries answered by scanning before the k-d tree is built.
    TREE_AFTER = 1000

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=float)
        self._tree = None
        self._scans = 0

    def query(self, q: np.ndarray, *, same: Callable[[int, int], bool] | None = None
              ) -> tuple[float, int]:
        """``(chord, index)`` of the nearest point to the unit vector ``q``.

        ``same(i, j)`` optionally tells that points ``i`` and ``j`` are interchangeable
        for the caller: a tie between such points is answered by the scan (with the
        first of them)."""
        q = np.asarray(q, dtype=float)
        if self._tree is None and self._scans < self.TREE_AFTER:
            self._scans += 1
            d = self.vectors - q
            d2 = d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] + d[:, 2] * d[:, 2]
            i = int(np.argmin(d2))
            tied = np.flatnonzero(d2 == d2[i])
            if len(tied) == 1 or (same is not None
                                  and all(same(i, int(j)) for j in tied[1:])):
                return float(np.sqrt(d2[i])), i
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(self.vectors)
        chord, i = self._tree.query(q)
        return float(chord), int(i)
