"""Tests of the hazard model and its geometry (synthetic data; one real-data fit)."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from routerisk.errors import RouteRiskError, SpecError, ValidationError
from routerisk.geo.grid import Polylines, pairs_within, point_polyline_distance_km
from routerisk.geo.projection import lonlat_to_km
from routerisk.geo.sphere import great_circle_km
from routerisk.incidents.schema import Incident, incidents_to_frame
from routerisk.model.hazard import HazardModel
from routerisk.model.kernels import DEFAULT_SEVERITY, Severity, kernel_sum, kernel_values
from routerisk.model.lines import edge_lines


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
    pi, li, d = pairs_within(lines, px, py, radius, n_jobs=2)
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


# --- the estimator ------------------------------------------------------------------------

def test_raw_hazard_of_one_incident_is_the_kernel_formula():
    G = one_road()
    lat_off = 12.0 + 3.0 / 110.6          # about 3 km north of the road
    df = incidents_to_frame([incident(1, "2017-01-01", lat_off, -7.5, fatalities=4,
                                      event_type="ied", precision=2.0)])
    m = HazardModel(bandwidth_km=5.0, half_life_days=100.0, tune=False).fit(
        df, as_of="2017-04-11", G=G)
    x, y = lonlat_to_km(np.array([-7.5]), np.array([lat_off]))
    lines = edge_lines(G).lines
    d = point_polyline_distance_km(x[0], y[0], lines, 0)
    h = math.sqrt(5.0 ** 2 + 2.0 ** 2)
    w = 1.5 * (1 + 0.3 * math.log1p(4))                 # ied, unknown target, 4 deaths
    decay = 0.5                                         # 100 days = one half-life
    want = w * decay * (5.0 / h) * math.exp(-d * d / (2 * h * h))
    assert m.raw_hazard(G).iloc[0] == pytest.approx(want, rel=1e-6)  # sources at 1 mm


def test_fit_returns_self_with_fitted_attributes(grid_graph, synthetic_incidents):
    G = grid_graph()
    m = HazardModel(bandwidth_grid_km=(5, 10), half_life_grid_days=(180, 365))
    assert m.fit(synthetic_incidents(), as_of="2017-06-01", G=G) is m
    for name in ("bandwidth_km_", "half_life_days_", "scale_", "baseline_rate_per_km_yr_",
                 "cv_scores_", "cv_origins_", "as_of_", "n_incidents_"):
        assert hasattr(m, name)
    assert len(m.cv_scores_) == 4
    assert m.bandwidth_km_ in (5, 10) and m.half_life_days_ in (180, 365)
    assert len(m.cv_origins_) == 3
    assert all(o < pd.Timestamp("2017-06-01") for o in m.cv_origins_)
    best = m.cv_scores_["cv_loglik"].max()
    chosen = m.cv_scores_[(m.cv_scores_.bandwidth_km == m.bandwidth_km_)
                          & (m.cv_scores_.half_life_days == m.half_life_days_)]
    assert chosen["cv_loglik"].iloc[0] == best
    assert m.scale_ > 0
    # the constructor parameters are untouched
    assert m.bandwidth_km == 5.0 and m.half_life_days == 730.0


def test_fit_is_deterministic(grid_graph, synthetic_incidents):
    G = grid_graph()
    df = synthetic_incidents()
    a = HazardModel(bandwidth_grid_km=(5, 10)).fit(df, as_of="2017-06-01", G=G)
    b = HazardModel(bandwidth_grid_km=(5, 10)).fit(df, as_of="2017-06-01", G=G)
    pd.testing.assert_frame_equal(a.cv_scores_, b.cv_scores_)
    pd.testing.assert_series_equal(a.predict_rate(G), b.predict_rate(G))


def test_no_leak_incidents_on_or_after_as_of_change_nothing(grid_graph, synthetic_incidents):
    G = grid_graph()
    df = synthetic_incidents()
    as_of = pd.Timestamp("2016-01-01")
    past = df[df["date"] < as_of]
    future = df[df["date"] >= as_of]
    assert len(future) > 50
    # make the future loud: a burst of deadly ambushes right on as_of, far from the hotspot
    burst = incidents_to_frame([incident(f"F{i}", "2016-01-01", 12.45, -7.55,
                                         event_type="convoy_ambush", fatalities=50)
                                for i in range(30)])
    full = pd.concat([df, burst], ignore_index=True)
    a = HazardModel(bandwidth_grid_km=(5, 10)).fit(past, as_of=as_of, G=G)
    b = HazardModel(bandwidth_grid_km=(5, 10)).fit(full, as_of=as_of, G=G)
    assert b.n_ignored_after_as_of_ == len(future) + 30
    pd.testing.assert_frame_equal(a.cv_scores_, b.cv_scores_)
    pd.testing.assert_series_equal(a.predict_rate(G), b.predict_rate(G))


def test_default_as_of_is_the_day_after_the_latest_incident(grid_graph, synthetic_incidents):
    df = synthetic_incidents(n=120)
    m = HazardModel(tune=False).fit(df, G=grid_graph())
    assert m.as_of_ == df["date"].max() + pd.Timedelta(days=1)
    assert m.n_ignored_after_as_of_ == 0


def test_severity_weights_order_tanker_ambush_above_protest():
    G = one_road()
    ambush = incidents_to_frame([incident(1, "2017-01-01", 12.0, -7.5,
                                          event_type="convoy_ambush", target="fuel_tanker",
                                          fatalities=3)])
    protest = incidents_to_frame([incident(1, "2017-01-01", 12.0, -7.5,
                                           event_type="protest")])
    kw = dict(tune=False)
    ra = HazardModel(**kw).fit(ambush, as_of="2017-02-01", G=G).raw_hazard(G).iloc[0]
    rp = HazardModel(**kw).fit(protest, as_of="2017-02-01", G=G).raw_hazard(G).iloc[0]
    assert ra / rp == pytest.approx(2.0 * 2.0 * (1 + 0.3 * math.log1p(3)) / 0.1)
    ru = HazardModel(severity="uniform", **kw).fit(ambush, as_of="2017-02-01",
                                                   G=G).raw_hazard(G).iloc[0]
    assert ra / ru == pytest.approx(DEFAULT_SEVERITY.weights(ambush)[0])
    custom = Severity(event_type={"convoy_ambush": 7.0})
    rc = HazardModel(severity=custom, **kw).fit(ambush, as_of="2017-02-01",
                                                G=G).raw_hazard(G).iloc[0]
    assert rc / ru == pytest.approx(7.0)


def test_vague_location_spreads_weight_wider_and_lower():
    G = one_road()

    def raw(km_north, precision, spread=True):
        lat = 12.0 + km_north / 110.6
        df = incidents_to_frame([incident(1, "2017-01-01", lat, -7.5, precision=precision)])
        m = HazardModel(tune=False, precision_spread=spread).fit(df, as_of="2017-01-02", G=G)
        return m.raw_hazard(G).iloc[0]

    assert raw(0, 50.0) < raw(0, 2.0)           # lower at the road
    assert raw(30, 50.0) > raw(30, 2.0)         # wider: still felt 30 km away
    assert raw(30, 50.0, spread=False) == raw(30, 2.0, spread=False)


def test_time_decay_halves_at_one_half_life():
    G = one_road()
    df = incidents_to_frame([incident(1, "2016-01-01", 12.0, -7.5)])
    m1 = HazardModel(tune=False, half_life_days=200).fit(df, as_of="2016-07-19", G=G)
    m2 = HazardModel(tune=False, half_life_days=200).fit(df, as_of="2017-02-04", G=G)
    assert m2.raw_hazard(G).iloc[0] / m1.raw_hazard(G).iloc[0] == pytest.approx(0.5)


def test_without_validation_windows_the_stationary_scale_is_used():
    G = one_road()
    df = incidents_to_frame([incident(1, "2016-01-01", 12.0, -7.5)])
    m = HazardModel(half_life_days=365).fit(df, as_of="2016-02-01", G=G)
    assert m.cv_origins_ == [] and m.cv_scores_.empty
    assert m.scale_ == pytest.approx(math.log(2) * 365.25 / 365)


def test_bad_inputs_raise_routerisk_errors(grid_graph, synthetic_incidents):
    G = grid_graph()
    df = synthetic_incidents(n=50)
    with pytest.raises(ValidationError, match="missing column 'event_type'"):
        HazardModel().fit(df.drop(columns=["event_type"]), G=G)
    bad = df.copy()
    bad.loc[3, "latitude"] = 123.0
    with pytest.raises(ValidationError, match="row 3, 'latitude'"):
        HazardModel().fit(bad, G=G)
    with pytest.raises(SpecError, match="bandwidth_km"):
        HazardModel(bandwidth_km=-1).fit(df, G=G)
    with pytest.raises(SpecError, match="kernel"):
        HazardModel(kernel="box").fit(df, G=G)
    with pytest.raises(SpecError, match="as_of"):
        HazardModel().fit(df, as_of="not a date", G=G)
    with pytest.raises(RouteRiskError, match="not fitted"):
        HazardModel().predict_rate(G)


def test_epanechnikov_kernel_has_finite_support():
    d = np.array([0.0, 5.0, 11.0, 11.3])
    k = kernel_values(d, np.full(4, 5.0), 5.0, "epanechnikov")
    assert k[0] == 1.0 and k[1] == pytest.approx(0.8) and k[2] > 0 and k[3] == 0


# --- real data (ACLED, study network): one fit per session ----------------------------------

@pytest.fixture(scope="session")
def acled_model_2018(acled_frame, study_network):
    return HazardModel(bandwidth_grid_km=(5, 20), half_life_grid_days=(365, 730)).fit(
        acled_frame, as_of="2018-01-01", G=study_network)


def test_real_fit_on_acled(acled_model_2018, study_network):
    m = acled_model_2018
    assert m.n_incidents_ > 2000 and m.n_ignored_after_as_of_ > 2000
    assert [o.year for o in m.cv_origins_] == [2017, 2016, 2015]
    assert len(m.cv_scores_) == 4 and m.cv_scores_["cv_loglik"].notna().all()
    rate = m.predict_rate(study_network)
    assert rate.index.names == ["u", "v", "key"]
    assert len(rate) == study_network.number_of_edges()
    assert (rate > 0).all()
    # the Mopti/central Mali roads are far riskier than the Dakar end of the network
    el = edge_lines(study_network)
    x = np.array([shapely.get_coordinates(g)[:, 0].mean() for g in
                  (study_network.edges[k]["geometry"] for k in el.index)])
    assert rate[x > -5].mean() > 5 * rate[x < -15].mean()
