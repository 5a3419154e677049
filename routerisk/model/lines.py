"""The graph-to-polyline adapter: one polyline per road piece (both directions of a
two-way piece share one), for the hazard model, risk and the backtest."""

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
        return subset_lines(self.lines, und), self.length_km[und]


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


def subset_lines(lines: Polylines, keep: np.ndarray) -> Polylines:
    """The polylines at positions ``keep``, in that order."""
    return Polylines.from_arrays(*_subset_vertices(lines, np.asarray(keep)), len(keep))


def _subset_vertices(lines: Polylines, keep: np.ndarray):
    counts = np.diff(lines.offsets)[keep]
    starts = lines.offsets[keep]
    idx = np.repeat(np.arange(len(keep)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    pos = np.repeat(starts, counts) + within
    return lines.x[pos], lines.y[pos], idx

