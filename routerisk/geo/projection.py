"""The one planar projection routerisk uses, through pyproj.

A spherical azimuthal equidistant projection centred on the study area (lon −6.65,
lat 15.0), in kilometres (:data:`STUDY_CRS`). Distances from the centre are exact
great-circle distances; between two points of the study area (about 2,000 km across) the
scale error stays under about 1 %, far below the location precision of incident data.
Every planar computation — kernel distances, buffers, nearest roads, towns along a route —
goes through :func:`lonlat_to_km` / :func:`km_to_lonlat`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from routerisk.geo.sphere import EARTH_RADIUS_KM

#: Centre of the projection (middle of the study bounding box), degrees.
CENTER_LON = -6.65
CENTER_LAT = 15.0

#: PROJ string of the study projection (units: km). Also usable with geopandas ``to_crs``.
STUDY_CRS = (f"+proj=aeqd +lat_0={CENTER_LAT} +lon_0={CENTER_LON} +x_0=0 +y_0=0 "
             f"+R={EARTH_RADIUS_KM * 1000} +units=km +no_defs")


@lru_cache(maxsize=2)
def _transformer(inverse: bool):
    from pyproj import Transformer

    src, dst = ("EPSG:4326", STUDY_CRS) if not inverse else (STUDY_CRS, "EPSG:4326")
    return Transformer.from_crs(src, dst, always_xy=True)


def lonlat_to_km(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitude/latitude (degrees) to the study plane (km)."""
    x, y = _transformer(False).transform(np.asarray(lon, dtype=float),
                                         np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def km_to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`lonlat_to_km`: study-plane km to longitude/latitude (degrees)."""
    lon, lat = _transformer(True).transform(np.asarray(x, dtype=float),
                                            np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def projection_crs() -> str:
    """The PROJ string of the study projection (for geopandas)."""
    return STUDY_CRS


def to_km_geometry(geom: BaseGeometry) -> BaseGeometry:
    """A lon/lat shapely geometry in the study plane (km); an array of geometries gives an
    array (all projected in one call)."""
    return shapely.transform(geom, lambda xy: np.column_stack(lonlat_to_km(xy[:, 0], xy[:, 1])))


def to_lonlat_geometry(geom: BaseGeometry) -> BaseGeometry:
    """A study-plane (km) shapely geometry back in lon/lat."""
    return shapely.transform(geom, lambda xy: np.column_stack(km_to_lonlat(xy[:, 0], xy[:, 1])))


def distance_to_line_km(lon, lat, line: BaseGeometry) -> np.ndarray:
    """Planar distance (km) from each lon/lat point to a lon/lat geometry."""
    x, y = lonlat_to_km(lon, lat)
    return shapely.distance(shapely.points(np.column_stack([x, y])), to_km_geometry(line))
