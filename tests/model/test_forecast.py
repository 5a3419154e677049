"""The forecasting model: features, the estimator contract, its state, coverage, the
rolling backtest's machinery, and the route calibration (synthetic data, known answers)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from conftest import _grid_graph, _synthetic_incidents
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from routerisk.errors import SpecError
from routerisk.incidents.schema import Incident, incidents_to_frame
from routerisk.model.calibration import (
    RouteHistory,
    fit_route_calibration,
    route_probability,
)
from routerisk.model.coverage import coverage_days
from routerisk.model.hazard import HazardModel
from routerisk.model.rolling import block_bootstrap, rolling_backtest, rolling_origins

KW = dict(horizon_days=90, n_origins=6, origin_step_days=90, n_routes=30)


def _quiet_and_hot(seed=0):
    """Four years of monthly violence at one corner of the grid, none elsewhere."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, day in enumerate(pd.date_range("2013-01-01", "2016-12-31", freq="7D")):
        rows.append(Incident(incident_id=f"h{k}", date=day.date(),
                             latitude=12.02 + rng.normal(0, 0.005),
                             longitude=-7.98 + rng.normal(0, 0.005),
                             event_type="clash", source="ACLED"))
    # one old incident far from the hotspot
    rows.append(Incident(incident_id="old", date="2013-02-01", latitude=12.45,
                         longitude=-7.55, event_type="clash", source="ACLED"))
    return incidents_to_frame(rows)


@pytest.fixture(scope="module")
def grid():
    return _grid_graph(n=6)


@pytest.fixture(scope="module")
def fitted(grid):
    return HazardModel(**KW).fit(_synthetic_incidents(n=600), as_of="2017-06-01", G=grid)


def test_recent_repeated_violence_ranks_above_a_quiet_segment(grid):
    m = HazardModel(**KW).fit(_quiet_and_hot(), as_of="2017-01-01", G=grid)
    p = m.predict_proba(grid)
    hot = p[(0, 1, 0)]                       # the edge at the hotspot corner (lon -8, lat 12)
    quiet = p[(34, 35, 0)]                   # the far corner: one incident four years ago
    assert hot > 0.5 > 0.05 > quiet


def test_sklearn_contract(fitted, grid):
    m = HazardModel(**KW)
    assert clone(m).get_params() == m.get_params()
    with pytest.raises(NotFittedError):
        m.predict_proba(grid)
    assert m.fit(_synthetic_incidents(n=600), as_of="2017-06-01", G=grid) is m
    assert not hasattr(HazardModel(), "coef_")
    with pytest.raises(SpecError, match="horizon_days"):
        HazardModel(horizon_days=0).fit(_synthetic_incidents(n=50), G=grid)


def test_state_round_trip_through_json_and_npz_gives_identical_predictions(fitted, grid):
    state = fitted.get_state()
    arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
    text = json.dumps({k: v for k, v in state.items() if k not in arrays})
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    back = HazardModel.from_state({**json.loads(text), **arrays})
    pd.testing.assert_series_equal(back.predict_proba(grid), fitted.predict_proba(grid))
    pd.testing.assert_frame_equal(back.contributions(grid), fitted.contributions(grid))
    assert back.params_used() == fitted.params_used()
    hist = RouteHistory.shared(0.3)
    assert back.route_probability(0.5, 100.0, hist) == fitted.route_probability(0.5, 100.0, hist)
    with pytest.raises(SpecError, match="malformed"):
        HazardModel.from_state({"params": {}, "fitted": {}})


def test_contributions_add_up_to_the_log_odds(fitted, grid):
    c = fitted.contributions(grid)
    p = fitted.predict_proba(grid)
    np.testing.assert_allclose(1 / (1 + np.exp(-c.sum(axis=1))), p.to_numpy(), rtol=1e-9)
    assert c.columns[0] == "intercept" and "recency_r10" in c.columns


def test_only_incidents_before_as_of_matter(fitted, grid):
    later = _synthetic_incidents(n=200, seed=4, start="2017-06-01", years=1)
    both = pd.concat([_synthetic_incidents(n=600), later], ignore_index=True)
    m = HazardModel(**KW).fit(both, as_of="2017-06-01", G=grid)
    np.testing.assert_allclose(m.predict_proba(grid), fitted.predict_proba(grid))
    assert m.n_ignored_after_as_of_ == fitted.n_ignored_after_as_of_ + 200


