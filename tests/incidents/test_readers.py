"""Incident readers on the real shared files and on small files the tests write.

ACLED rows are never committed: the layout tests write their own rows in ACLED's layout.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from routerisk.config import UCDP_FILE, shared_file
from routerisk.errors import DataNotFoundError, ValidationError
from routerisk.incidents.acled import read_acled
from routerisk.incidents.acled_taxonomy import ACLED_SUB_EVENT_TYPES
from routerisk.incidents.io import default_incidents, detect_format, load_catalogue, read_incidents
from routerisk.incidents.native import read_routerisk
from routerisk.incidents.schema import INCIDENT_COLUMNS, VIOLENT_TYPES, EventType, Target
from routerisk.incidents.ucdp import read_ucdp

COLUMNS = [*INCIDENT_COLUMNS, "geometry"]


# --- the real ACLED file -------------------------------------------------------------------

def test_acled_real_file_rows_and_dates(acled_frame):
    f = acled_frame
    assert list(f.columns) == COLUMNS
    assert len(f) == 5885
    assert f["incident_id"].is_unique
    assert f["date"].min() == pd.Timestamp("1997-01-06")
    assert f["date"].max() == pd.Timestamp("2019-12-31")
    assert str(f["date"].dtype) == "datetime64[ns]"
    assert f.crs.to_epsg() == 4326
    assert f.attrs["filtered"] == {}
    assert f.attrs["layout"] == "one row per event"
    assert set(f["country"]) == {"MLI", "BFA", "NER"}
    assert set(f["event_type"]) <= {e.value for e in EventType}
    assert set(f["target"]) <= {t.value for t in Target}
    assert (f["source"] == "ACLED").all()
    # time_precision 1/2/3 counts in the file: 5608 / 217 / 60
    assert f["date_precision"].value_counts().to_dict() == {"day": 5608, "week": 217,
                                                             "month": 60}
    # geo_precision 1/2/3 counts in the file: 3938 / 1791 / 156
    assert f["location_precision_km"].value_counts().to_dict() == {2.0: 3938, 25.0: 1791,
                                                                    75.0: 156}


def _row(frame, event_id):
    rows = frame[frame["incident_id"] == f"ACLED-{event_id}"]
    assert len(rows) == 1
    return rows.iloc[0]


def test_acled_spot_checks_read_by_hand(acled_frame):
    # MLI2830, 2019-04-17, Strategic developments / Looting: "JNIM militants reportedly
    # ambushed a MINUSMA (probably subcontractor) logistics convoy ... destroying five
    # tankers", geo_precision 2.
    r = _row(acled_frame, "MLI2830")
    assert (r["event_type"], r["target"]) == ("convoy_ambush", "fuel_tanker")
    assert r["date"] == pd.Timestamp("2019-04-17")
    assert r["location_precision_km"] == 25.0
    assert r["source_ref"].startswith("MLI2830 (data_id ")
    assert r["actor"].startswith("JNIM")
    # BFO1842, IED "following the passage of fuel tanker part of a military supply mission"
    r = _row(acled_frame, "BFO1842")
    assert (r["event_type"], r["target"]) == ("ied", "fuel_tanker")
    # MLI1661, Armed clash: "Malian army convoy ambushed along the axis Menaka-Ansongo",
    # 4 killed, second actor state forces (inter2 1)
    r = _row(acled_frame, "MLI1661")
    assert (r["event_type"], r["target"]) == ("convoy_ambush", "military")
    assert r["fatalities"] == 4
    # MLI221, Non-state actor overtakes territory, "A rebel coalition overtake Gao",
    # time_precision 2
    r = _row(acled_frame, "MLI221")
    assert r["event_type"] == "attack_on_town" and r["date_precision"] == "week"
    # MLI9, Abduction: "A UNHCR employee was kidnapped ... in Kidal", civilians
    r = _row(acled_frame, "MLI9")
    assert (r["event_type"], r["target"]) == ("kidnapping", "civilians")
    # MLI1, the first row: a protest in Bamako at 12.65, -8.0
    r = _row(acled_frame, "MLI1")
    assert r["event_type"] == "protest"
    assert (r["latitude"], r["longitude"], r["place"]) == (12.65, -8.0, "Bamako")
    # MLI72: time_precision 3, geo_precision 3 ("AQIM set up training camp(s) in Timbuktu")
    r = _row(acled_frame, "MLI72")
    assert (r["event_type"], r["date_precision"], r["location_precision_km"]) == (
        "strategic", "month", 75.0)


def test_acled_violent_only_and_bbox_are_counted(tmp_path, acled_frame):
    from routerisk.config import ACLED_FILE
    f = read_acled(shared_file(ACLED_FILE), violent_only=True, bbox=(-12.5, 10.0, 4.3, 25.0))
    filtered = f.attrs["filtered"]
    assert set(f["event_type"]) <= VIOLENT_TYPES
    assert sum(filtered.values()) + len(f) == 5885
    assert filtered["non-violent type: protest"] > 1000
    assert filtered["outside bbox"] > 0
    assert f["longitude"].min() >= -12.5


# --- ACLED layouts, rows written here ------------------------------------------------------

ACLED_EVENT = {
    "data_id": "900001", "iso": "466", "event_id_cnty": "MLI90001", "event_id_no_cnty": "90001",
    "event_date": "2019-03-02", "year": "2019", "time_precision": "1",
    "event_type": "Battles", "sub_event_type": "Armed clash",
    "actor1": "JNIM: Group for Support of Islam and Muslims", "assoc_actor_1": "",
    "inter1": "2", "actor2": "Military Forces of Mali (2013-2020)", "assoc_actor_2": "",
    "inter2": "1", "interaction": "12", "region": "Western Africa", "country": "Mali",
    "admin1": "Kayes", "admin2": "Diema", "admin3": "Diema", "location": "Diema",
    "latitude": "14.5406", "longitude": "-9.1869", "geo_precision": "1",
    "source": "Test", "source_scale": "National",
    "notes": "Test row: militants ambushed a fuel tanker convoy escorted by the army on the "
             "road near Diema.",
    "fatalities": "3", "timestamp": "1600000000", "iso3": "MLI",
}


def _monadic(event, **extra):
    """The two actor rows of ``event`` in ACLED's one-row-per-actor layout."""
    base = {k: v for k, v in event.items()
            if k not in {"actor2", "assoc_actor_2", "inter2"}} | extra
    second = base | {"actor1": event["actor2"], "assoc_actor_1": event["assoc_actor_2"],
                     "inter1": event["inter2"]}
    return [base, second]


