"""Any road graph through every command, and a fitted model saved once and reused.

The street-level graph is the Bamako – Ségou OSM fixture (trunk RN6 with a secondary RR12
alternative between Kassela and Fana) written by the tests; the trunk network is the shared
one. Models are fitted on incidents (the study network only as the validation reference).
"""

from __future__ import annotations

import json
import logging

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from routerisk.cli import main
from routerisk.errors import SpecError
from routerisk.incidents.schema import INCIDENT_COLUMNS
from routerisk.model.hazard import HazardModel
from routerisk.model.persist import (
    FORMAT_VERSION,
    StaleModelError,
    incident_digests,
    load_model,
    save_model,
)
from routerisk.network import graph_cache
from routerisk.network import io as netio
from routerisk.network.io import default_network_path, load_any_graph, save_graph
from routerisk.network.nodes import nearest_node
from routerisk.network.osm import graph_from_osm_file

BAMAKO = (-8.000337, 12.649319)
SEGOU = (-6.268147, 13.441518)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets its own graph cache folder and a cold in-process memo."""
    monkeypatch.setenv("ROUTERISK_CACHE_DIR", str(tmp_path / "cache"))
    netio._any_cached.cache_clear()
    yield
    netio._any_cached.cache_clear()


def run(capsys, *argv):
    code = main(["-q", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def acled_csv():
    """The shared ACLED file (read in place, never copied)."""
    from routerisk.config import ACLED_FILE, shared_file

    return shared_file(ACLED_FILE)


@pytest.fixture
def grid_model(grid_graph, synthetic_incidents, tmp_path):
    """A model fitted on synthetic incidents over a small grid, its CSV and the grid."""
    G = grid_graph(n=6)
    df = synthetic_incidents(n=500, years=6)
    csv = tmp_path / "incidents.csv"
    df[list(INCIDENT_COLUMNS)].assign(date=df["date"].dt.date).to_csv(csv, index=False)
    model = HazardModel(horizon_days=365, n_origins=4, origin_step_days=90, n_routes=20)
    model.fit(df, as_of="2018-01-01", G=G)
    return model, csv, G


# ------------------------------------------------------------------ save / load / stale
def test_save_load_predict_is_identical(grid_model, tmp_path):
    model, csv, G = grid_model
    digests = incident_digests([csv])
    path = save_model(model, tmp_path / "m.json", incidents_digest=digests)
    assert path.with_suffix(".npz").is_file()
    doc = json.loads(path.read_text())
    assert doc["format"] == "routerisk-hazard-model" and doc["format_version"] == FORMAT_VERSION
    assert doc["as_of"] == "2018-01-01" and doc["horizon_days"] == 365
    assert [f["sha256"] for f in doc["incident_files"]] == list(digests.values())
    again = load_model(path, incidents_digest=digests)
    assert again.params_used() == model.params_used()
    a, b = model.predict_rate(G), again.predict_rate(G)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    assert list(a.index) == list(b.index)
    pd.testing.assert_frame_equal(again.contributions(G), model.contributions(G))
    # a loaded model saves and loads again to the same predictions
    path2 = save_model(again, tmp_path / "m2.json", incidents_digest=digests)
    np.testing.assert_array_equal(load_model(path2).predict_rate(G).to_numpy(), a.to_numpy())


def test_stale_and_tampered_models_are_refused(grid_model, tmp_path):
    model, csv, _ = grid_model
    path = save_model(model, tmp_path / "m.json", incidents_digest=incident_digests([csv]))
    csv.write_text(csv.read_text() + csv.read_text().splitlines()[-1] + "\n")
    with pytest.raises(StaleModelError, match=r"stale.*incidents\.csv \(changed"):
        load_model(path, incidents_digest=incident_digests([csv]))
    other = tmp_path / "other.csv"
    other.write_text("x\n")
    with pytest.raises(StaleModelError, match="not given now"):
        load_model(path, incidents_digest=incident_digests([other]))
    npz = path.with_suffix(".npz")
    npz.write_bytes(npz.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(SpecError, match="does not belong"):
        load_model(path)
    with pytest.raises(SpecError, match="must end in .json"):
        save_model(model, tmp_path / "m.pkl", incidents_digest={})
    with pytest.raises(SpecError, match="no such file"):
        load_model(tmp_path / "missing.json")


def test_cli_refuses_a_stale_model(grid_model, tmp_path, capsys):
    model, csv, _ = grid_model
    path = save_model(model, tmp_path / "m.json", incidents_digest=incident_digests([csv]))
    csv.write_text(csv.read_text().replace("2016", "2015", 1))
    code, out, err = run(capsys, "route", "Bamako", "Ségou", "--incidents", str(csv),
                         "--model", str(path))
    assert code == 1 and out == ""
    assert "stale" in err and "incidents.csv" in err and "routerisk model fit" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------ one graph loader
def test_osm_graphml_and_extract_give_the_same_segmented_graph(osm_fixture, tmp_path):
    from_osm = load_any_graph(osm_fixture)
    graphml = save_graph(graph_from_osm_file(osm_fixture), tmp_path / "street.graphml")
    from_graphml = load_any_graph(graphml)
    assert sorted(from_osm.edges(keys=True)) == sorted(from_graphml.edges(keys=True))
    for e, d in from_osm.edges.items():
        assert d["length"] <= 10_000 + 1e-6
        assert from_graphml.edges[e]["length"] == pytest.approx(d["length"], rel=1e-12)
        assert from_graphml.edges[e]["travel_time"] == pytest.approx(d["travel_time"])
        assert d["geometry"].equals_exact(from_graphml.edges[e]["geometry"], 1e-9)
    # segmentation keeps the parent edge
    assert {(d["parent_u"], d["parent_v"]) for d in from_osm.edges.values()} == {
        (1, 3), (3, 1), (3, 5), (5, 3), (5, 8), (8, 5)}


def test_default_trunk_named_explicitly_is_the_default(capsys):
    default = load_any_graph()
    netio._any_cached.cache_clear()
    explicit = load_any_graph(str(default_network_path()), use_cache=False)
    assert sorted(default.edges(keys=True)) == sorted(explicit.edges(keys=True))
    for e, d in default.edges.items():
        assert explicit.edges[e]["length"] == d["length"]
        assert explicit.edges[e]["geometry"].equals_exact(d["geometry"], 0)
    code, a, _ = run(capsys, "network", "info", "--corridor", "bamako-segou", "--json")
    code2, b, _ = run(capsys, "network", "info", "--corridor", "bamako-segou", "--json",
                      "--network", str(default_network_path()))
    assert code == code2 == 0
    da, db = json.loads(a), json.loads(b)
    assert da["route"] == db["route"] and da["total_km"] == db["total_km"]


def test_cache_is_reused_rebuilt_and_safe_to_corrupt(osm_fixture, tmp_path):
    folder = tmp_path / "cache" / "graphs"
    first = load_any_graph(osm_fixture)
    files = list(folder.glob("derived-*.npz"))
    assert len(files) == 1
    netio._any_cached.cache_clear()
    cached = graph_cache.load_cached(files[0].stem.removeprefix("derived-"))
    assert cached is not None and nx.utils.graphs_equal(
        nx.MultiDiGraph(cached.edges(keys=True)), nx.MultiDiGraph(first.edges(keys=True)))
    # the entry keeps every attribute as it was: types, values and key order
    for (*_, d), (*_, e) in zip(first.edges(keys=True, data=True),
                                cached.edges(keys=True, data=True), strict=True):
        assert list(d) == list(e)
        for a in d:
            assert type(d[a]) is type(e[a])
            if a == "geometry":
                assert d[a].equals_exact(e[a], 0)
            elif d[a] == d[a]:                     # NaN aside
                assert d[a] == e[a]
    assert [dict(d) for _, d in first.nodes(data=True)] == [
        dict(d) for _, d in cached.nodes(data=True)]
    good = files[0].read_bytes()
    files[0].write_bytes(good[: len(good) // 2])  # a damaged entry
    netio._any_cached.cache_clear()
    again = load_any_graph(osm_fixture)           # unreadable entry ignored and rewritten
    assert again.number_of_edges() == first.number_of_edges()
    assert graph_cache.CachedGraph(files[0].read_bytes()).doc["format"] == \
        graph_cache.CACHE_FORMAT
    netio._any_cached.cache_clear()
    load_any_graph(osm_fixture, max_segment_m=5_000)   # other options: another entry
    assert len(list(folder.glob("derived-*.npz"))) == 2
    assert not list(folder.glob("*.tmp"))


def test_graphs_without_speeds_are_imputed_with_a_warning(osm_fixture, tmp_path, caplog):
    G = graph_from_osm_file(osm_fixture)
    for _, _, d in G.edges(data=True):
        del d["travel_time"], d["speed_kph"]
    path = save_graph(G, tmp_path / "nospeed.graphml")
    with caplog.at_level(logging.WARNING):
        H = load_any_graph(path)
    assert "had no speed_kph/travel_time; imputed with osmnx" in caplog.text
    rn6 = [d for d in H.edges.values() if (d["parent_u"], d["parent_v"]) == (5, 8)]
    assert rn6 and all(d["speed_kph"] == 90 for d in rn6)      # maxspeed of way 103
    for d in H.edges.values():
        assert d["travel_time"] == pytest.approx(d["length"] / 1000 / d["speed_kph"] * 3600)


def test_unknown_graph_files_are_refused(tmp_path, capsys):
    bad = tmp_path / "roads.shp"
    bad.write_text("x")
    code, _, err = run(capsys, "network", "info", "--corridor", "bamako-segou",
                       "--network", str(bad))
    assert code == 1 and "expected a road graph ending in" in err


# ------------------------------------------------------------------ street graph end to end
ROUTES_TOML = """destination = { name = "Bamako", country = "MLI" }

