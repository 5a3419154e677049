"""The curated catalogue: it validates, cites its articles verbatim, and is geocoded
reproducibly from the OSM gazetteer (``incidents/geocode_catalogue.py``)."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import re
import sys
from collections import Counter

import pandas as pd
import pytest
from pydantic import ValidationError

from routerisk.config import CHECKOUT, shared_file
from routerisk.geo.gazetteer import normalize_name
from routerisk.geo.sphere import great_circle_km
from routerisk.incidents.schema import CLOSURE_TYPES, INCIDENT_COLUMNS, Incident

CATALOGUE = CHECKOUT / "incidents" / "catalogue.csv"
SCRIPT = CHECKOUT / "incidents" / "geocode_catalogue.py"
ID_RE = re.compile(r"^RR-\d{4}(-\d{2}(-\d{2})?)?(-[A-Z0-9]+)+$")
#: A quotation inside ``notes``: straight double quotes (the articles use none).
NOTE_QUOTE_RE = re.compile(r'"([^"]+)"')


def _load_script():
    spec = importlib.util.spec_from_file_location("geocode_catalogue", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while it is built
    spec.loader.exec_module(module)
    return module


geo = _load_script()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    header, data = geo.read_rows(CATALOGUE)
    assert header == list(INCIDENT_COLUMNS)
    return data


@pytest.fixture(scope="module")
def incidents(rows) -> dict[str, Incident]:
    out, problems = {}, []
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        clean = {k: v for k, v in row.items() if v.strip()}
        try:
            out[row["incident_id"]] = Incident.model_validate(clean)
        except ValidationError as exc:
            problems.append(f"line {i} ({row['incident_id']}): {exc}")
    assert not problems, "\n".join(problems)
    return out


def _article(source: str) -> str:
    assert source.startswith("seeds/"), source
    return shared_file("../" + source, what="source article").read_text(encoding="utf-8")


def test_header_is_the_incident_layout():
    with open(CATALOGUE, encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == list(INCIDENT_COLUMNS)


def test_every_row_validates(rows, incidents):
    assert len(incidents) == len(rows) >= 25


def test_reader_loads_the_catalogue(rows):
    from routerisk.incidents.io import load_catalogue

    frame = load_catalogue(CATALOGUE)
    assert len(frame) == len(rows) and not frame.attrs.get("filtered")
    assert list(frame["incident_id"]) == [r["incident_id"] for r in rows]
    assert frame.crs.to_epsg() == 4326
    closures = frame[frame["event_type"] == "blockade"]
    assert closures["closure_radius_km"].notna().all() and len(closures) == 4
    assert frame.attrs["coverage"] == []  # curated reports are never systematic coverage


def test_ids_unique_and_readable(rows, incidents):
    ids = [r["incident_id"] for r in rows]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    for rid, inc in incidents.items():
        assert ID_RE.match(rid), rid
        prefix = {"day": 10, "week": 10, "month": 7, "year": 4}[inc.date_precision]
        assert rid.startswith("RR-" + inc.date.isoformat()[:prefix] + "-"), rid


def test_every_quote_is_verbatim_in_its_article(rows):
    missing = []
    for row in rows:
        text = _article(row["source"])
        quotes = [row["source_ref"], *NOTE_QUOTE_RE.findall(row["notes"])]
        assert row["source_ref"].strip(), row["incident_id"]
        missing += [(row["incident_id"], q) for q in quotes if q not in text]
    assert missing == []


def test_all_five_articles_are_used(rows):
    assert {r["source"] for r in rows} == {
        "seeds/000_2190bd8219b8b713.txt", "seeds/001_372ff7dd65347345.txt",
        "seeds/002_dcff6df73f7b6da8.txt", "seeds/003_bb38968f911fc195.txt",
        "seeds/004_d5508ec6fa79f1a3.txt"}


def test_date_precision_is_honest(incidents):
    for rid, inc in incidents.items():
        if inc.date_precision == "month":
            assert inc.date.day == 1, rid
        if inc.date_precision == "year" and (inc.date.month, inc.date.day) != (1, 1):
            # a year-precision row not on 1 January is dated from the earliest day the
            # article allows, and says so
            assert "earliest date the article allows" in inc.notes, rid
        assert dt.date(2012, 1, 1) <= inc.date <= dt.date(2025, 12, 31), rid


def test_closures_have_a_radius_and_only_closures(incidents):
    for rid, inc in incidents.items():
        assert (inc.closure_radius_km is not None) == (inc.event_type in CLOSURE_TYPES), rid


def test_key_events(incidents):
    july = {i.place for i in incidents.values()
            if i.date == dt.date(2025, 7, 1) and i.event_type == "attack_on_town"}
    assert {"Kayes", "Nioro du Sahel", "Diboli"} <= july

    convoy = incidents["RR-2025-09-14-CONVOY-KAYES-NIORO"]
    assert (convoy.date, convoy.date_precision) == (dt.date(2025, 9, 14), "day")
    assert convoy.event_type == "convoy_ambush" and convoy.target == "fuel_tanker"
    assert convoy.vehicles_destroyed == 40

    for rid in ("RR-2025-08-KAYES-BLOCKADE", "RR-2025-08-NIORO-DU-SAHEL-BLOCKADE",
                "RR-2025-DIAFARABE-BLOCKADE", "RR-2025-LERE-BLOCKADE"):
        b = incidents[rid]
        assert b.event_type == "blockade" and b.target == "town" and b.closure_radius_km > 0
    tankers = incidents["RR-2025-09-01-ZEGOUA-SIKASSO-TANKERS"]
    assert tankers.target == "fuel_tanker" and "1,000 fuel trucks" in tankers.source_ref

    fara = incidents["RR-2025-08-FARABOUGOU"]
    assert (fara.date, fara.date_precision) == (dt.date(2025, 8, 1), "month")

    konna = incidents["RR-2013-01-10-KONNA"]
    assert konna.event_type == "attack_on_town" and konna.date.year == 2013
    assert incidents["RR-2018-04-05-KIDAL"].fatalities == 2
    assert incidents["RR-2022-03-21-GAO-REGION"].date == dt.date(2022, 3, 21)
    assert incidents["RR-2022-03-MENAKA-NMLA"].fatalities == 33


def test_coordinates_are_reproduced_from_the_gazetteer(rows, gazetteer):
    assert geo.differences(rows, gazetteer) == []


def test_every_point_lies_within_its_precision_of_the_named_places(incidents, gazetteer):
    from routerisk.geo.gazetteer import geocode

    for rid, inc in incidents.items():
        recipe = geo.RECIPES[rid]
        for name in recipe.names:
            p = geocode(name, country=recipe.country, gazetteer=gazetteer)
            d = geo.distance_km(inc.latitude, inc.longitude, p.lat, p.lon)
            if isinstance(recipe, geo.Across):
                assert abs(d - recipe.distance_km) < 1.0 <= inc.location_precision_km, rid
            elif isinstance(recipe, geo.Offset):
                # the place itself is missing: the point is at the stated distance instead
                assert abs(d - recipe.distance_km) < 1.0, rid
                assert not geo.in_gazetteer(recipe.missing, recipe.country, gazetteer)
                assert normalize_name(recipe.missing) in normalize_name(inc.place), rid
            else:
                assert d <= inc.location_precision_km + 1e-6, (rid, name, round(d, 1))
            # the row names the gazetteer place it was placed from
            assert normalize_name(name) in normalize_name(inc.place + " " + inc.notes), rid


def test_offset_and_midpoint_geometry():
    lat, lon = geo.destination(15.0, -4.0, 270.0, 350.0)
    assert abs(geo.distance_km(15.0, -4.0, lat, lon) - 350.0) < 0.01
    assert abs(lat - 15.0) < 0.2 and lon < -7.0
    mlat, mlon = geo.midpoint(10.0, -6.0, 12.0, -6.0)
    assert abs(mlat - 11.0) < 1e-9 and abs(mlon + 6.0) < 1e-9


def test_geocode_script_checks_and_detects_a_moved_row(rows, gazetteer, capsys):
    assert geo.main(["--catalogue", str(CATALOGUE)]) == 0
    assert "0 differ" in capsys.readouterr().out
    moved = [dict(r) for r in rows]
    moved[0]["latitude"] = str(float(moved[0]["latitude"]) + 0.1)
    diffs = geo.differences(moved, gazetteer)
    assert [d[0] for d in diffs] == [moved[0]["incident_id"]]
    assert [d[0] for d in geo.differences(rows[1:], gazetteer)] == [rows[0]["incident_id"]]


# --- corrections checked against the seed sentence ------------------------------------------

def _km(a: Incident, lat: float, lon: float) -> float:
    return geo.distance_km(a.latitude, a.longitude, lat, lon)


def test_kidal_is_the_aguelhok_attack_at_region_precision(incidents, gazetteer):
    from routerisk.geo.gazetteer import geocode

    kidal = incidents["RR-2018-04-05-KIDAL"]
    assert "In the north (Kidal)" in kidal.source_ref
    # the article names the region, not the camp: the radius reaches Aguelhok (ACLED's
    # point for the same attack, 19.4695 N 0.856 E) and the region's far towns
    assert kidal.location_precision_km >= _km(kidal, 19.4695, 0.856) > 100
    tessalit = geocode("Tessalit", country="MLI", gazetteer=gazetteer)
    assert kidal.location_precision_km >= _km(kidal, tessalit.lat, tessalit.lon) - 1
    assert "Region" in kidal.place and "Aguelhok" in kidal.notes


@pytest.mark.slow
def test_kidal_row_merges_with_the_acled_aguelhok_row():
    from routerisk.incidents.io import default_incidents

    frame = default_incidents()
    row = frame[frame["notes"].str.contains("RR-2018-04-05-KIDAL", regex=False)]
    assert len(row) == 1
    r = row.iloc[0]
    assert r["incident_id"] == "ACLED-MLI1949" and r["place"] == "Aguelhok"
    assert r["source"] == "ACLED; seeds/001_372ff7dd65347345.txt"
    # the October 2017 ambush, now placed in Niger, merges with ACLED's Tongo Tongo row
    niger = frame[frame["notes"].str.contains("RR-2017-10-NIGER-NEAR-AKABAR", regex=False)]
    assert list(niger["place"]) == ["Tongo Tongo"] and list(niger["country"]) == ["NER"]


def test_farabougou_rows_are_in_segou_region_and_coded_alike(incidents, gazetteer):
    from routerisk.geo.gazetteer import geocode

    rows = [incidents["RR-2020-FARABOUGOU-LIBERATION"], incidents["RR-2025-08-FARABOUGOU"]]
    nara = geocode("Nara", country="MLI", gazetteer=gazetteer)
    assert "Segou Region" in rows[1].source_ref
    # the nearest ACLED locations to the point lie in Ségou Region (ACLED's admin1)
    acled = pd.read_csv(shared_file("incidents/acled_mli_bfa_ner_1997_2019.csv"),
                        usecols=["admin1", "latitude", "longitude"])
    for r in rows:
        assert _km(r, nara.lat, nara.lon) > 100  # no longer 31 km from Nara
        d = pd.Series(great_circle_km(r.latitude, r.longitude, acled["latitude"],
                                      acled["longitude"]), index=acled.index)
        assert set(acled.loc[d.nsmallest(5).index, "admin1"]) == {"Segou"}, r.incident_id
        assert "Ségou Region" in r.place
    assert {(r.event_type, r.target) for r in rows} == {("attack_on_town", "town")}
    assert len({(r.latitude, r.longitude, r.location_precision_km) for r in rows}) == 1


def test_no_undated_campaign_is_a_violent_point_event(rows, incidents):
    from routerisk.incidents.schema import VIOLENT_TYPES

    article = _article("seeds/000_2190bd8219b8b713.txt")
    campaign = ("targeting the Bamako-Segou transit corridor", "Similar attacks")
    assert all(c in article for c in campaign)
    for rid, inc in incidents.items():
        if inc.event_type in VIOLENT_TYPES:
            assert not any(c in inc.source_ref for c in campaign), rid
    assert "RR-2025-BAMAKO-SEGOU-CORRIDOR" not in incidents
    assert "RR-2025-NEAR-BAMAKO-VEHICLE-ATTACKS" not in incidents


def test_rows_after_the_august_declaration_are_not_dated_before_it(incidents):
    article = _article("seeds/000_2190bd8219b8b713.txt")
    assert "since their declaration" in " ".join(article.split())
    for rid in ("RR-2025-KAYES-PASSENGER-ABDUCTIONS",
                "RR-2025-NIORO-DU-SAHEL-PASSENGER-ABDUCTIONS"):
        inc = incidents[rid]
        assert inc.date == dt.date(2025, 8, 1) and inc.date_precision == "year", rid
    # no 2025 row sits on 1 January unless the article gives no bound (standing blockades)
    early = {rid for rid, i in incidents.items() if i.date == dt.date(2025, 1, 1)}
    assert early == {"RR-2025-DIAFARABE-BLOCKADE", "RR-2025-LERE-BLOCKADE"}


def test_the_fuel_import_ban_is_a_scenario_not_an_incident(incidents):
    from routerisk.supply.scenario_spec import load_presets

    assert "RR-2025-08-FUEL-IMPORT-BAN" not in incidents
    assert all((i.closure_radius_km or 0) <= 25 for i in incidents.values())
    presets = load_presets()
    for name in ("fuel-import-ban-2025", "august-2025-declaration"):
        s = presets.scenario(name)
        assert sorted(s.bans) == ["CIV", "GIN", "MRT", "SEN"]
        assert not any("FUEL-IMPORT-BAN" in src for src in s.sources), name


def test_niger_ambush_point_is_in_niger(incidents, gazetteer):
    from routerisk.geo.gazetteer import geocode

    row = incidents["RR-2017-10-NIGER-NEAR-AKABAR"]
    assert row.country == "NER" and "took place in Niger" in row.notes
    akabar = geocode("Akabar", country="MLI", gazetteer=gazetteer)
    assert _km(row, akabar.lat, akabar.lon) < 50  # "less than 50 kilometers"
    niger = pd.read_csv(shared_file("osm/places_gulf_niger_osm2019.csv"),
                        usecols=["country_iso3", "lat", "lon"])
    d = pd.Series(great_circle_km(row.latitude, row.longitude, niger["lat"], niger["lon"]),
                  index=niger.index)
    near = niger.loc[d.nsmallest(6).index]
    assert set(near["country_iso3"]) == {"NER"} and d.min() < 5