def test_acled_one_row_per_event_layout(write_csv):
    other = ACLED_EVENT | {"data_id": "900002", "event_id_cnty": "MLI90002",
                           "event_type": "Violence against civilians",
                           "sub_event_type": "Abduction/forced disappearance",
                           "actor2": "Civilians (Mali)", "inter2": "7",
                           "notes": "Test row: gunmen abducted two bus passengers.",
                           "fatalities": "0"}
    f = read_acled(write_csv([ACLED_EVENT, other]))
    assert list(f.columns) == COLUMNS and len(f) == 2
    a, b = f.iloc[0], f.iloc[1]
    assert (a["incident_id"], a["event_type"], a["target"]) == (
        "ACLED-MLI90001", "convoy_ambush", "fuel_tanker")
    assert a["source_ref"] == "MLI90001 (data_id 900001)"
    assert (b["event_type"], b["target"]) == ("kidnapping", "passenger_transport")
    assert f.attrs["layout"] == "one row per event"


def test_acled_one_row_per_actor_layout_collapses(write_csv):
    second = ACLED_EVENT | {"data_id": "900002", "event_id_cnty": "MLI90002",
                            "event_date": "3 March 2019",
                            "event_type": "Violence against civilians",
                            "sub_event_type": "Attack", "actor2": "Civilians (Mali)",
                            "assoc_actor_2": "Traders (Mali)", "inter2": "7",
                            "notes": "Test row: gunmen killed a man in a village.",
                            "fatalities": "1"}
    single = ACLED_EVENT | {"data_id": "900003", "event_id_cnty": "MLI90003",
                            "event_type": "Protests", "sub_event_type": "Peaceful protest",
                            "actor1": "Protesters (Mali)", "inter1": "6", "actor2": "",
                            "inter2": "", "notes": "Test row: a protest.", "fatalities": "0"}
    rows = _monadic(ACLED_EVENT) + _monadic(second) + [
        {k: v for k, v in single.items() if k not in {"actor2", "assoc_actor_2", "inter2"}}]
    f = read_acled(write_csv(rows, "monadic.csv"))
    assert len(f) == 3
    assert f.attrs["layout"] == "one row per actor"
    assert f.attrs["actor_rows_collapsed"] == 2
    by_id = f.set_index("incident_id")
    a = by_id.loc["ACLED-MLI90001"]
    assert a["actor"].startswith("JNIM") and a["target"] == "fuel_tanker"
    assert a["event_type"] == "convoy_ambush"
    b = by_id.loc["ACLED-MLI90002"]
    assert b["date"] == pd.Timestamp("2019-03-03")       # "3 March 2019" spelling
    assert (b["event_type"], b["target"], b["fatalities"]) == (
        "violence_against_civilians", "civilians", 1)
    assert by_id.loc["ACLED-MLI90003", "event_type"] == "protest"

    # the same events in the one-row-per-event layout give the same frame
    g = read_acled(write_csv([ACLED_EVENT, second, single], "dyadic.csv"))
    cols = [c for c in INCIDENT_COLUMNS if c != "actor"]
    pd.testing.assert_frame_equal(pd.DataFrame(f[cols]), pd.DataFrame(g[cols]))


