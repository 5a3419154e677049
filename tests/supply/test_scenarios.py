"""Scenarios: closures on hand-built graphs with known answers, and the seed presets on the
real trunk network."""

from __future__ import annotations

import math

import pytest

from routerisk.errors import GeocodeError, SpecError, UnknownNameError
from routerisk.supply.cost import CostModel
from routerisk.supply.fuel_routes import load_routes, routes_from_dict
from routerisk.supply.scenario_spec import (
    DEFAULT_BLOCKADE_RADIUS_KM,
    Blockade,
    Presets,
    Scenario,
    load_presets,
    parse_blockade,
)
from routerisk.supply.scenarios import banned_routes, resolve_closures, run_scenario

#: No tanker speed cap (the hand-built roads run at 75–87 km/h): cost hours = travel hours.
FREE_FLOW = CostModel(default_speed_kph=200)

# Real town coordinates, so that the gazetteer names them: Kita (the only route's middle)
# and Kati; a bypass through Kolokani is 60 km and 0.5 h longer.
KITA, KATI, KOLOKANI = (-9.485395, 13.035034), (-8.0718052, 12.7382738), (-8.031273, 13.577326)
PORT, DEST = (-10.9, 13.3), (-7.0, 12.6)


def spec_one_route():
    return routes_from_dict({
        "destination": {"name": "D", "country": "MLI", "lat": DEST[1], "lon": DEST[0]},
        "routes": [{"name": "r", "origin": {"name": "P", "country": "SEN", "lat": PORT[1],
                                            "lon": PORT[0]}, "share": 1.0}]})


@pytest.fixture
def no_gaz(gazetteer):
    return gazetteer.iloc[:0]


def test_blockade_cuts_the_only_route(make_graph, gazetteer):
    G = make_graph({"P": PORT, "K": KITA, "D": DEST},
                   [("P", "K", 150, 2.0, 0.1), ("K", "D", 250, 3.0, 0.2)])
    res = run_scenario(G, Scenario(blockades=[Blockade(town="Kita", radius_km=10)]),
                       spec_one_route(), presets=Presets(), gazetteer=gazetteer)
    row = res.routes.loc["r"]
    assert row["status"] == "cut" and "blockade Kita" in row["cut_by"]
    assert res.share_cut == 1.0 and res.share_detour == 0.0
    assert math.isnan(row["detour_km"])
    assert res.expected_share_disrupted == 0.0
    assert res.closures[0].routes_hit == ["r"]


def test_detour_of_known_length(make_graph, gazetteer):
    G = make_graph({"P": PORT, "K": KITA, "D": DEST, "B": KOLOKANI},
                   [("P", "K", 150, 2.0, 0.1), ("K", "D", 250, 3.0, 0.2),
                    ("P", "B", 200, 2.5, 0.05), ("B", "D", 260, 3.0, 0.05)])
    res = run_scenario(G, Scenario(blockades=[Blockade(town="Kita", radius_km=10)]),
                       spec_one_route(), presets=Presets(), gazetteer=gazetteer,
                       cost=FREE_FLOW)
    row = res.routes.loc["r"]
    assert row["status"] == "detour"
    assert row["detour_km"] == pytest.approx(60.0)
    assert row["detour_h"] == pytest.approx(0.5)
    assert row["new_mu"] == pytest.approx(0.1)
    assert res.share_detour == 1.0 and res.share_cut == 0.0
    # the closure itself disrupts the route; the new road's own risk is reported apart
    assert res.expected_share_disrupted == pytest.approx(1.0)
    assert res.expected_share_disrupted_by_incidents == pytest.approx(1 - math.exp(-0.1))
    assert res.expected_share_disrupted_baseline == pytest.approx(1 - math.exp(-0.3))
    # a fixed fleet on a longer round trip delivers less
    assert row["m3_per_day_arriving"] < row["m3_per_day"]
    assert row["extra_tanker_days_per_day"] > 0


def test_closure_touching_nothing_is_reported(make_graph, gazetteer):
    G = make_graph({"P": PORT, "D": DEST}, [("P", "D", 400, 5.0, 0.3)])
    scen = Scenario(blockades=[Blockade(town="Kati", radius_km=5)])
    res = run_scenario(G, scen, spec_one_route(), presets=Presets(), gazetteer=gazetteer)
    assert res.routes.loc["r", "status"] == "unaffected"
    assert any("closes nothing" in w and "Kati" in w for w in res.warnings)
    with pytest.raises(SpecError, match="closes nothing"):
        resolve_closures(G, scen, presets=Presets(), gazetteer=gazetteer, strict=True)


def test_unknown_town_lists_near_matches(make_graph, gazetteer):
    G = make_graph({"P": PORT, "D": DEST}, [("P", "D", 400, 5.0, 0.3)])
    with pytest.raises(GeocodeError, match="did you mean: Kayes"):
        resolve_closures(G, Scenario(blockades=[Blockade(town="Kayess")]), presets=Presets(),
                         gazetteer=gazetteer)


def test_unknown_road_names_the_known_ones(make_graph, gazetteer):
    G = make_graph({"P": PORT, "D": DEST}, [("P", "D", 400, 5.0, 0.3)])
    with pytest.raises(UnknownNameError, match="RN1") as info:
        resolve_closures(G, Scenario(roads=["RN99"]), presets=load_presets(),
                         gazetteer=gazetteer)
    assert "no 'ref' tags" in str(info.value) and "Kayes..Diéma" in str(info.value)