def test_uncovered_windows_are_skipped_not_taken_as_quiet(grid):
    df = _synthetic_incidents(n=600)                 # 2012 .. 2017
    df.attrs["coverage"] = [{"source": "ACLED", "start": "2012-01-01", "end": "2018-12-31",
                             "bbox": None, "basis": "declared"}]
    full = HazardModel(**KW).fit(df, as_of="2017-06-01", G=grid)
    assert full.n_windows_skipped_uncovered_ == 0
    # a systematic source covering only up to 2016-06-30, and an anecdotal catalogue after
    df.attrs["coverage"] = [
        {"source": "ACLED", "start": "2012-01-01", "end": "2016-06-30", "bbox": None,
         "basis": "export"},
        {"source": "project catalogue", "start": "2016-07-01", "end": "2017-06-01",
         "bbox": None, "basis": "curated"}]
    m = HazardModel(**KW).fit(df, as_of="2017-06-01", G=grid)
    assert m.n_windows_skipped_uncovered_ > 0
    assert max(m.train_origins_) <= "2016-04-01"      # window end <= coverage end
    # without the attribute, the ACLED/UCDP rows' span is the coverage
    cat = _synthetic_incidents(n=5, seed=3, start="2018-01-01", years=1)
    cat["source"] = "project catalogue"
    acled = _synthetic_incidents(n=600)
    acled["source"] = "ACLED"
    spans = coverage_days(pd.concat([acled, cat], ignore_index=True))
    assert len(spans) == 1 and spans[0][1] < pd.Timestamp("2018-01-01").value / 86_400e9
    # nothing systematic at all: fitted on the curated reports, and said so
    curated = _synthetic_incidents(n=600)
    curated.attrs["coverage"] = []
    m = HazardModel(**KW).fit(curated, as_of="2017-06-01", G=grid)
    assert m.fitted_outside_coverage_ and m.params_used()["fitted_outside_coverage"]
    assert not full.fitted_outside_coverage_


def test_rolling_origins_step_by_the_horizon():
    o = rolling_origins("2018-01-01", 3, 30)
    assert [d.date().isoformat() for d in o] == ["2018-01-01", "2018-01-31", "2018-03-02"]
    with pytest.raises(SpecError):
        rolling_origins("2018-01-01", 0, 30)


def test_block_bootstrap_interval_contains_the_true_difference():
    rng = np.random.default_rng(0)
    n_cells, per = 150, 40
    cells = np.repeat(np.arange(n_cells), per)
    p_true = rng.uniform(0.05, 0.6, n_cells)[cells]
    y = (rng.random(len(cells)) < p_true).astype(int)
    good, bad = p_true, np.clip(p_true + 0.15, 0, 1)
    # expected Brier difference: E[(g - y)^2] - E[(b - y)^2] = -(0.15^2) where unclipped
    true = float(np.mean((good - p_true) ** 2 - (bad - p_true) ** 2))
    out = block_bootstrap(y, {"model": good, "other": bad}, cells, n_boot=200, random_state=1)
    d = out["other"]["brier"]
    assert d["lo"] < true < d["hi"] and d["hi"] < 0
    assert out["other"]["roc_auc"]["lo"] <= 0 <= out["other"]["roc_auc"]["hi"] + 1e-12


def test_route_calibration_beats_independence_on_a_clustered_process():
    rng = np.random.default_rng(2)

    def simulate(n):
        pieces = rng.integers(5, 60, n)
        p_piece = rng.uniform(0.002, 0.03, n)
        mu = pieces * -np.log1p(-p_piece)
        # pieces fail together: a route-window is "active" with some probability and then
        # most of its pieces' risk is concentrated in that one event
        active = rng.random(n) < np.minimum(1.0, 0.4 * mu)
        y = active.astype(int)
        share = np.clip(0.4 * mu + rng.normal(0, 0.05, n), 0, 1)
        return mu, pieces * 10.0, share, y

    train, test = simulate(3000), simulate(3000)
    coef = fit_route_calibration(*train)
    mu, length, share, y = test
    hist = RouteHistory.shared(share)
    brier_cal = np.mean((route_probability(coef, mu, length, hist) - y) ** 2)
    brier_ind = np.mean((-np.expm1(-mu) - y) ** 2)
    assert brier_cal < 0.9 * brier_ind
    assert np.mean(route_probability(coef, mu, length, hist)) == pytest.approx(y.mean(),
                                                                             abs=0.03)


def test_rolling_backtest_reports_pooled_origins_and_routes(grid):
    df = _synthetic_incidents(n=900, years=7, share_hot=0.6)
    out = rolling_backtest(df, as_of="2017-01-01", n_origins=3, horizon_days=90, G=grid,
                           routes={"r": np.arange(5)}, n_boot=20,
                           model_params=dict(n_origins=4, origin_step_days=90,
                                             n_routes=20))
    assert [o["as_of"] for o in out["origins"]] == ["2017-01-01", "2017-04-01", "2017-06-30"]
    assert out["n_segment_windows"] == 3 * out["n_segments"] == 3 * 60
    assert set(out["pooled"]["baselines"]) == {"climatology", "persistence"}
    for name in ("climatology", "persistence"):
        for metric in ("roc_auc", "average_precision", "brier"):
            d = out["pooled"]["differences"][name][metric]
            assert d["lo"] <= d["estimate"] <= d["hi"] or np.isnan(d["estimate"])
    assert out["routes"]["n_route_windows"] == 3
    assert {"calibrated", "independence", "constant"} <= set(out["routes"])
    R = out["random_routes"]
    assert R["n_route_windows"] > 0 and R["n_route_windows"] % 3 == 0
    assert R["differences"]["constant"]["lo"] <= R["differences"]["constant"]["hi"]
    json.dumps(out, default=str)