def test_acled_actor_rows_that_disagree_are_reported(write_csv):
    rows = _monadic(ACLED_EVENT)
    rows[1]["latitude"] = "15.0"
    with pytest.raises(ValidationError) as err:
        read_acled(write_csv(rows))
    assert any("rows 1, 2, 'latitude'" in p and "MLI90001" in p for p in err.value.problems)


def test_acled_sub_event_types_all_mapped(acled_frame):
    known = {e.value for e in EventType}
    assert set(ACLED_SUB_EVENT_TYPES.values()) <= known
    for name in ("Armed clash", "Attack", "Remote explosive/landmine/IED",
                 "Abduction/forced disappearance", "Looting/property destruction",
                 "Non-state actor overtakes territory", "Government regains territory",
                 "Shelling/artillery/missile attack", "Air/drone strike", "Suicide bomb",
                 "Sexual violence", "Grenade", "Peaceful protest", "Mob violence",
                 "Agreement"):
        assert name in ACLED_SUB_EVENT_TYPES


def test_acled_french_notes(write_csv):
    row = ACLED_EVENT | {"notes": "Des hommes armés ont attaqué un convoi de camions-citernes "
                                  "sur l'axe Kayes-Diboli.",
                         "actor2": "Civilians (Mali)", "inter2": "7"}
    f = read_acled(write_csv([row]))
    assert (f.iloc[0]["event_type"], f.iloc[0]["target"]) == ("convoy_ambush", "fuel_tanker")


# --- UCDP ----------------------------------------------------------------------------------

def test_ucdp_sample_real_file():
    f = read_ucdp(shared_file(UCDP_FILE))
    assert list(f.columns) == COLUMNS
    assert len(f) == 80
    assert f.attrs["layout"] == "reduced sample"
    raw = pd.read_csv(shared_file(UCDP_FILE))
    assert f["country"].value_counts()["MLI"] == (raw["country"] == "Mali").sum() == 33
    # id 39361: 1989-07-16, Mauritania, one-sided (3), best 2
    r = f.set_index("incident_id").loc["UCDP-39361"]
    assert r["date"] == pd.Timestamp("1989-07-16")
    assert (r["event_type"], r["target"], r["fatalities"], r["country"]) == (
        "violence_against_civilians", "civilians", 2, "MRT")
    # id 40349: non-state (2), 40 deaths
    r = f.set_index("incident_id").loc["UCDP-40349"]
    assert (r["event_type"], r["fatalities"]) == ("clash", 40)
    assert set(f["source"]) == {"UCDP GED"}


