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
at about 200 ns per candidate pair on a million segments, too slow for the kernel sums; the
grid does the same job with dense numpy blocks.) :func:`pairs_within`, whose points each
have their own radius, evaluates only the pairs whose boxes come within that radius (an
``STRtree`` of the polylines' boxes) and computes each of them as its dense block would."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely

from routerisk.geo.projection import lonlat_to_km

#: Largest number of (sub-segment, point) elements computed in one dense numpy block.
_BLOCK_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class Polylines:
    """A set of polylines as flat vertex arrays in km.

    Attributes
    ----------
    x, y
        Vertex coordinates (km, study projection), all polylines concatenated.
    offsets
        ``offsets[i]:offsets[i+1]`` are the vertices of polyline ``i``; every polyline has
        at least one vertex (a single vertex is a point-like polyline).
    """

    x: np.ndarray
    y: np.ndarray
    offsets: np.ndarray

    @property
    def n(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def from_lonlat_geometries(cls, geoms: Sequence | np.ndarray) -> Polylines:
        """Build from shapely LineStrings in WGS84 degrees."""
        geoms = np.asarray(geoms, dtype=object)
        coords, index = shapely.get_coordinates(geoms, return_index=True)
        x, y = lonlat_to_km(coords[:, 0], coords[:, 1])
        return cls.from_arrays(x, y, index, len(geoms))

    @classmethod
    def from_arrays(cls, x: np.ndarray, y: np.ndarray, line_index: np.ndarray,
                    n: int) -> Polylines:
        """Build from vertex arrays (km) and the polyline index of each vertex (sorted)."""
        counts = np.bincount(np.asarray(line_index, dtype=np.int64), minlength=n)
        if (counts == 0).any():
            raise ValueError("every polyline needs at least one vertex")
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(np.asarray(x, dtype=float), np.asarray(y, dtype=float), offsets)

    def lengths_km(self) -> np.ndarray:
        """Length of every polyline (km, in the projection)."""
        seg = np.hypot(np.diff(self.x), np.diff(self.y))
        last = self.offsets[1:] - 1
        keep = np.ones(len(self.x) - 1, dtype=bool)
        keep[last[:-1]] = False          # the jump from one polyline to the next
        seg = np.where(keep, seg, 0.0)
        csum = np.concatenate([[0.0], np.cumsum(seg)])
        return csum[last] - csum[self.offsets[:-1]]


def point_polyline_distance_km(px: float, py: float, lines: Polylines, i: int) -> float:
    """Reference (slow) exact distance from one point to polyline ``i``; for tests."""
    xs = lines.x[lines.offsets[i]:lines.offsets[i + 1]]
    ys = lines.y[lines.offsets[i]:lines.offsets[i + 1]]
    if len(xs) == 1:
        return float(np.hypot(px - xs[0], py - ys[0]))
    return float(shapely.distance(shapely.Point(px, py),
                                  shapely.LineString(np.column_stack([xs, ys]))))


def _line_boxes(lines: Polylines):
    """Bounding boxes of the polylines: xmin, xmax, ymin, ymax."""
    starts = lines.offsets[:-1]
    return (np.minimum.reduceat(lines.x, starts), np.maximum.reduceat(lines.x, starts),
            np.minimum.reduceat(lines.y, starts), np.maximum.reduceat(lines.y, starts))


class _GridIndex:
    """Polylines bucketed in square cells, with their sub-segments stored cell by cell.

    Sub-segment ``a -> b`` is kept as ``a``, ``b - a`` and ``1 / |b - a|^2`` (0 for a
    zero-length piece, so the nearest point is ``a``); a one-vertex polyline is one
    zero-length sub-segment.
    """

    def __init__(self, lines: Polylines, reach_km: float) -> None:
        xmin, xmax, ymin, ymax = _line_boxes(lines)
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        ext = float((np.hypot(xmax - xmin, ymax - ymin) / 2).max())
        self.cell = max(float(reach_km) + ext, 1e-6)
        self.x0 = float(cx.min()) - self.cell
        self.y0 = float(cy.min()) - self.cell
        ix = np.floor((cx - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((cy - self.y0) / self.cell).astype(np.int64)
        self.ny = int(iy.max()) + 3
        key = ix * self.ny + iy
        order = np.argsort(key, kind="stable")
        self.order = order
        self.xmin, self.xmax = xmin[order], xmax[order]
        self.ymin, self.ymax = ymin[order], ymax[order]
        keys_sorted = key[order]
        self.cells, self.cstart = np.unique(keys_sorted, return_index=True)
        self.cend = np.append(self.cstart[1:], len(order))
        # sub-segments in sorted polyline order
        starts = lines.offsets[order]
        nverts = lines.offsets[order + 1] - starts
        nsub = np.maximum(nverts - 1, 1)
        self.sub_start = np.concatenate([[0], np.cumsum(nsub)]).astype(np.int64)
        total = int(self.sub_start[-1])
        within = np.arange(total) - np.repeat(self.sub_start[:-1], nsub)
        a = np.repeat(starts, nsub) + within
        b = a + (np.repeat(nverts, nsub) > 1)
        self.ax, self.ay = lines.x[a], lines.y[a]
        self.dx, self.dy = lines.x[b] - self.ax, lines.y[b] - self.ay
        len2 = self.dx * self.dx + self.dy * self.dy
        self.inv_len2 = np.divide(1.0, len2, out=np.zeros_like(len2), where=len2 > 0)
        self.simple = bool((nsub == 1).all())

    def point_keys(self, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        ix = np.floor((px - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((py - self.y0) / self.cell).astype(np.int64)
        inside = (ix >= -1) & (iy >= -1) & (iy <= self.ny)
        return np.where(inside, ix * self.ny + iy, -(10 ** 15))


def _sq_dist(ax, ay, dx, dy, inv, qx, qy) -> np.ndarray:
    """Squared distance (km^2) from every point to every sub-segment: (n_sub, n_points)."""
    ux = qx[None, :] - ax[:, None]
    uy = qy[None, :] - ay[:, None]
    t = ux * dx[:, None]
    t += uy * dy[:, None]
    t *= inv[:, None]
    np.clip(t, 0.0, 1.0, out=t)
    ux -= t * dx[:, None]
    uy -= t * dy[:, None]
    ux *= ux
    uy *= uy
    ux += uy
    return ux


def _cell_points(grid: _GridIndex, px: np.ndarray, py: np.ndarray, reach_km: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The points every cell of polylines is compared with: those in the 3 x 3 cells around
    it that come within ``reach_km`` of the box of its polylines.

    Returns ``(ptr, pts, qx, qy)``: the points of cell ``c`` are ``pts[ptr[c]:ptr[c + 1]]``
    (in key order, the order of the dense blocks' columns), ``qx``, ``qy`` their
    coordinates."""
    pkey = grid.point_keys(px, py)
    porder = np.argsort(pkey, kind="stable")
    pkeys_sorted = pkey[porder]
    ny = grid.ny
    # the 3 x 3 neighbourhood of a cell is three runs of 3 consecutive keys
    lo = np.stack([np.searchsorted(pkeys_sorted, grid.cells + d * ny - 1, side="left")
                   for d in (-1, 0, 1)], axis=1).ravel()
    hi = np.stack([np.searchsorted(pkeys_sorted, grid.cells + d * ny + 1, side="right")
                   for d in (-1, 0, 1)], axis=1).ravel()
    n_run = hi - lo
    first = np.cumsum(n_run) - n_run
    pos = np.repeat(lo - first, n_run) + np.arange(int(n_run.sum()))
    cell = np.repeat(np.arange(len(lo)) // 3, n_run)
    qx, qy = px[porder[pos]], py[porder[pos]]
    r = float(reach_km)
    ok = ((qx >= np.minimum.reduceat(grid.xmin, grid.cstart)[cell] - r)
          & (qx <= np.maximum.reduceat(grid.xmax, grid.cstart)[cell] + r)
          & (qy >= np.minimum.reduceat(grid.ymin, grid.cstart)[cell] - r)
          & (qy <= np.maximum.reduceat(grid.ymax, grid.cstart)[cell] + r))
    cell, pos, qx, qy = cell[ok], pos[ok], qx[ok], qy[ok]
    ptr = np.searchsorted(cell, np.arange(len(grid.cells) + 1))
    return ptr, porder[pos], qx, qy


def _cell_bounds(grid: _GridIndex, s: int, e: int, n_points: int) -> list[int]:
    """Polylines ``s:e`` (one cell, grid order) split so that each dense block of
    sub-segments x ``n_points`` stays within :data:`_BLOCK_ELEMENTS`."""
    max_rows = max(1, _BLOCK_ELEMENTS // n_points)
    bounds = [s]
    while bounds[-1] < e:
        nxt = int(np.searchsorted(grid.sub_start, grid.sub_start[bounds[-1]] + max_rows,
                                  side="right")) - 1
        bounds.append(min(e, max(nxt, bounds[-1] + 1)))
    return bounds


def _blocks(grid: _GridIndex, px: np.ndarray, py: np.ndarray, reach_km: float
            ) -> Iterator[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]]:
    """Blocks ``(a, b, point ids, their x, their y)``: polylines ``a:b`` in grid order are
    compared with those points (see :func:`iter_blocks`)."""
    if len(grid.cells) == 0:
        return
    ptr, pts_all, qx_all, qy_all = _cell_points(grid, px, py, reach_km)
    for c in np.flatnonzero(np.diff(ptr) > 0).tolist():
        p0, p1 = int(ptr[c]), int(ptr[c + 1])
        pts, qx, qy = pts_all[p0:p1], qx_all[p0:p1], qy_all[p0:p1]
        bounds = _cell_bounds(grid, int(grid.cstart[c]), int(grid.cend[c]), p1 - p0)
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            yield a, b, pts, qx, qy


def iter_blocks(lines: Polylines, px: np.ndarray, py: np.ndarray, reach_km: float, *,
                dtype: type = np.float64
                ) -> Iterator[tuple[np.ndarray, np.ndarray, Callable[[], np.ndarray]]]:
    """Yield blocks of (polyline ids, point ids, squared-distance thunk) covering every pair.

    Every (point, polyline) pair whose exact distance is below ``reach_km`` appears in
    exactly one block (pairs farther apart may appear too). The thunk computes the dense
    matrix of squared exact distances (km^2), shape (len(polyline ids), len(point ids)).
    With ``dtype=np.float32`` coordinates are taken relative to the block's first vertex
    before rounding, so distances keep centimetre resolution.
    """
    px = np.asarray(px, dtype=float)
    py = np.asarray(py, dtype=float)
    if lines.n == 0 or len(px) == 0:
        return
    grid = _GridIndex(lines, reach_km)
    for a, b, pts, qx, qy in _blocks(grid, px, py, reach_km):
        yield grid.order[a:b], pts, _thunk(grid, a, b, qx, qy, dtype)


def _thunk(grid: _GridIndex, a: int, b: int, qx: np.ndarray, qy: np.ndarray, dtype: type):
    def compute() -> np.ndarray:
        s0, s1 = int(grid.sub_start[a]), int(grid.sub_start[b])
        ox, oy = grid.ax[s0], grid.ay[s0]
        d2 = _sq_dist((grid.ax[s0:s1] - ox).astype(dtype), (grid.ay[s0:s1] - oy).astype(dtype),
                      grid.dx[s0:s1].astype(dtype), grid.dy[s0:s1].astype(dtype),
                      grid.inv_len2[s0:s1].astype(dtype), (qx - ox).astype(dtype),
                      (qy - oy).astype(dtype))
        if not grid.simple and s1 - s0 > b - a:
            d2 = np.minimum.reduceat(d2, grid.sub_start[a:b] - s0, axis=0)
        return d2
    return compute


def _n_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def map_blocks(lines: Polylines, px: np.ndarray, py: np.ndarray, reach_km: float,
               func: Callable[[np.ndarray, np.ndarray, np.ndarray], object],
               *, n_jobs: int | None = None, dtype: type = np.float64) -> list:
    """Apply ``func(polyline_ids, point_ids, sq_dist_km2)`` to every block, in threads.

    numpy releases the GIL in its array loops, so blocks run concurrently. Results come
    back in block order (deterministic).
    """
    jobs = _n_jobs() if n_jobs is None else n_jobs
    blocks = iter_blocks(lines, px, py, reach_km, dtype=dtype)
    if jobs == 1:
        return [func(lids, pts, thunk()) for lids, pts, thunk in blocks]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(lambda a, b, t: func(a, b, t()), lids, pts, thunk)
                   for lids, pts, thunk in blocks]
        return [f.result() for f in futures]


def pairs_within(lines: Polylines, px: np.ndarray, py: np.ndarray, radius_km: float | np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (point, polyline) pair closer than ``radius_km`` (per point or scalar).

    Only the pairs whose bounding boxes come within each point's own radius are evaluated
    (a shapely ``STRtree`` of the polylines' boxes finds them), so a few points of very
    wide reach do not make every point search that far. Each distance is computed exactly
    as the dense blocks of :func:`iter_blocks` compute it (float64, relative to the first
    vertex of the block the pair falls in), so the numbers do not depend on which pairs are
    evaluated.

    Returns
    -------
    point_idx, line_idx, dist_km
        Sorted by polyline then point; distances are exact (km).
    """
    px = np.asarray(px, dtype=float)
    py = np.asarray(py, dtype=float)
    radius = np.broadcast_to(np.asarray(radius_km, dtype=float), px.shape)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if len(px) == 0 or lines.n == 0:
        return empty
    grid = _GridIndex(lines, float(radius.max()))
    ptr, pts_all, _, _ = _cell_points(grid, px, py, float(radius.max()))
    n_pts = np.diff(ptr)
    if not n_pts.any():
        return empty
    # the cell of every polyline (grid order), and the first sub-segment of its dense block
    # (the origin its distances are taken from)
    cell_of = np.repeat(np.arange(len(grid.cells)), grid.cend - grid.cstart)
    origin = np.repeat(grid.sub_start[grid.cstart], grid.cend - grid.cstart)
    one_block = (grid.sub_start[grid.cend] - grid.sub_start[grid.cstart]
                 <= np.maximum(1, _BLOCK_ELEMENTS // np.maximum(n_pts, 1)))
    for c in np.flatnonzero(~one_block & (n_pts > 0)).tolist():
        bounds = _cell_bounds(grid, int(grid.cstart[c]), int(grid.cend[c]), int(n_pts[c]))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            origin[a:b] = grid.sub_start[a]
    member_keys = np.repeat(np.arange(len(grid.cells)), n_pts) * len(px) + pts_all
    member_keys.sort()
    # candidates: polyline boxes within each point's radius (a margin keeps the boundary)
    pad = radius + 1e-6 * (1.0 + radius)
    tree = shapely.STRtree(shapely.box(grid.xmin, grid.ymin, grid.xmax, grid.ymax))
    pj, pos = tree.query(shapely.box(px - pad, py - pad, px + pad, py + pad))
    keys = cell_of[pos] * len(px) + pj
    found = np.minimum(np.searchsorted(member_keys, keys), len(member_keys) - 1)
    keep = member_keys[found] == keys
    pj, pos = pj[keep], pos[keep]
    if len(pj) == 0:
        return empty
    # every sub-segment of every candidate, relative to its block's origin
    first = grid.sub_start[pos]
    nsub = grid.sub_start[pos + 1] - first
    starts = np.concatenate([[0], np.cumsum(nsub)[:-1]])
    rep = np.repeat(np.arange(len(pj)), nsub)
    sub = np.repeat(first - starts, nsub) + np.arange(len(rep))
    o = origin[pos][rep]
    ox, oy = grid.ax[o], grid.ay[o]
    q = pj[rep]
    d2 = _sq_dist_pairs(grid.ax[sub] - ox, grid.ay[sub] - oy, grid.dx[sub], grid.dy[sub],
                        grid.inv_len2[sub], px[q] - ox, py[q] - oy)
    if len(d2) > len(pj):
        d2 = np.minimum.reduceat(d2, starts)
    r = radius[pj]
    inside = d2 < r * r
    pi, li, d = pj[inside], grid.order[pos[inside]], np.sqrt(d2[inside])
    order = np.lexsort((pi, li))
    return pi[order].astype(np.int64), li[order].astype(np.int64), d[order]


def _sq_dist_pairs(ax, ay, dx, dy, inv, qx, qy) -> np.ndarray:
    """:func:`_sq_dist` for matched pairs (one sub-segment, one point each): the same
    operations in the same order, so the same numbers."""
    ux = qx - ax
    uy = qy - ay
    t = ux * dx
    t += uy * dy
    t *= inv
    np.clip(t, 0.0, 1.0, out=t)
    ux -= t * dx
    uy -= t * dy
    ux *= ux
    uy *= uy
    ux += uy
    return ux
