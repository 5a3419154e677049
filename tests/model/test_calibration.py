"""Route calibration learnt on the study network from the shared ACLED file: it rests on
five years of route-windows and follows a route's own risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerisk.model.calibration import n_prior_windows, route_incidence
from routerisk.model.hazard import HazardModel


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
    quiet = model_2018.route_probability(0.023, 210.0, 0.0)[0]
    busy = model_2018.route_probability(1.5, 1400.0, 0.3)[0]
    assert quiet < 0.05
    assert 0.1 < busy < -np.expm1(-1.5)        # below the independence formula's 0.78
    mus = np.array([0.01, 0.1, 0.5, 1.0, 3.0])
    ps = model_2018.route_probability(mus, np.full(5, 500.0), np.full(5, 0.2))
    assert np.all(np.diff(ps) > 0)


def test_route_incidence_sums_pieces_and_flags_any_hit():
    M = route_incidence([np.array([0, 2]), np.array([1, 2, 3])], 4)
    assert (M @ np.array([0.1, 0.2, 0.3, 0.4])).tolist() == pytest.approx([0.4, 0.9])
    assert ((M @ np.array([0, 0, 0, 1])) > 0).tolist() == [False, True]
