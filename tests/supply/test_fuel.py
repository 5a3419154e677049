"""Fuel-import routes: the routes file, share overrides, exposure (hand-built and real)."""

from __future__ import annotations

import math

import pytest

from routerisk.errors import SpecError, UnknownNameError, ValidationError
from routerisk.supply.exposure import exposure
from routerisk.supply.fuel_routes import (
    country_code,
    load_routes,
    parse_share_overrides,
    routes_from_dict,
    with_shares,
)


def test_default_routes_file_documents_its_shares():
    spec = load_routes()
    assert spec.names == ["dakar", "dakar-south", "abidjan", "abidjan-west", "conakry",
                          "nouakchott", "lome", "tema", "cotonou", "niamey"]
    assert sum(r.share for r in spec.routes) == pytest.approx(1.0)
    sen_civ = sum(r.share for r in spec.routes if r.origin_country in ("SEN", "CIV"))
    assert sen_civ == pytest.approx(0.95)  # seeds/000: "nearly 95 percent"
    quoted = [s for r in spec.routes for s in r.sources if "95 percent" in s]
    assert quoted and all(s.startswith("seeds/000") for s in quoted)
    # every finer split rests on a named assumption that outputs repeat
    for r in spec.routes:
        assert r.share_basis in spec.assumptions
    assert set(spec.assumptions_in_use()) == set(spec.assumptions)
    assert spec.route("dakar").border_country == "SEN"
    assert spec.route("abidjan").border_country == "CIV"


def test_share_override_rescales_the_others():
    spec = with_shares(load_routes(), parse_share_overrides(["dakar=0.6"]))
    assert spec.route("dakar").share == 0.6 and spec.route("dakar").share_basis == "user"
    assert sum(r.share for r in spec.routes) == pytest.approx(1.0)
    # the others keep their proportions
    base = load_routes()
    assert spec.route("abidjan").share / spec.route("conakry").share == pytest.approx(
        base.route("abidjan").share / base.route("conakry").share)
    assert any("rescaled" in n for n in spec.notes)
    assert "A1-sen-civ-equal" not in spec.assumptions_in_use()  # only dakar rested on it
    assert "A5-civ-two-roads" in spec.assumptions_in_use()  # abidjan still rests on it
    both = with_shares(load_routes(), {"abidjan": 0.3, "abidjan-west": 0.1})
    assert "A5-civ-two-roads" not in both.assumptions_in_use()
    assert with_shares(load_routes(), {"dakar": 0.4}).route("dakar").share == 0.4
    assert parse_share_overrides(["conakry=10%"]) == {"conakry": 0.1}


@pytest.mark.parametrize("items", [["dakar"], ["dakar=x"], ["dakar=1.5"], ["=0.2"]])
def test_bad_share_arguments(items):
    with pytest.raises(SpecError):
        parse_share_overrides(items)


def test_bad_overrides():
    with pytest.raises(UnknownNameError, match="dakar, dakar-south, abidjan"):
        with_shares(load_routes(), {"lagos": 0.2})
    with pytest.raises(SpecError, match="sum to 1.2"):
        with_shares(load_routes(), {"dakar": 0.7, "abidjan": 0.5})
    spec = load_routes()
    with pytest.raises(SpecError, match="must sum to 1"):
        with_shares(spec, {n: 0.05 for n in spec.names})


def _raw(**over):
    route = {"name": "a", "origin": {"name": "A", "country": "SEN", "lat": 12.0, "lon": -9.0},
             "via": [], "share": 1.0}
    raw = {"destination": {"name": "D", "country": "MLI", "lat": 12.0, "lon": -8.0},
           "routes": [route]}
    raw.update(over)
    return raw


