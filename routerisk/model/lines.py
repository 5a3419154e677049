"""The hazard model: a rate of disrupting incidents per km of road per year, as of a date.

For a road segment ``e`` of length ``L_e`` (km) the model predicts the yearly expected
number of disrupting incidents ``c_e`` and the rate ``rate_per_km_yr = c_e / L_e``::

    c_e = scale * M_e + baseline_rate_per_km_yr * L_e
    M_e = sum_i  w_i * decay(age_i) * K(d_ie; h_i)          (the "raw hazard", kernel mass)

- ``d_ie`` is the exact distance (km) from incident ``i`` to the segment's polyline (not
  its midpoint), computed in an azimuthal equidistant projection of the study area;
- ``K(d; h) = (b / h) * exp(-d^2 / (2 h^2))`` for ``d < 3 h`` (Gaussian profile, or an
  Epanechnikov profile), with ``h_i = sqrt(b^2 + p_i^2)`` where ``b`` is the bandwidth (km)
  and ``p_i`` the incident's location precision (km): a vague location spreads its weight
  wider and lower, keeping its mass across the road the same;
- ``decay(age) = exp(-ln 2 * age / half_life_days)`` with ``age`` in days before ``as_of``;
- ``w_i`` is the severity weight: event type x target x (1 + fatality_coef * ln(1 + deaths)).

"Disrupting incident" means a violent incident (:data:`routerisk.schema.VIOLENT_TYPES`)
within ``radius_km`` of the segment: that is what the scale is calibrated on and what the
backtest scores. Only incidents dated strictly before ``as_of`` are used.

``fit`` chooses the bandwidth and the half-life from grids, and fits ``scale`` and the
background rate, by rolling-origin time splits on the training incidents only: for each
forecast origin ``o`` (``as_of - k * horizon_days``), kernel masses are computed from the
incidents before ``o`` and scored against the violent incidents in ``[o, o + horizon)``
with the Poisson log-likelihood of "at least one incident" (``P = 1 - exp(-mu)``). The
scale and background are fitted on the other origins (leave one origin out), so every
validation score is out of sample."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely

from routerisk.errors import SpecError
from routerisk.geo.grid import Polylines

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EdgeLines:
    """The edges of a graph as polylines (km) with their road lengths."""

    index: pd.MultiIndex          #: (u, v, key)
    lines: Polylines
    length_km: np.ndarray         #: road length: edge ``length`` (m) / 1000, else geometry

    def undirected(self) -> np.ndarray:
        """Positions of one edge per two-way road piece (``u -> v`` and ``v -> u``)."""
        return undirected_positions(self.index)

    def undirected_lines(self) -> tuple[Polylines, np.ndarray]:
        """The polylines of :meth:`undirected` and their road lengths (km), in that order."""
        und = self.undirected()
        return (Polylines.from_arrays(*_subset_vertices(self.lines, und), len(und)),
                self.length_km[und])


def undirected_positions(index: Iterable[tuple[Any, Any, Any]]) -> np.ndarray:
    """Positions in a ``(u, v, key)`` sequence of one edge per two-way road piece.

    ``u -> v`` and ``v -> u`` with the same key count once; the first one met is kept.
    """
    seen: set[tuple[Any, Any, Any]] = set()
    keep = []
    for pos, (u, v, k) in enumerate(index):
        key = (u, v, k) if str(u) <= str(v) else (v, u, k)
        if key not in seen:
            seen.add(key)
            keep.append(pos)
    return np.asarray(keep, dtype=np.int64)


def edge_lines(G: nx.MultiDiGraph) -> EdgeLines:
    """The edges of ``G`` as polylines.

    Edges without ``geometry`` are the straight line between their nodes. ``length`` (m)
    gives the road length; without it the geometric length is used.

    Raises
    ------
    SpecError
        When the graph is not in EPSG:4326 or has no edges.
    """
    crs = str(G.graph.get("crs", "epsg:4326")).lower()
    if crs not in ("epsg:4326", "wgs84", "ogc:crs84"):
        raise SpecError(f"graph CRS must be EPSG:4326 (lon/lat); got {crs}")
    if G.number_of_edges() == 0:
        raise SpecError("the road graph has no edges")
    keys, geoms, lengths = [], [], []
    for u, v, k, data in G.edges(keys=True, data=True):
        geom = data.get("geometry")
        if geom is None:
            nu, nv = G.nodes[u], G.nodes[v]
            geom = shapely.LineString([(nu["x"], nu["y"]), (nv["x"], nv["y"])])
        keys.append((u, v, k))
        geoms.append(geom)
        lengths.append(data.get("length", np.nan))
    lines = Polylines.from_lonlat_geometries(geoms)
    length_km = np.asarray(lengths, dtype=float) / 1000.0
    geo_km = lines.lengths_km()
    length_km = np.where(np.isfinite(length_km) & (length_km > 0), length_km, geo_km)
    length_km = np.maximum(length_km, 1e-3)      # a zero-length edge still has 1 m
    index = pd.MultiIndex.from_tuples(keys, names=["u", "v", "key"])
    return EdgeLines(index, lines, length_km)


def _subset_vertices(lines: Polylines, keep: np.ndarray):
    counts = np.diff(lines.offsets)[keep]
    starts = lines.offsets[keep]
    idx = np.repeat(np.arange(len(keep)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    pos = np.repeat(starts, counts) + within
    return lines.x[pos], lines.y[pos], idx

