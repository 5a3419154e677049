"""Generalised cost, fuel supply model, node paths and network damage: hand-built graphs
where the answer is known, and the checks an analyst makes on the real network."""

from __future__ import annotations

import math

import pytest

from routerisk.errors import GeocodeError, SpecError, ValidationError
from routerisk.geo.gazetteer import geocode
from routerisk.geo.sphere import great_circle_km
from routerisk.network.nodes import erase_loops, path_edges
from routerisk.network.segments import segmentize
from routerisk.supply.cost import CostModel, Crossing, load_cost
from routerisk.supply.damage import od_losses, places_cut_off, worst_links
from routerisk.supply.exposure import compute_baseline
from routerisk.supply.fuel_routes import load_routes, routes_from_dict
from routerisk.supply.logistics import load_supply
from routerisk.supply.paths import cheapest_weight, path_metrics, shortest_path
from routerisk.supply.scenario_spec import Scenario, load_presets
from routerisk.supply.scenarios import resolve_closures, run_scenario


# --------------------------------------------------------------------------- node paths
def test_erase_loops_gives_a_simple_path():
    # the Nouakchott U-turn: ... 44 -> 73 -> 1778 -> 73 -> 82 ...
    assert erase_loops([28, 44, 73, 1778, 73, 82, 79]) == [28, 44, 73, 82, 79]
    assert erase_loops(["a", "b", "c", "b", "d", "a", "e"]) == ["a", "e"]
    assert erase_loops([1, 2, 3]) == [1, 2, 3]


def test_path_edges_picks_the_parallel_edge_priced_by_the_routing_weight(make_graph):
    G = make_graph({"a": (0, 0), "b": (0.5, 0)}, [("a", "b", 50, 1.0, 0.5)])
    # a second road a->b: longer but safer
    G.add_edge("a", "b", 1, length=80_000.0, travel_time=7200.0, mu=0.0, p_disrupt=0.0)
    assert path_edges(G, ["a", "b"], "length") == [("a", "b", 0)]
    assert path_edges(G, ["a", "b"], lambda d: d["mu"]) == [("a", "b", 1)]
    assert path_edges(G, ["a", "b"], "length", closed={("a", "b", 0)}) == [("a", "b", 1)]
    with pytest.raises(SpecError, match="broken"):
        path_edges(G, ["b", "x"])


# --------------------------------------------------------------------------- cost model
def crossing_graph(make_graph, *, border_min=600.0):
    """P -(100 km, 1 h)- B -(100 km, 1 h, border)- D; the border link is cut into pieces."""
    G = make_graph({"P": (-10.0, 12.0), "B": (-9.0, 12.0), "D": (-8.0, 12.0)},
                   [("P", "B", 100, 1.0, 0.1), ("B", "D", 100, 1.0, 0.1)])
    for u, v in (("B", "D"), ("D", "B")):
        G.edges[u, v, 0]["border_time_min"] = border_min
    return segmentize(G, max_length_m=30_000)


def test_cost_counts_border_dwell_once_and_caps_tanker_speed(make_graph):
    G = crossing_graph(make_graph)
    cost = CostModel(default_speed_kph=50)   # the roads run at 100 km/h by car
    nodes = shortest_path(G, "P", "D", weight=cheapest_weight(G, cost))
    m = path_metrics(G, nodes, cost=cost, towns=False)
    assert len(nodes) > 3                       # the pieces of the segmented links
    assert m.travel_time_h == pytest.approx(2.0)
    assert m.border_h == pytest.approx(10.0)    # 600 min, once for the whole link
    assert m.cost_h == pytest.approx(200 / 50 + 10.0)


def test_undeclared_crossing_pays_the_penalty_once(make_graph):
    G = crossing_graph(make_graph)
    far = CostModel(default_speed_kph=200, undeclared_crossing_h=24.0,
                    transit_crossings=[Crossing(name="X", country="MLI", lat=14.0, lon=-9.0)])
    near = far.model_copy(update={"transit_crossings": [
        Crossing(name="B", country="MLI", lat=12.0, lon=-8.5)]})
    for model, extra in ((far, 24.0), (near, 0.0)):
        nodes = shortest_path(G, "P", "D", weight=cheapest_weight(G, model))
        m = path_metrics(G, nodes, cost=model, towns=False)
        assert m.cost_h == pytest.approx(2.0 + 10.0 + extra)
        assert m.border_h == pytest.approx(10.0 + extra)