def test_bans():
    spec = load_routes()
    hit, warnings = banned_routes(spec, ["Senegal", "GIN"])
    assert hit == {"dakar": "SEN", "dakar-south": "SEN", "conakry": "GIN"} and warnings == []
    # the Gulf of Guinea routes enter Mali from Burkina Faso
    hit, _ = banned_routes(spec, ["BFA"])
    assert set(hit) == {"lome", "tema", "cotonou"}
    _, warnings = banned_routes(spec, ["LBR"])
    assert warnings == ["ban on imports from LBR: no import route comes from LBR"]


def test_parse_blockade():
    assert parse_blockade("Kayes") == Blockade(town="Kayes")
    assert parse_blockade("Nioro du Sahel:40") == Blockade(town="Nioro du Sahel", radius_km=40)
    for bad in ("Kayes:x", "Kayes:0", "Kayes:900"):
        with pytest.raises(SpecError):
            parse_blockade(bad)


def test_presets_cite_their_articles():
    presets = load_presets()
    for name in ("kayes-nioro-blockade-2025", "fuel-import-ban-2025", "zegoua-sikasso-2025"):
        scen = presets.scenario(name)
        assert scen.sources and any(s.startswith("seeds/000") for s in scen.sources)
    assert sorted(presets.scenario("fuel-import-ban-2025").bans) == ["CIV", "GIN", "MRT", "SEN"]
    with pytest.raises(UnknownNameError, match="kayes-nioro-blockade-2025"):
        presets.scenario("kayes-nioro-blockade")


# --- the seed scenarios on the real trunk network ----------------------------------------

@pytest.fixture(scope="module")
def catalogue():
    from routerisk.incidents.io import load_catalogue

    return load_catalogue()


def test_kayes_nioro_blockade(risk_study_network, catalogue, gazetteer):
    presets = load_presets()
    res = run_scenario(risk_study_network, presets.scenario("kayes-nioro-blockade-2025"),
                       presets=presets, catalogue=catalogue, gazetteer=gazetteer)
    t = res.routes
    # radius from the catalogue's blockade rows (25 km)
    assert all("25 km (catalogue blockade)" in c.detail for c in res.closures)
    # the Dakar route via Kayes detours by the southern road through Kédougou and Kita:
    # shorter in km, dearer under the cost (a border crossing off the transit corridor)
    assert t.loc["dakar", "status"] == "detour"
    towns = t.loc["dakar", "new_towns"]
    assert "Kita" in towns and "Kayes" not in towns and "Kédougou" in towns
    assert -150 < t.loc["dakar", "detour_km"] < -50
    assert t.loc["dakar", "detour_h"] > 0 and not t.loc["dakar", "detour_cheaper"]
    # Nouakchott via Nioro must go round: longer
    assert t.loc["nouakchott", "status"] == "detour"
    assert t.loc["nouakchott", "detour_km"] > 100
    assert "Nioro" not in t.loc["nouakchott", "new_towns"]
    assert (t.loc[["abidjan", "abidjan-west", "conakry"], "status"] == "unaffected").all()
    assert res.share_cut == 0.0
    assert res.share_detour == pytest.approx(0.475 + 1 / 120)


def test_import_ban_cuts_the_banned_countries_share(risk_study_network, gazetteer):
    presets = load_presets()
    res = run_scenario(risk_study_network, presets.scenario("fuel-import-ban-2025"),
                       presets=presets, gazetteer=gazetteer)
    banned = res.routes["status"] == "banned"
    assert set(res.routes.index[banned]) == {"dakar", "dakar-south", "abidjan",
                                              "abidjan-west", "conakry", "nouakchott"}
    assert res.share_cut == pytest.approx(0.95 + 2 / 120)
    only_sen = run_scenario(risk_study_network, Scenario(bans=["SEN"]), presets=presets,
                            gazetteer=gazetteer)
    assert only_sen.share_cut == pytest.approx(0.475)


def test_zegoua_sikasso_closure_diverts_the_abidjan_route(risk_study_network, gazetteer):
    presets = load_presets()
    res = run_scenario(risk_study_network, presets.scenario("zegoua-sikasso-2025"),
                       presets=presets, gazetteer=gazetteer)
    row = res.routes.loc["abidjan"]
    assert row["status"] == "detour" and row["detour_km"] > 0 and row["detour_h"] > 0
    assert res.share_detour == pytest.approx(0.2375)
    # the Bamako–Ségou road carries only the routes arriving through Ségou (Burkina Faso
    # transit and Niamey); the SEN, CIV, GIN and MRT corridors are untouched
    seg = run_scenario(risk_study_network, presets.scenario("bamako-segou-2025"),
                       presets=presets, gazetteer=gazetteer)
    assert set(seg.closures[0].routes_hit) == {"lome", "tema", "cotonou", "niamey"}
    untouched = ["dakar", "abidjan", "abidjan-west", "conakry", "nouakchott"]
    assert (seg.routes.loc[untouched, "status"] == "unaffected").all()


def test_default_radius_without_catalogue(risk_study_network, gazetteer):
    closures = resolve_closures(risk_study_network, Scenario(blockades=[Blockade(town="Kita")]),
                                presets=Presets(), gazetteer=gazetteer)
    assert f"{DEFAULT_BLOCKADE_RADIUS_KM:g} km (default)" in closures[0].detail
    assert closures[0].links