[[routes]]
name = "segou"
label = "Ségou – Bamako (RN6)"
origin = { name = "Ségou", country = "MLI" }
share = 1.0
"""


@pytest.mark.slow
def test_street_graph_through_every_command(osm_fixture, tmp_path, capsys, acled_csv):
    csv = acled_csv
    street = tmp_path / "bamako-segou.graphml"
    code, out, err = run(capsys, "network", "build", "--corridor", "bamako-segou",
                         "--osm-file", str(osm_fixture), "--out", str(street),
                         "--cache-dir", str(tmp_path / "built"), "--json")
    assert code == 0, err
    built = json.loads(out)
    assert built["route"]["waypoints"] == ["Bamako", "Fana", "Ségou"]
    model = tmp_path / "model.json"
    code, out, err = run(capsys, "model", "fit", "--incidents", str(csv), "--as-of",
                         "2019-01-01", "--out", str(model), "--json")
    assert code == 0, err
    common = ["--incidents", str(csv), "--model", str(model), "--network", str(street)]

    code, out, err = run(capsys, "score", "--corridor", "bamako-segou", "--n-boot", "0",
                         "--json", *common)
    assert code == 0, err
    score = json.loads(out)
    assert score["as_of"] == "2019-01-01" and score["network"].endswith(street.name)
    assert score["length_km"] == pytest.approx(built["route"]["km"], abs=0.051)
    assert score["n_segments"] >= 22 and 0 < score["p_disrupt"] < 1
    assert score["history"]["rests_on"]          # the fit's history note, saved with it
    own = score["route_history"]                 # the route's own correction, on this graph
    assert own["n_windows"] == 60 and 0 < own["window_share"] < 1 and own["slope"] < 0

    code, out, err = run(capsys, "route", "Bamako", "Ségou", "--json", *common)
    assert code == 0, err
    fastest = json.loads(out)["fastest"]
    assert fastest["length_km"] == pytest.approx(score["length_km"], abs=0.051)
    assert fastest["mu"] == pytest.approx(score["mu"], rel=1e-6)

    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES_TOML, encoding="utf-8")
    code, out, err = run(capsys, "exposure", "--routes", str(routes), "--json", *common)
    assert code == 0, err
    # exposure gives the route the same calibrated probability as score (one route, share 1)
    assert json.loads(out)["expected_share_disrupted"] == pytest.approx(score["p_disrupt"])
    assert score["p_disrupt"] < score["p_independent"]
    code, out, err = run(capsys, "scenario", "--close-road", "Kassela..Virage de Dioila",
                         "--routes", str(routes), "--json", *common)
    assert code == 0, err
    res = json.loads(out)
    (r,) = res["routes"]
    assert r["status"] == "detour" and r["detour_km"] > 0       # by the secondary RR12
    code, out, err = run(capsys, "scenario", "--close-road", "RN6", "--routes", str(routes),
                         "--json", *common)
    assert code == 0 and json.loads(out)["share_cut_off"] == pytest.approx(1.0)

    # the default import routes start far outside this graph: one clear message
    code, out, err = run(capsys, "exposure", *common)
    assert code == 1 and "town(s) lie outside the road graph" in err and "Dakar" in err

    code, out, err = run(capsys, "report", "--no-backtest", "--no-tiles", "--out",
                         str(tmp_path / "report"), *common)
    assert code == 0, err
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "bamako-segou" in page and street.name in page


@pytest.mark.slow
def test_trunk_fitted_model_rates_on_the_street_graph(osm_fixture, default_risk_model):
    """On the shared Bamako - Ségou stretch the street pieces get the rates of the trunk
    pieces beside them (the two polylines lie <= 7 km apart): every street piece within the
    range of the trunk pieces within 12 km (10 % slack), the median piece within 10 % of the
    nearest trunk piece, the expected count along the whole route within 10 %."""
    model = default_risk_model
    S, T = load_any_graph(osm_fixture), load_any_graph()
    rs, rt = model.predict_rate(S), model.predict_rate(T)

    def route(G):
        path = nx.shortest_path(G, nearest_node(G, *BAMAKO), nearest_node(G, *SEGOU),
                                weight="travel_time")
        edges = [(u, v, min(G[u][v], key=lambda k: G[u][v][k]["travel_time"]))
                 for u, v in zip(path[:-1], path[1:], strict=True)]
        mid = np.array([G.edges[e]["geometry"].interpolate(0.5, normalized=True).coords[0]
                        for e in edges])
        return edges, mid

    from routerisk.geo.projection import lonlat_to_km

    es, ms = route(S)
    et, mt = route(T)
    xs, ys = lonlat_to_km(ms[:, 0], ms[:, 1])
    xt, yt = lonlat_to_km(mt[:, 0], mt[:, 1])
    d = np.hypot(xs[:, None] - xt[None, :], ys[:, None] - yt[None, :])
    assert d.min(axis=1).max() < 10
    street = np.array([rs[e] for e in es])
    trunk = np.array([rt[e] for e in et])
    for i in range(len(es)):           # within the range of the trunk pieces beside it
        near = trunk[d[i] < 12.0]
        assert near.min() * 0.9 <= street[i] <= near.max() * 1.1, (i, street[i], near)
    nearest = trunk[d.argmin(axis=1)]
    assert np.median(np.abs(street / nearest - 1)) < 0.10
    count_s = sum(rs[e] * S.edges[e]["length"] / 1000 for e in es)
    count_t = sum(rt[e] * T.edges[e]["length"] / 1000 for e in et)
    assert count_s == pytest.approx(count_t, rel=0.10)


def test_nearest_edges_is_the_exact_great_circle_nearest(osm_fixture):
    import shapely

    from routerisk.geo.sphere import great_circle_km
    from routerisk.network.nodes import nearest_edges

    G = load_any_graph(osm_fixture)
    rng = np.random.default_rng(3)
    xs, ys = rng.uniform(-8.2, -6.0, 60), rng.uniform(12.3, 13.7, 60)
    best, dist = nearest_edges(G, xs, ys, return_dist=True)
    keys = list(G.edges(keys=True))
    geoms = np.array([G.edges[e]["geometry"] for e in keys])
    for i in range(len(xs)):
        p = shapely.Point(xs[i], ys[i])
        q = shapely.line_interpolate_point(geoms, shapely.line_locate_point(geoms, p))
        d = 1000.0 * great_circle_km(ys[i], xs[i], shapely.get_y(q), shapely.get_x(q))
        assert dist[i] == pytest.approx(d.min(), abs=1e-6)
        assert d[keys.index(best[i])] == pytest.approx(d.min(), abs=1e-6)
    assert nearest_edges(G, *BAMAKO) in {e for e in keys if 1 in e[:2]}
