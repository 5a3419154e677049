"""Cut road-graph edges into pieces of bounded length.

A trunk edge can be 300 km long; risk has to be located finer than that. :func:`segmentize`
replaces every edge longer than ``max_length_m`` by a chain of pieces joined at new nodes.
Each piece keeps a reference to the edge it came from (``parent_u``, ``parent_v``,
``parent_key``), its index along it (``piece``, 0-based from the parent's start) and the
distance of its start from the parent's start (``offset_m``).

Where the split points go: the parent geometry is measured along the WGS84 ellipsoid
(geodesic distances between consecutive vertices) and cut at equal fractions of that
length; inside one vertex-to-vertex stretch the cut is the point of the stretch whose
geodesic distance from the stretch's start is the remaining length (found by bisection),
so the pieces lie exactly on the parent polyline and have equal geodesic lengths. ``length``,
``travel_time`` and the other additive attributes are apportioned equally between the
pieces (the source distance is the road distance, longer than the simplified polyline, so
every piece carries ``length / n``).

The two directions of a two-way road (an edge ``u→v`` and an edge ``v→u`` whose geometry
is the same line reversed) are cut at the same points and share the new nodes, so the
segmented graph routes both ways over the same piece nodes."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Hashable
from functools import lru_cache

import networkx as nx
import numpy as np
from shapely.geometry import LineString

from routerisk.errors import ArgumentError, SpecError

log = logging.getLogger(__name__)


#: Default maximum piece length, metres.
DEFAULT_MAX_LENGTH_M = 10_000.0
#: Most road pieces :func:`segmentize` creates; a shorter piece length that would need more
#: is refused with the number it would create (the study network at 10 km: about 11,000).
MAX_SEGMENT_PIECES = 2_000_000


#: Edge attributes that add up along a road and are apportioned between pieces.
ADDITIVE_ATTRS: tuple[str, ...] = ("length", "travel_time", "total_time_min",
                                   "border_time_min")


#: Attributes describing the parent edge, written on every piece.
PARENT_ATTRS: tuple[str, ...] = ("parent_u", "parent_v", "parent_key", "piece", "offset_m")


@lru_cache(maxsize=1)
def _geod():
    """The WGS84 ellipsoid (pyproj imported on first use: a cached graph needs none)."""
    from pyproj import Geod

    return Geod(ellps="WGS84")


def geodesic_length_m(line: LineString) -> float:
    """Length of a WGS84 ``LineString`` (lon/lat) along the ellipsoid, in metres."""
    return float(_vertex_steps_m(np.asarray(line.coords)).sum())


def _vertex_steps_m(coords: np.ndarray) -> np.ndarray:
    if len(coords) < 2:
        return np.zeros(0)
    _, _, dist = _geod().inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    return np.abs(np.asarray(dist, dtype=float))


def _geodesic_fraction(start: np.ndarray, end: np.ndarray, along_m: np.ndarray,
                       iterations: int = 40) -> np.ndarray:
    """Fraction t of each straight lon/lat stretch start→end whose geodesic distance from
    ``start`` is ``along_m`` (bisection, vectorised; t is clipped to [0, 1])."""
    lo = np.zeros(len(start))
    hi = np.ones(len(start))
    d_end = start + (end - start)
    _, _, full = _geod().inv(start[:, 0], start[:, 1], d_end[:, 0], d_end[:, 1])
    target = np.minimum(np.asarray(along_m, dtype=float), np.abs(full))
    for _ in range(iterations):
        mid = (lo + hi) / 2
        pt = start + mid[:, None] * (end - start)
        _, _, dist = _geod().inv(start[:, 0], start[:, 1], pt[:, 0], pt[:, 1])
        below = np.abs(dist) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return np.clip((lo + hi) / 2, 0.0, 1.0)


def _edge_coords(G: nx.MultiDiGraph, u: Hashable, v: Hashable, data: dict) -> np.ndarray:
    """Edge polyline as an (n, 2) lon/lat array, ends pinned to the node coordinates."""
    geom = data.get("geometry")
    start = (G.nodes[u]["x"], G.nodes[u]["y"])
    end = (G.nodes[v]["x"], G.nodes[v]["y"])
    if geom is None:
        coords = np.array([start, end], dtype=float)
    else:
        coords = np.array(geom.coords, dtype=float)[:, :2]
        if len(coords) < 2:
            coords = np.array([start, end], dtype=float)
        coords[0] = start
        coords[-1] = end
    return coords


def split_polyline(coords: np.ndarray, n_pieces: int) -> list[np.ndarray]:
    """Cut a lon/lat polyline into ``n_pieces`` stretches of equal geodesic length.

    Parameters
    ----------
    coords
        (m, 2) array of lon, lat vertices, m >= 2.
    n_pieces
        Number of pieces, >= 1.

    Returns
    -------
    list of numpy.ndarray
        One (k, 2) array per piece; piece i ends at exactly the point where piece i+1
        starts, the first starts at ``coords[0]`` and the last ends at ``coords[-1]``.
    """
    if n_pieces <= 1:
        return [coords.copy()]
    steps = _vertex_steps_m(coords)
    cum = np.concatenate([[0.0], np.cumsum(steps)])
    total = cum[-1]
    if total > 0:
        targets = total * np.arange(1, n_pieces) / n_pieces
        idx = np.clip(np.searchsorted(cum, targets, side="right") - 1, 0, len(coords) - 2)
        frac = _geodesic_fraction(coords[idx], coords[idx + 1], targets - cum[idx])
    else:  # degenerate geometry: every vertex at one point
        idx = np.zeros(n_pieces - 1, dtype=int)
        frac = np.zeros(n_pieces - 1)
    cut_points = list(coords[idx] + frac[:, None] * (coords[idx + 1] - coords[idx]))
    cut_index = [int(i) for i in idx]  # the vertex index after which each cut point lies
    pieces = []
    start_pt, p = coords[0], 0  # current start and the vertex index it lies after
    ends = [*zip(cut_points, cut_index, strict=True), (coords[-1], len(coords) - 1)]
    for end_pt, i in ends:
        stop = i + 1 if i < len(coords) - 1 else len(coords) - 1
        inner = [c for c in coords[p + 1:stop]
                 if not (np.array_equal(c, start_pt) or np.array_equal(c, end_pt))]
        pieces.append(np.array([start_pt, *inner, end_pt], dtype=float))
        start_pt, p = end_pt, i
    return pieces


def _find_twin(G: nx.MultiDiGraph, u: Hashable, v: Hashable, coords: np.ndarray,
               done: set) -> Hashable | None:
    """Key of the edge v→u whose geometry is this one reversed (not yet processed)."""
    if u == v or not G.has_edge(v, u):
        return None
    rev = coords[::-1]
    for k2, d2 in G[v][u].items():
        if (v, u, k2) in done:
            continue
        c2 = _edge_coords(G, v, u, d2)
        if c2.shape == rev.shape and np.allclose(c2, rev, rtol=0, atol=1e-9):
            return k2
    return None


def _node_id_factory(G: nx.MultiDiGraph):
    ids = list(G.nodes)
    if ids and all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in ids):
        counter = iter(range(int(max(ids)) + 1, 2**62))
        return lambda u, v, k, j: next(counter)
    return lambda u, v, k, j: f"{u}|{v}|{k}|{j}"


def _piece_attrs(data: dict, *, n: int, j: int, parent: tuple, offset_m: float,
                 geometry: LineString) -> dict:
    attrs = {a: val for a, val in data.items() if a not in PARENT_ATTRS}
    for a in ADDITIVE_ATTRS:
        val = data.get(a)
        if isinstance(val, (int, float, np.number)) and not isinstance(val, bool):
            attrs[a] = float(val) / n
    if "length_geom_m" in data:
        attrs["length_geom_m"] = geodesic_length_m(geometry)
    attrs["geometry"] = geometry
    attrs["parent_u"], attrs["parent_v"], attrs["parent_key"] = parent
    attrs["piece"] = j
    attrs["offset_m"] = float(offset_m)
    return attrs


def segmentize(G: nx.MultiDiGraph, max_length_m: float = DEFAULT_MAX_LENGTH_M
               ) -> nx.MultiDiGraph:
    """Split every edge into pieces of at most ``max_length_m`` metres.

    Parameters
    ----------
    G
        Road graph (EPSG:4326) whose edges have ``length`` in metres and, where known,
        ``geometry`` oriented u→v (a straight line is used where it is missing).
    max_length_m
        Maximum piece length in metres (compared with the ``length`` attribute).

    Returns
    -------
    networkx.MultiDiGraph
        A new graph: the original nodes plus one new node per cut point (attributes
        ``x``, ``y``); every edge carries the parent's attributes with ``length``,
        ``travel_time``, ``total_time_min``, ``border_time_min`` divided equally, its own
        ``geometry`` and ``parent_u``, ``parent_v``, ``parent_key``, ``piece``,
        ``offset_m``. Edges not longer than the limit are kept as one piece (piece 0,
        offset 0). Segmenting an already segmented graph keeps the original parents.
        ``graph["max_segment_m"]`` records the limit.

    Raises
    ------
    SpecError
        When ``max_length_m`` is not positive or an edge has no usable ``length``.
    """
    if not (isinstance(max_length_m, (int, float)) and math.isfinite(max_length_m)
            and max_length_m > 0):
        raise SpecError(f"max_length_m must be a positive number of metres; got {max_length_m!r}")
    problems = []
    for u, v, k, d in G.edges(keys=True, data=True):
        length = d.get("length")
        if not isinstance(length, (int, float, np.number)) or not math.isfinite(length) \
                or length < 0:
            problems.append(f"edge ({u}, {v}, {k}): 'length' must be a non-negative number "
                            f"of metres; got {length!r}")
    if not problems:
        pieces = sum(max(1, math.ceil(float(d["length"]) / max_length_m))
                     for _, _, d in G.edges(data=True))
        if pieces > MAX_SEGMENT_PIECES:
            total_m = sum(float(d["length"]) for _, _, d in G.edges(data=True))
            least_km = total_m / MAX_SEGMENT_PIECES / 1000
            raise ArgumentError(
                f"a maximum piece length of {max_length_m / 1000:g} km would cut the network "
                f"into {pieces:,} pieces; at most {MAX_SEGMENT_PIECES:,} are allowed "
                f"(use --max-segment-km {least_km:.2g} or more)", option="--max-segment-km")
    if problems:
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise SpecError(f"cannot segmentize: {len(problems)} edge(s) without a length: "
                        f"{shown}{more}")

    H = nx.MultiDiGraph()
    H.graph.update(G.graph)
    H.graph["max_segment_m"] = float(max_length_m)
    H.add_nodes_from(G.nodes(data=True))
    new_id = _node_id_factory(G)
    done: set = set()
    n_split = 0

    def parent_of(u, v, k, d):
        if "parent_u" in d:
            return (d["parent_u"], d["parent_v"], d["parent_key"]), float(d.get("offset_m", 0.0))
        return (u, v, k), 0.0

    for u, v, k, d in G.edges(keys=True, data=True):
        if (u, v, k) in done:
            continue
        done.add((u, v, k))
        coords = _edge_coords(G, u, v, d)
        twin_key = _find_twin(G, u, v, coords, done)
        twin = G[v][u][twin_key] if twin_key is not None else None
        longest = max(float(d["length"]), float(twin["length"]) if twin is not None else 0.0)
        n = max(1, math.ceil(longest / max_length_m))
        if n == 1:
            parent, offset = parent_of(u, v, k, d)
            H.add_edge(u, v, key=k, **_piece_attrs(
                d, n=1, j=0, parent=parent, offset_m=offset, geometry=LineString(coords)))
            if twin is not None:
                done.add((v, u, twin_key))
                parent, offset = parent_of(v, u, twin_key, twin)
                H.add_edge(v, u, key=twin_key, **_piece_attrs(
                    twin, n=1, j=0, parent=parent, offset_m=offset,
                    geometry=LineString(coords[::-1])))
            continue
        n_split += 1
        pieces = split_polyline(coords, n)
        inner_nodes = [new_id(u, v, k, j) for j in range(1, n)]
        for node, piece in zip(inner_nodes, pieces[1:], strict=True):
            H.add_node(node, x=float(piece[0][0]), y=float(piece[0][1]))
        chain = [u, *inner_nodes, v]
        parent, offset0 = parent_of(u, v, k, d)
        step = float(d["length"]) / n
        for j, piece in enumerate(pieces):
            H.add_edge(chain[j], chain[j + 1], **_piece_attrs(
                d, n=n, j=j, parent=parent, offset_m=offset0 + j * step,
                geometry=LineString(piece)))
        if twin is not None:
            done.add((v, u, twin_key))
            parent, offset0 = parent_of(v, u, twin_key, twin)
            step = float(twin["length"]) / n
            rchain = chain[::-1]
            for j, piece in enumerate(reversed(pieces)):
                H.add_edge(rchain[j], rchain[j + 1], **_piece_attrs(
                    twin, n=n, j=j, parent=parent, offset_m=offset0 + j * step,
                    geometry=LineString(piece[::-1])))
    _renumber_pieces(H)
    log.info("segmented %d edges into %d pieces of at most %.1f km (%d edges split)",
             G.number_of_edges(), H.number_of_edges(), max_length_m / 1000, n_split)
    return H


def _renumber_pieces(H: nx.MultiDiGraph) -> None:
    """Make ``piece`` the 0-based rank of each piece along its parent, by ``offset_m``."""
    groups: dict[tuple, list[tuple[float, dict]]] = defaultdict(list)
    for _, _, d in H.edges(data=True):
        groups[(d["parent_u"], d["parent_v"], d["parent_key"])].append((d["offset_m"], d))
    for members in groups.values():
        members.sort(key=lambda m: m[0])
        for j, (_, d) in enumerate(members):
            d["piece"] = j


def road_pieces(G: nx.MultiDiGraph) -> list[tuple[Hashable, Hashable, Hashable]]:
    """One ``(u, v, key)`` per stretch of road: the two directions of a two-way road
    (``v→u`` with the reversed geometry of ``u→v``) count once, one-way edges count once."""
    done: set = set()
    kept = []
    for u, v, k, d in G.edges(keys=True, data=True):
        if (u, v, k) in done:
            continue
        done.add((u, v, k))
        twin = _find_twin(G, u, v, _edge_coords(G, u, v, d), done)
        if twin is not None:
            done.add((v, u, twin))
        kept.append((u, v, k))
    return kept