def test_cost_file_and_overrides(tmp_path):
    cost = load_cost()
    assert {"C1-tanker-speed", "C2-border-dwell", "C3-transit-crossings"} <= set(
        cost.assumptions)
    assert load_cost(undeclared_crossing_h=0).undeclared_crossing_h == 0
    bad = tmp_path / "cost.toml"
    bad.write_text('default_speed_kph = -3\n[speed_kph]\ntrunk = 900\n', encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_cost(bad)
    assert "default_speed_kph" in str(info.value) and str(bad) in str(info.value)


# --------------------------------------------------------------------------- supply model
def test_supply_arithmetic():
    s = load_supply(demand_m3_per_day=1000, tanker_capacity_m3=40, stock_days_of_cover=10)
    assert any("demand_m3_per_day = 1000" in n for n in s.notes)
    # 10 h of driving each way at 10 h a day, 20 h of border dwell (half on return), 24 h
    rt = s.round_trip_days(cost_h=30.0, dwell_h=20.0)
    assert rt == pytest.approx((2 * 10 * 24 / s.driving_hours_per_day + 20 * 1.5 + 24) / 24)
    row = s.route_row(0.5, 30.0, 20.0, mu=0.3, horizon_days=30)
    assert row["m3_per_day"] == 500 and row["tankers_per_day"] == pytest.approx(12.5)
    assert row["fleet_tankers"] == pytest.approx(12.5 * rt)
    p_hit = s.convoy_hit_probability * 12.5 / s.convoy_reference_tankers_per_day
    assert row["tankers_lost_per_month"] == pytest.approx(
        0.3 * (365.25 / 12) / 30 * p_hit * s.tankers_lost_per_attack)
    assert s.days_of_cover(1000) is None              # no shortfall: stock not drawn down
    assert s.days_of_cover(500) == pytest.approx(20)  # 10 000 m³ / 500 m³ a day
    assert s.days_of_cover(0) == pytest.approx(10)


# --------------------------------------------------------------------------- damage
def test_od_losses_and_worst_links_on_a_bridge(make_graph, gazetteer):
    nodes = {"A": (-9.0, 12.0), "B": (-8.5, 12.0), "X": (-8.5, 12.4), "M": (-8.0, 12.0),
             "D": (-7.0, 12.0), "C": (-8.5, 11.0)}
    G = make_graph(nodes, [("A", "B", 50, 1.0, 0.1), ("B", "M", 50, 1.0, 0.1),
                           ("B", "X", 50, 1.5, 0.0), ("X", "M", 50, 1.5, 0.0),
                           ("M", "D", 100, 2.0, 0.2), ("C", "B", 100, 2.0, 0.1)])
    spec = routes_from_dict({
        "destination": {"name": "D", "country": "MLI", "lat": 12.0, "lon": -7.0},
        "routes": [
            {"name": "a", "origin": {"name": "A", "country": "SEN", "lat": 12.0, "lon": -9.0},
             "share": 0.7},
            {"name": "c", "origin": {"name": "C", "country": "CIV", "lat": 11.0, "lon": -8.5},
             "share": 0.3}]})
    cost = CostModel(default_speed_kph=200)
    base = compute_baseline(G, spec, cost=cost, gazetteer=gazetteer.iloc[:0], towns=False)
    worst = worst_links(G, base, k=2, label=False)
    assert tuple(sorted(worst.loc[0, "link"][:2])) == ("D", "M")   # the bridge cuts all
    assert worst.loc[0, "share_cut"] == pytest.approx(1.0)
    closed = {("B", "M", 0), ("M", "B", 0)}
    od = od_losses(G, closed, origin="12.0,-9.0", towns=["12.0,-8.0", "11.0,-8.5"],
                   cost=cost, gazetteer=gazetteer.iloc[:0])
    assert list(od["status"]) == ["detour", "ok"]
    assert od.loc[0, "extra_h"] == pytest.approx(2.0)          # B–X–M: 3 h instead of 1 h
    od = od_losses(G, closed | {("A", "B", 0), ("B", "A", 0)}, origin="12.0,-9.0",
                   towns=["12.0,-8.0"], cost=cost, gazetteer=gazetteer.iloc[:0])
    assert places_cut_off(od) == ["12.0,-8.0"]


# --------------------------------------------------------------------------- places
def test_ambiguous_name_lists_the_candidates(tmp_path):
    from routerisk.geo.gazetteer import load_gazetteer

    path = tmp_path / "places.csv"
    path.write_text("country_iso3,osm_node_id,lat,lon,name,name_en,place,population\n"
                    "MLI,1,12.0,-8.0,Koro,,town,\nMLI,2,14.1,-3.1,Koro,,town,\n",
                    encoding="utf-8")
    with pytest.raises(GeocodeError, match=r"ambiguous place 'Koro'.*12\.0000.*14\.1000"):
        geocode("Koro", country="MLI", gazetteer=load_gazetteer(path))


def test_gulf_gazetteer_is_read_beside_the_west_african_one():
    tema = geocode("Tema")   # once a village of Burkina Faso
    assert tema.country_iso3 == "GHA" and great_circle_km(tema.lat, tema.lon, 5.67, -0.02) < 5
    assert geocode("Niamey").country_iso3 == "NER"


# --------------------------------------------------------------------------- real network
PORTS = {"lome": (6.13, 1.22), "tema": (5.67, -0.02), "cotonou": (6.37, 2.43),
         "niamey": (13.51, 2.11)}


@pytest.fixture(scope="module")
def baseline(risk_study_network):
    return compute_baseline(risk_study_network, load_routes(), towns=True)


@pytest.mark.slow
def test_every_port_resolves_to_its_place_and_every_route_is_simple(baseline,
                                                                     risk_study_network):
    G = risk_study_network
    for name, (lat, lon) in PORTS.items():
        origin = baseline.stops[name][0]
        node = G.nodes[origin.node]
        assert great_circle_km(lat, lon, node["y"], node["x"]) < 15, name
        towns = baseline.metrics[name].towns
        assert towns[-1] == "Bamako", name
    for name in ("lome", "tema", "cotonou"):   # through Burkina Faso
        towns = baseline.metrics[name].towns
        assert "Ouagadougou" in towns and "Bobo-Dioulasso" in towns, name
    assert baseline.stops["cotonou"][0].how == "network"   # the network's Cotonou node
    for name, nodes in baseline.paths.items():
        assert len(nodes) == len(set(nodes)), f"route {name} repeats a node"
    # the Nouakchott route passes Nioro once (no U-turn to the gazetteer point)
    assert baseline.metrics["nouakchott"].towns.count("Nioro") == 1


@pytest.mark.slow
def test_detours_are_simple_and_never_cheaper_than_the_cheapest_road(baseline,
                                                                      risk_study_network):
    presets = load_presets()
    for name in presets.scenarios:
        res = run_scenario(risk_study_network, presets.scenario(name), presets=presets,
                           baseline=baseline)
        for route, nodes in res.paths.items():
            assert len(nodes) == len(set(nodes)), (name, route)
        t = res.routes[res.routes["status"] == "detour"]
        for route, row in t.iterrows():
            assert row["new_cost_h"] >= baseline.cheapest_cost_h[route] - 1e-6
            if row["new_cost_h"] < row["cost_h"]:   # only when the corridor is not cheapest
                assert baseline.not_cheapest(route) and row["detour_cheaper"]
                assert any(route in w and "not the cheapest" in w for w in res.warnings)


@pytest.mark.slow
def test_kayes_nioro_blockade_never_lowers_the_disrupted_or_cut_off_share(baseline,
                                                                          risk_study_network):
    from routerisk.incidents.io import load_catalogue

    presets = load_presets()
    res = run_scenario(risk_study_network, presets.scenario("kayes-nioro-blockade-2025"),
                       presets=presets, catalogue=load_catalogue(), baseline=baseline)
    assert res.share_cut >= 0.0
    assert res.expected_share_disrupted >= res.expected_share_disrupted_baseline
    assert res.share_cut + res.expected_share_disrupted > res.expected_share_disrupted_baseline
    # the blockade costs fuel: less arrives with the same fleet, more tanker-days to keep it
    assert res.supply["arriving_m3_per_day"] < res.supply_baseline["arriving_m3_per_day"]
    assert res.supply["extra_tanker_days_per_day"] > 0


@pytest.mark.slow
def test_import_ban_reports_cut_off_apart_from_disrupted(baseline, risk_study_network):
    presets = load_presets()
    res = run_scenario(risk_study_network, presets.scenario("fuel-import-ban-2025"),
                       presets=presets, baseline=baseline)
    assert 0.95 <= res.share_cut < 0.98          # the four named countries
    assert res.expected_share_disrupted > 0      # what still comes is exposed, not 0 %
    sup = res.supply
    assert sup["arriving_m3_per_day"] == pytest.approx((1 - res.share_cut) * 2700)
    assert sup["days_of_cover"] == pytest.approx(10 / res.share_cut)


@pytest.mark.slow
def test_rn1_links_rank_among_the_most_critical_for_the_dakar_supply(baseline,
                                                                     risk_study_network):
    from routerisk.supply.criticality import criticality

    G = risk_study_network
    crit = criticality(G, baseline=baseline, label=False)
    dakar = crit.links[crit.links["routes"].str.split(", ").map(lambda r: "dakar" in r)]
    dakar = dakar.reset_index(drop=True)
    rn1 = {lk for c in resolve_closures(G, Scenario(roads=["RN1"]), presets=load_presets())
           for lk in c.links}
    ranks = [i for i, lk in enumerate(dakar["link"]) if lk in rn1]
    assert len(ranks) >= 3
    # two RN1 links among the four most critical links of the Dakar supply (after the
    # Dakar peninsula road, a single point of failure), none in the bottom third
    assert sorted(ranks)[1] <= 3, ranks
    assert max(ranks) < 2 * len(dakar) / 3, (ranks, len(dakar))
    for r in ranks:   # cutting RN1 diverts the Dakar volume onto a dearer road
        assert dakar.loc[r, "extra_hours_weighted"] > 0
        assert dakar.loc[r, "share_detour"] >= 0.475


@pytest.mark.slow
def test_scenario_command_reports_fuel_arriving_and_days_of_cover(capsys, default_risk_model):
    import json

    from routerisk.cli import main
    from routerisk.supply.cost import load_cost
    from routerisk.supply.logistics import load_supply

    assert main(["--quiet", "scenario", "august-2025-declaration"]) == 0
    out = capsys.readouterr().out
    assert "m³/day arriving" in out and "Bamako stock: runs out in" in out
    assert "Cut off (no route: banned or no open road): 96.7 %" in out
    named = {**load_routes().assumptions_in_use(), **load_cost().assumptions,
             **load_supply().assumptions}
    for key in named:
        assert f"[{key}]" in out, key
    assert main(["--quiet", "scenario", "august-2025-declaration", "--json",
                 "--demand-m3-per-day", "3000", "--stock-days", "6"]) == 0
    data = json.loads(capsys.readouterr().out)
    sup = data["supply"]
    assert sup["demand_m3_per_day"] == 3000 and sup["arriving_m3_per_day"] == pytest.approx(100)
    assert sup["days_of_cover"] == pytest.approx(6 * 3000 / 2900)
    assert all("m3_per_day_arriving" in r and "extra_tanker_days_per_day" in r
               for r in data["routes"])
    assert "Kayes" in data["places_cut_off"]
    assert not math.isnan(sup["tankers_lost_per_month"])
