"""The one place namer: a readable name for any point, from the gazetteer's cities and towns.

``PlaceNamer()(lon, lat)`` gives ``"Kayes"`` within :data:`EXACT_KM` of a town,
``"23 km from Kayes"`` up to :data:`MAX_KM`, and the coordinates beyond. Names are
Latin-script (the OSM ``name`` when it is, else ``name_en``), so Arabic-script names never
reach an English report. Every output that names a place — CLI, JSON, CSV, GeoPackage, the
report — goes through this class (graph nodes through
:func:`routerisk.network.naming.node_label`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from routerisk.geo.sphere import NearestOnSphere, chord_to_km, unit_vectors

log = logging.getLogger(__name__)

#: A point this close to a town is named by the town alone, km.
EXACT_KM = 5.0
#: Beyond this distance from every town a point is named by its coordinates, km.
MAX_KM = 50.0


def latin(text: object) -> bool:
    """Whether ``text`` is a non-empty name in Latin script (accents allowed)."""
    return isinstance(text, str) and bool(text.strip()) and all(
        ord(c) < 0x250 or not c.isalpha() for c in text)


@dataclass(frozen=True)
class Towns:
    """The gazetteer's cities and towns with a Latin-script name.

    ``rank`` orders them for display: cities before towns, then by population."""

    name: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    rank: np.ndarray


def towns(gazetteer: pd.DataFrame) -> Towns:
    """Cities and towns of a gazetteer frame (as from ``load_gazetteer``)."""
    big = gazetteer[gazetteer["place"].isin(["city", "town"])].drop_duplicates("osm_node_id")
    names = [n if latin(n) else (en if latin(en) else None)
             for n, en in zip(big["name"], big["name_en"], strict=True)]
    keep = np.array([n is not None for n in names], dtype=bool)
    big = big[keep]
    rank = (np.where(big["place"] == "city", 0.0, 1.0) * 1e9
            - pd.to_numeric(big["population"], errors="coerce").fillna(0).to_numpy(float))
    return Towns(np.array([n for n in names if n is not None], dtype=object),
                 big["lon"].to_numpy(float), big["lat"].to_numpy(float), rank)


@lru_cache(maxsize=1)
def default_towns() -> Towns | None:
    """Towns of the default gazetteer, or ``None`` (logged) when it cannot be found."""
    from routerisk.errors import RouteRiskError
    from routerisk.geo.gazetteer import load_gazetteer

    try:
        return towns(load_gazetteer())
    except RouteRiskError as exc:
        log.info("no gazetteer for place names (%s); using coordinates", exc)
        return None


class PlaceNamer:
    """Name points by the nearest gazetteer city or town.

    Parameters
    ----------
    gazetteer
        A gazetteer frame; default the shared gazetteer (coordinates only when absent).
    exact_km, max_km
        See :data:`EXACT_KM` and :data:`MAX_KM`.
    """

    def __init__(self, gazetteer: pd.DataFrame | None = None, *, exact_km: float = EXACT_KM,
                 max_km: float = MAX_KM) -> None:
        self.towns = towns(gazetteer) if gazetteer is not None else default_towns()
        self.exact_km, self.max_km = float(exact_km), float(max_km)
        self._tree = None
        if self.towns is not None and len(self.towns.name):
            self._tree = NearestOnSphere(unit_vectors(self.towns.lon, self.towns.lat))

    def __call__(self, lon: float, lat: float) -> str:
        """The name of the point (``lon``, ``lat``), degrees."""
        if self._tree is not None:
            names = self.towns.name
            chord, i = self._tree.query(unit_vectors([lon], [lat])[0],
                                        same=lambda a, b: names[a] == names[b])
            km = float(chord_to_km(chord))
            if km <= self.max_km:
                name = str(self.towns.name[int(i)])
                return name if km <= self.exact_km else f"{km:.0f} km from {name}"
        return f"{lat:.3f},{lon:.3f}"


@lru_cache(maxsize=1)
def default_namer() -> PlaceNamer:
    """The namer over the default gazetteer (built once)."""
    return PlaceNamer()
