"""The nearest-point search on the unit sphere answers exactly as scipy's k-d tree."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from routerisk.geo.sphere import NearestOnSphere, unit_vectors


def _points(rng, n):
    return unit_vectors(rng.uniform(-18, 5, n), rng.uniform(4, 25, n))


def test_scan_gives_the_tree_s_chord_and_point():
    rng = np.random.default_rng(7)
    pts = _points(rng, 3000)
    queries = np.vstack([_points(rng, 300), pts[:20]])  # also queries on the points
    search, tree = NearestOnSphere(pts), cKDTree(pts)
    for q in queries:
        chord, i = tree.query(q)
        assert search.query(q) == (float(chord), int(i))  # bit for bit
    assert search._tree is None                             # all answered by scanning


def test_ties_go_to_the_tree_unless_the_points_are_interchangeable():
    rng = np.random.default_rng(8)
    pts = _points(rng, 500)
    pts = np.vstack([pts, pts[10]])                         # point 500 duplicates point 10
    tree = cKDTree(pts)
    search = NearestOnSphere(pts)
    chord, i = tree.query(pts[10])
    assert search.query(pts[10]) == (float(chord), int(i))  # the tree decided the tie
    assert search._tree is not None
    same = NearestOnSphere(pts)
    got = same.query(pts[10], same=lambda a, b: {a, b} == {10, 500})
    assert got == (0.0, 10) and same._tree is None


def test_many_queries_switch_to_the_tree_with_the_same_answers():
    rng = np.random.default_rng(9)
    pts, queries = _points(rng, 200), _points(rng, 12)
    search, tree = NearestOnSphere(pts), cKDTree(pts)
    search.TREE_AFTER = 5
    answers = [search.query(q) for q in queries]
    assert search._tree is not None and search._scans == 5
    assert answers == [(float(c), int(i)) for c, i in (tree.query(q) for q in queries)]
