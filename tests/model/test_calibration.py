"""Route calibration learnt on the study network from the shared ACLED file: it rests on
five years of route-windows, follows a route's own risk, and each route corrects it from
its own history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerisk.model.calibration import (
    RouteHistory,
    expit,
    fit_route_terms,
    n_prior_windows,
    route_incidence,
)
from routerisk.model.hazard import HazardModel
from routerisk.model.lines import edge_lines, subset_lines
from routerisk.model.routes import corridor_routes


@pytest.fixture(scope="module")
def model_2018(study_network, acled_frame):
    return HazardModel(horizon_days=30).fit(acled_frame, as_of="2018-01-01", G=study_network)


def test_the_calibration_rests_on_five_years_of_random_routes_and_corridors(model_2018):
    p = model_2018.params_used()
    assert p["route_calibration_basis"] == "random routes and 5 corridors"
    latest = pd.Timestamp("2018-01-01") - pd.Timedelta(days=30)
    oldest = latest - pd.Timedelta(days=59 * 30)
    assert p["route_origins"] == [oldest.date().isoformat(), latest.date().isoformat()]
    assert p["n_route_windows"] % 60 == 0 and p["n_route_windows"] >= 60 * 250
    assert n_prior_windows(30) == 60 and n_prior_windows(365) == 5


def test_route_probability_follows_the_route_s_own_risk(model_2018):
    # a quiet 210 km route (0.023 expected incidents in 30 days, never disrupted before)
    # against a 1,400 km corridor with mu 1.5 disrupted in 30 % of its past windows
    quiet = model_2018.route_probability(0.023, 210.0, RouteHistory.shared(0.0))[0]
    busy = model_2018.route_probability(1.5, 1400.0, RouteHistory.shared(0.3))[0]
    assert quiet < 0.05
    assert 0.1 < busy < -np.expm1(-1.5)        # below the independence formula's 0.78
    mus = np.array([0.01, 0.1, 0.5, 1.0, 3.0])
    ps = model_2018.route_probability(mus, np.full(5, 500.0), RouteHistory.shared(0.2))
    assert np.all(np.diff(ps) > 0)


def test_route_incidence_sums_pieces_and_flags_any_hit():
    M = route_incidence([np.array([0, 2]), np.array([1, 2, 3])], 4)
    assert (M @ np.array([0.1, 0.2, 0.3, 0.4])).tolist() == pytest.approx([0.4, 0.9])
    assert ((M @ np.array([0, 0, 0, 1])) > 0).tolist() == [False, True]


def test_each_route_learns_from_its_own_windows_how_far_to_follow_the_shared_signal():
    # three routes over 3,000 windows with the same shared log-odds g: the first is
    # disrupted as g says, the second at a fixed 30 % whatever g says, the third twice as
    # often as g says at every window
    rng = np.random.default_rng(1)
    g = rng.normal(-1.0, 1.0, 3000)
    q_third = expit(g + np.log(2.0))
    y = np.vstack([rng.random(3000) < expit(g), rng.random(3000) < 0.3,
                   rng.random(3000) < q_third]).astype(int)
    offset, slope, mean = fit_route_terms(np.vstack([g, g, g]), y)
    assert abs(offset[0]) < 0.15 and abs(slope[0]) < 0.15      # the shared signal holds
    assert slope[1] == pytest.approx(-1.0, abs=0.1)              # flat: g told nothing
    hist = RouteHistory(np.zeros(3), offset, slope, mean, y.mean(axis=1), 3000)
    flat = expit(hist.adjust(np.vstack([g, g, g]).T).T[1])
    assert flat.mean() == pytest.approx(0.3, abs=0.02) and flat.std() < 0.05
    assert offset[2] == pytest.approx(np.log(2.0), abs=0.2) and abs(slope[2]) < 0.15
    # a strong prior keeps every route on the shared calibration
    o_strong, s_strong, _ = fit_route_terms(np.vstack([g, g, g]), y, prior=1e9)
    assert np.abs(o_strong).max() < 1e-4 and np.abs(s_strong).max() < 1e-4


def test_a_corridor_s_history_damps_its_month_to_month_signal(model_2018, study_network):
    # the five corridors are disrupted through Bamako's sporadic incidents: over 2013-17
    # their predicted month-to-month swings did not tell which months were disrupted, so
    # each follows them less than the shared calibration does (slope < 0)
    el = edge_lines(study_network)
    lines, length_km = el.undirected_lines()
    routes = corridor_routes(study_network, list(el.index), el.undirected())
    hist = model_2018.route_history(lines, length_km, list(routes.values()))
    assert hist.n_windows == 60
    assert np.all(hist.slope < -0.2)
    assert np.all((hist.window_share > 0.15) & (hist.window_share < 0.5))
    # the same route given as its own lines has the same history
    r = routes["bamako-segou"]
    one = model_2018.route_history(subset_lines(lines, r), length_km[r])
    i = list(routes).index("bamako-segou")
    for name in ("share", "offset", "slope", "mean_logit", "window_share"):
        assert getattr(one, name)[0] == pytest.approx(getattr(hist, name)[i], rel=1e-9)


def test_features_at_many_days_are_the_features_at_each_day(model_2018, study_network):
    # the route history takes a route's features at its 60 windows in one pass; they must
    # be the numbers the single-day path (the one every forecast uses) gives
    from routerisk.model.features import feature_space

    el = edge_lines(study_network)
    lines, length_km = el.undirected_lines()
    r = corridor_routes(study_network, list(el.index), el.undirected())["bamako-segou"]
    space = feature_space(subset_lines(lines, r), length_km[r], model_2018.history_,
                          radius_km=10.0, precision_spread=True, kernel="gaussian")
    days = [16000.0, 16730.5, 17500.0]
    together = space.at_days(days)
    assert together.shape == (3, len(r), len(model_2018.feature_names_))
    for d, X in zip(days, together, strict=True):
        np.testing.assert_allclose(X, space.at(d), rtol=1e-12, atol=1e-12)
    # the route's history moves its features: recent violence near Bamako in some windows
    assert np.ptp(together[:, :, 0], axis=0).max() > 0
