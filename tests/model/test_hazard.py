"""Tests of the hazard model and its geometry (synthetic data; one real-data fit)."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import shapely

from routerisk.geo.grid import Polylines, pairs_within, point_polyline_distance_km
from routerisk.geo.projection import lonlat_to_km
from routerisk.geo.sphere import great_circle_km
from routerisk.incidents.schema import Incident
from routerisk.model.kernels import kernel_sum, kernel_values


def one_road(lon0=-8.0, lat=12.0, lon1=-7.0):
    """A single two-vertex road (and its reverse) along a parallel."""
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node("a", x=lon0, y=lat)
    G.add_node("b", x=lon1, y=lat)
    geom = shapely.LineString([(lon0, lat), (lon1, lat)])
    G.add_edge("a", "b", 0, geometry=geom, length=100_000.0)
    return G


def incident(i, date, lat, lon, *, event_type="clash", target="unknown", fatalities=0,
             precision=2.0):
    return Incident(incident_id=str(i), date=date, latitude=lat, longitude=lon,
                    event_type=event_type, target=target, fatalities=fatalities,
                    location_precision_km=precision, source="test")


# --- geometry -----------------------------------------------------------------------------

def test_projection_distances_match_great_circle_within_one_percent():
    lon = np.array([-17.4, -8.0, -5.5, 2.1, -11.4])
    lat = np.array([14.7, 12.65, 11.3, 13.5, 14.45])
    x, y = lonlat_to_km(lon, lat)
    for i in range(len(lon)):
        for j in range(i + 1, len(lon)):
            plane = math.hypot(x[i] - x[j], y[i] - y[j])
            sphere = great_circle_km(lat[i], lon[i], lat[j], lon[j])
            assert plane == pytest.approx(sphere, rel=0.01)


def test_pairs_within_matches_brute_force_exact_distances():
    rng = np.random.default_rng(3)
    n = 120
    nv = rng.integers(1, 6, n)
    idx = np.repeat(np.arange(n), nv)
    x = np.repeat(rng.uniform(0, 150, n), nv) + rng.normal(0, 4, len(idx))
    y = np.repeat(rng.uniform(0, 80, n), nv) + rng.normal(0, 4, len(idx))
    lines = Polylines.from_arrays(x, y, idx, n)
    px, py = rng.uniform(-10, 160, 200), rng.uniform(-10, 90, 200)
    radius = rng.uniform(2, 20, 200)
    pi, li, d = pairs_within(lines, px, py, radius)
    brute = np.array([[point_polyline_distance_km(px[j], py[j], lines, i) for j in range(200)]
                      for i in range(n)])
    bl, bp = np.nonzero(brute < radius[None, :])
    assert sorted(zip(pi.tolist(), li.tolist(), strict=True)) == sorted(
        zip(bp.tolist(), bl.tolist(), strict=True))
    np.testing.assert_allclose(d, brute[li, pi], atol=1e-9)


def test_distance_is_to_the_polyline_not_its_midpoint():
    # a 100 km road; an incident 1 km off its far end is 1 km from it, ~50 km from its middle
    lines = Polylines.from_arrays(np.array([0.0, 100.0]), np.array([0.0, 0.0]),
                                  np.array([0, 0]), 1)
    pi, li, d = pairs_within(lines, np.array([100.0]), np.array([1.0]), 5.0)
    assert d.tolist() == pytest.approx([1.0])


def test_kernel_sum_equals_dense_sum():
    rng = np.random.default_rng(5)
    n = 60
    idx = np.repeat(np.arange(n), 3)
    lines = Polylines.from_arrays(rng.uniform(0, 100, 3 * n), rng.uniform(0, 100, 3 * n), idx, n)
    sx, sy = rng.uniform(0, 100, 80), rng.uniform(0, 100, 80)
    w = rng.uniform(0, 2, 80)
    h = np.sqrt(5.0 ** 2 + rng.choice([2.0, 25.0], 80) ** 2)
    got = kernel_sum(lines, sx, sy, w, h, 5.0, n_jobs=1)
    dense = np.array([[point_polyline_distance_km(sx[j], sy[j], lines, i) for j in range(80)]
                      for i in range(n)])
    want = (kernel_values(dense, h[None, :], 5.0) * w[None, :]).sum(axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-9)   # float32 blocks