def test_routes_file_validation_lists_every_problem(tmp_path):
    bad = _raw(routes=[
        {"name": "a", "origin": {"name": "A", "country": "SEN"}, "share": 0.5,
         "share_basis": "nope"},
        {"name": "a", "origin": {"name": "B", "country": "CIV"}, "share": 0.2}])
    with pytest.raises(ValidationError) as info:
        routes_from_dict(bad, source="test.toml")
    text = str(info.value)
    assert "repeated: a" in text and "'nope'" in text and "sum to 0.7" in text
    with pytest.raises(ValidationError, match="share"):
        routes_from_dict(_raw(routes=[{"name": "a", "origin": {"name": "A", "country": "SEN"},
                                       "share": 2}]))
    p = tmp_path / "r.toml"
    p.write_text("routes = [", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_routes(p)
    with pytest.raises(SpecError, match="not found"):
        load_routes(tmp_path / "missing.toml")


def test_country_codes():
    assert country_code("Côte d'Ivoire") == "CIV"
    assert country_code("sen") == "SEN"
    assert country_code("Mauritania") == "MRT"
    with pytest.raises(UnknownNameError):
        country_code("Atlantis")


def two_routes_graph(make_graph):
    """Port A (0.6) and port C (0.4) both reach D; they share the last link M–D."""
    nodes = {"A": (-10.0, 12.0), "M": (-9.0, 12.0), "D": (-8.0, 12.0), "C": (-9.0, 11.0)}
    edges = [("A", "M", 100, 1.0, 0.2), ("M", "D", 100, 1.0, 0.3),
             ("C", "M", 120, 1.5, 0.1)]
    G = make_graph(nodes, edges)
    spec = routes_from_dict({
        "destination": {"name": "D", "country": "MLI", "lat": 12.0, "lon": -8.0},
        "assumptions": {"X": "a test split"},
        "routes": [
            {"name": "a", "origin": {"name": "A", "country": "SEN", "lat": 12.0, "lon": -10.0},
             "share": 0.6, "share_basis": "X"},
            {"name": "c", "origin": {"name": "C", "country": "CIV", "lat": 11.0, "lon": -9.0},
             "via": [{"name": "M", "country": "MLI", "lat": 12.0, "lon": -9.0,
                      "role": "border"}],
             "share": 0.4}]})
    return G, spec


def test_exposure_on_a_hand_built_graph(make_graph, gazetteer):
    G, spec = two_routes_graph(make_graph)
    ex = exposure(G, spec, gazetteer=gazetteer.iloc[:0])
    a, c = ex.routes.loc["a"], ex.routes.loc["c"]
    assert a["length_km"] == pytest.approx(200) and a["travel_time_h"] == pytest.approx(2)
    assert a["mu"] == pytest.approx(0.5) and c["mu"] == pytest.approx(0.4)
    assert a["p_disrupt"] == pytest.approx(1 - math.exp(-0.5))
    expected = 0.6 * (1 - math.exp(-0.5)) + 0.4 * (1 - math.exp(-0.4))
    assert ex.expected_share_disrupted == pytest.approx(expected)
    top = ex.segments.iloc[0]  # M–D carries both routes: (0.6 + 0.4) × 0.3
    assert top["volume_risk"] == pytest.approx(0.3) and top["share_using"] == pytest.approx(1)
    assert ex.assumptions["X"] == "a test split"
    # the cost and supply models name theirs too
    assert {"C1-tanker-speed", "S1-demand", "S5-convoy-losses"} <= set(ex.assumptions)
    assert ex.routes["simple_path"].all()
    assert ex.horizon_days == 30


def test_exposure_on_the_real_network(risk_study_network, gazetteer):
    ex = exposure(risk_study_network, gazetteer=gazetteer)
    t = ex.routes
    assert list(t.index) == load_routes().names
    assert ((t["p_disrupt"] > 0) & (t["p_disrupt"] < 1)).all()
    assert ex.expected_share_disrupted == pytest.approx((t["share"] * t["p_disrupt"]).sum())
    # the declared corridors are followed
    for route, towns in {"dakar": ["Kidira", "Kayes", "Sandaré"],
                         "abidjan": ["Ferkessedougou", "Sikasso", "Bougouni"],
                         "conakry": ["Kankan", "Siguiri"], "nouakchott": ["Kiffa", "Nioro"]
                         }.items():
        for town in towns:
            assert town in t.loc[route, "towns"], (route, town)
    assert 1300 < t.loc["dakar", "length_km"] < 1450
    assert 1150 < t.loc["abidjan", "length_km"] < 1250
    # the links shared by Dakar and Nouakchott routes (Diéma–Bamako) rank high
    assert ex.segments["volume_risk"].is_monotonic_decreasing
    assert (ex.segments["share_using"] <= 1 + 1e-9).all()
    assert ex.to_dict()["routes"][0]["route"] == "dakar"