UCDP_FULL = {
    "id": "500001", "relid": "MLI-2018-1-500-1", "year": "2018", "active_year": "1",
    "code_status": "Clear", "type_of_violence": "1", "conflict_dset_id": "11347",
    "conflict_new_id": "11347", "conflict_name": "Mali: Government", "dyad_dset_id": "1",
    "dyad_new_id": "1", "dyad_name": "Government of Mali - JNIM", "side_a_dset_id": "1",
    "side_a_new_id": "1", "side_a": "Government of Mali", "side_b_dset_id": "2",
    "side_b_new_id": "2", "side_b": "JNIM", "number_of_sources": "1",
    "source_article": "Test", "source_office": "", "source_date": "",
    "source_headline": "Soldiers killed near Douentza", "source_original": "",
    "where_prec": "2", "where_coordinates": "Douentza town", "where_description": "",
    "adm_1": "Mopti region", "adm_2": "", "latitude": "14.9951", "longitude": "-2.9517",
    "geom_wkt": "POINT (-2.9517 14.9951)", "priogrid_gid": "1", "country": "Mali",
    "country_id": "432", "region": "Africa", "event_clarity": "1", "date_prec": "4",
    "date_start": "2018-05-01 00:00:00.000", "date_end": "2018-05-31 00:00:00.000",
    "deaths_a": "3", "deaths_b": "1", "deaths_civilians": "0", "deaths_unknown": "0",
    "best": "4", "high": "5", "low": "4", "gwnoa": "432", "gwnob": "",
}


def test_ucdp_full_layout(write_csv):
    third = UCDP_FULL | {"id": "500002", "relid": "X-2", "type_of_violence": "3",
                         "where_prec": "4", "date_prec": "1", "best": "7"}
    path = write_csv([UCDP_FULL, third])
    assert detect_format(path) == "ucdp"
    f = read_incidents(path)
    assert f.attrs["layout"] == "full"
    a, b = f.set_index("incident_id").loc["UCDP-500001"], f.set_index("incident_id").loc[
        "UCDP-500002"]
    assert (a["event_type"], a["target"], a["date_precision"], a["location_precision_km"]) == (
        "clash", "military", "month", 25.0)
    assert a["date"] == pd.Timestamp("2018-05-01")
    assert a["actor"] == "Government of Mali vs JNIM"
    assert a["place"] == "Douentza town" and a["country"] == "MLI"
    assert a["source_ref"] == "500001 (relid MLI-2018-1-500-1)"
    assert (b["event_type"], b["date_precision"], b["location_precision_km"], b["fatalities"]) \
        == ("violence_against_civilians", "day", 150.0, 7)


def test_ucdp_bad_codes_reported(write_csv):
    with pytest.raises(ValidationError) as err:
        read_ucdp(write_csv([UCDP_FULL | {"type_of_violence": "9", "where_prec": "x"}]))
    text = "\n".join(err.value.problems)
    assert "row 1, 'type_of_violence': must be one of 1, 2, 3; got '9'" in text
    assert "row 1, 'where_prec'" in text


# --- routerisk's own schema ----------------------------------------------------------------

OWN = {"incident_id": "X-1", "date": "2025-09-14", "date_precision": "day",
       "latitude": "14.4469", "longitude": "-11.4445", "location_precision_km": "50",
       "place": "east of Kayes", "country": "MLI", "event_type": "convoy_ambush",
       "target": "fuel_tanker", "actor": "JNIM", "fatalities": "", "vehicles_destroyed": "40",
       "closure_radius_km": "", "source": "analyst report", "source_ref": "note 12",
       "notes": "test"}


def test_routerisk_csv_minimal_and_full(write_csv):
    minimal = {k: OWN[k] for k in ("incident_id", "date", "latitude", "longitude",
                                   "event_type", "source")}
    f = read_routerisk(write_csv([minimal], "min.csv"))
    assert list(f.columns) == COLUMNS
    r = f.iloc[0]
    assert (r["date_precision"], r["location_precision_km"], r["target"]) == (
        "day", 2.0, "unknown")
    assert pd.isna(r["fatalities"])
    f = read_routerisk(write_csv([OWN], "full.csv"))
    assert f.iloc[0]["vehicles_destroyed"] == 40
    assert detect_format(write_csv([OWN], "x.csv")) == "routerisk"


def test_routerisk_geojson(tmp_path):
    props = {k: v for k, v in OWN.items() if k not in {"latitude", "longitude"} and v != ""}
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-11.4445, 14.4469]},
         "properties": props | {"vehicles_destroyed": 40}}]}
    path = tmp_path / "own.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    f = read_incidents(path)
    assert len(f) == 1 and f.iloc[0]["latitude"] == 14.4469
    assert f.iloc[0].geometry.x == -11.4445
    doc["features"][0]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValidationError, match="feature 1, 'geometry': must be a Point"):
        read_incidents(path)


def test_routerisk_closure_radius_only_for_blockades(write_csv):
    with pytest.raises(ValidationError, match="row 1, 'closure_radius_km'"):
        read_routerisk(write_csv([OWN | {"closure_radius_km": "30"}]))
    f = read_routerisk(write_csv([OWN | {"closure_radius_km": "30", "event_type": "blockade"}]))
    assert f.iloc[0]["closure_radius_km"] == 30.0


# --- catalogue and defaults ----------------------------------------------------------------

def test_load_catalogue_missing_file(tmp_path):
    with pytest.raises(DataNotFoundError, match="catalogue not found"):
        load_catalogue(tmp_path / "nope.csv")


def test_default_incidents_merges_catalogue_and_acled(write_csv):
    from routerisk.config import ACLED_FILE
    # the convoy ambush of ACLED MLI2830 (2019-04-17, Bambara-Maounde 15.8521, -2.786)
    # reported again, a day later and about 2 km away, by a document
    cat = OWN | {"incident_id": "RR-TEST", "date": "2019-04-18", "latitude": "15.86",
                 "longitude": "-2.77", "place": "near Bambara-Maounde", "fatalities": "2",
                 "source": "seeds/999_test.txt", "source_ref": "a quote"}
    other = OWN | {"incident_id": "RR-TEST-2"}  # 2025: nothing in ACLED to merge with
    path = write_csv([cat, other], "cat.csv")
    f = default_incidents(catalogue=path, acled=shared_file(ACLED_FILE))
    assert len(f) == 5885 + 2 - 1
    assert f.attrs["duplicates_merged"] == 1
    assert f.attrs["sources"] == [str(path), str(shared_file(ACLED_FILE))]
    merged = f[f["source"].str.contains("seeds/999_test.txt")].iloc[0]
    assert merged["source"] == "ACLED; seeds/999_test.txt"
    assert "MLI2830" in merged["source_ref"] and "a quote" in merged["source_ref"]
    assert (merged["event_type"], merged["target"], merged["fatalities"]) == (
        "convoy_ambush", "fuel_tanker", 2)
    assert merged["location_precision_km"] == 25.0  # the more precise of 25 and 50 km
    assert merged["date"] == pd.Timestamp("2019-04-17")  # same precision: the earlier date
    assert "RR-TEST-2" in set(f["incident_id"])


def test_reader_cache_returns_copies_and_sees_changes(write_csv):
    path = write_csv([OWN])
    a = read_routerisk(path)
    a.loc[0, "place"] = "changed"
    a.attrs["filtered"]["x"] = 1
    b = read_routerisk(path)
    assert b.loc[0, "place"] == "east of Kayes" and b.attrs["filtered"] == {}
    write_csv([OWN, OWN | {"incident_id": "X-2"}])  # same path, new content
    assert len(read_routerisk(path)) == 2


def test_enum_fields_are_plain_strings(write_csv):
    minimal = {k: OWN[k] for k in ("incident_id", "date", "latitude", "longitude",
                                   "event_type", "source")}
    r = read_routerisk(write_csv([minimal])).iloc[0]
    for col in ("target", "date_precision", "event_type"):
        assert type(r[col]) is str, col


# --- gazetteer fallback (the geocoder the catalogue uses) ----------------------------------

def test_geocode_other_country_fallback_is_logged(gazetteer, caplog):
    from routerisk.geo.gazetteer import geocode

    with caplog.at_level("WARNING", logger="routerisk.gazetteer"):
        p = geocode("Farabougou", country="MLI", gazetteer=gazetteer)
    assert p.country_iso3 == "SEN"  # the Malian Farabougou is not in the 2019 extract
    assert "not in the gazetteer for MLI" in caplog.text
