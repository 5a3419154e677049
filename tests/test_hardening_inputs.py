"""Bad input is refused with one clear message naming the file, row, field or option; limits
on what a user controls hold; nothing far away or empty is accepted silently."""

from __future__ import annotations

import json
import logging
import math

import networkx as nx
import pytest
from shapely.geometry import LineString

from routerisk.config import read_toml, shared_file
from routerisk.errors import (
    ArgumentError,
    DataNotFoundError,
    ResourceLimitError,
    SpecError,
    ValidationError,
)
from routerisk.incidents import _files, filters
from routerisk.incidents.io import check_as_of, detect_format, read_incidents
from routerisk.incidents.native import read_routerisk

GOOD = {"incident_id": "T-1", "date": "2019-03-02", "latitude": "14.5406",
        "longitude": "-9.1869", "event_type": "convoy_ambush", "source": "test"}


def _problems(err) -> str:
    return "\n".join(err.value.problems)


# ----------------------------------------------------------------------- incident files
def test_nul_byte_in_a_cell_names_row_and_field(write_csv):
    path = write_csv(f"{','.join(GOOD)}\n{','.join(GOOD.values())}\n"
                     "T-2,2019-03-03,14.5,-9.1,ied,te\x00st\n")
    with pytest.raises(ValidationError) as err:
        read_routerisk(path)
    assert "row 2, 'source': contains a NUL character" in _problems(err)


def test_deeply_nested_json_is_a_validation_error_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.geojson"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValidationError, match="nested too deeply"):
        read_routerisk(path)


def test_json_property_that_is_an_object_or_too_long_is_a_problem(tmp_path, monkeypatch):
    monkeypatch.setattr(_files, "MAX_FIELD_CHARS", 1000)
    monkeypatch.setattr("routerisk.incidents.native.MAX_FIELD_CHARS", 1000)
    feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-9.18, 14.54]},
              "properties": {**GOOD, "incident_id": f"J-{i}", "place": place}}
             for i, place in enumerate([{"nested": [1, 2]}, "x" * 5000])]
    path = tmp_path / "props.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    with pytest.raises(ValidationError) as err:
        read_routerisk(path)
    text = _problems(err)
    assert "feature 1, 'place': expected a text or a number; got a JSON object" in text
    assert "feature 2, 'place': 5,000 characters; at most 1,000 allowed" in text


def test_whole_file_readers_refuse_files_over_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(_files, "MAX_WHOLE_FILE_BYTES", 1000)
    path = tmp_path / "big.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [],
                                "pad": "x" * 5000}))
    with pytest.raises(ResourceLimitError, match="at most 1,000 bytes"):
        read_routerisk(path)


def test_unclosed_quote_stops_at_the_field_limit(write_csv, monkeypatch):
    monkeypatch.setattr(_files, "MAX_FIELD_CHARS", 1000)
    path = write_csv(f"{','.join(GOOD)}\nT-1,2019-03-02,14.5,-9.1,ied,\"test\n"
                     + "x" * 5000 + "\n")
    with pytest.raises(ValidationError, match="longer than 1,000 characters"):
        read_routerisk(path)


def test_unknown_encoding_is_an_argument_error(write_csv):
    path = write_csv([GOOD])
    with pytest.raises(ArgumentError, match="--encoding 'no-such-codec': unknown"):
        read_incidents(path, encoding="no-such-codec")


def test_very_long_file_name_is_one_clear_error(tmp_path):
    with pytest.raises(DataNotFoundError, match="name too long"):
        read_incidents(tmp_path / ("x" * 300 + ".csv"))


def test_format_detection_names_the_real_problem(write_csv):
    ucdp = {"id": "1", "date_start": "2019-01-01", "latitude": "14.5", "longitude": "-9.1",
            "where_prec": "1", "date_prec": "1", "side_a": "A", "side_b": "B", "best": "2"}
    path = write_csv([ucdp], name="ucdp.csv")
    assert detect_format(path) == "ucdp"
    with pytest.raises(ValidationError) as err:
        read_incidents(path)
    assert "missing column 'type_of_violence' (required in UCDP GED files)" in _problems(err)
    semi = write_csv("event_id_cnty;event_date;sub_event_type;latitude;longitude\n"
                     "MLI1;2019-01-01;Attack;14.5;-9.1\n", name="acled.csv")
    with pytest.raises(ValidationError, match="separated by semicolons, not commas"):
        read_incidents(semi)
    with pytest.raises(ValidationError, match="separated by semicolons, not commas"):
        read_incidents(semi, format="acled")


def test_incidents_far_outside_the_study_area_are_counted_and_warned(write_csv, caplog):
    rows = [GOOD,
            GOOD | {"incident_id": "PARIS", "latitude": "48.8566", "longitude": "2.3522"},
            GOOD | {"incident_id": "SYDNEY", "latitude": "-33.8688", "longitude": "151.2093"},
            GOOD | {"incident_id": "ATLANTIC", "latitude": "10.0", "longitude": "-35.0"}]
    with caplog.at_level(logging.WARNING):
        frame = read_routerisk(write_csv(rows))
    assert list(frame["incident_id"]) == ["T-1"]
    assert frame.attrs["filtered"] == {filters.OUTSIDE_REGION: 3}
    assert any("3 incident(s) more than 10 degrees outside the study area" in r.message
               for r in caplog.records)


def test_empty_data_folder_is_reported_not_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTERISK_DATA", str(tmp_path))
    with pytest.raises(DataNotFoundError, match="is an empty folder"):
        shared_file("osm/places.csv", what="gazetteer")
    monkeypatch.setenv("ROUTERISK_DATA", str(tmp_path / "nope"))
    with pytest.raises(DataNotFoundError, match="does not exist"):
        shared_file("osm/places.csv", what="gazetteer")


# ----------------------------------------------------------------------- dates
def test_as_of_without_history_or_far_past_the_data_is_refused(write_csv):
    frame = read_routerisk(write_csv([GOOD]))
    with pytest.raises(ArgumentError, match="--as-of 1990-01-01: no incident is dated "
                                            "before it"):
        check_as_of(frame, "1990-01-01")
    with pytest.raises(ArgumentError, match="--as-of 2099-01-01: 29,160 days after the "
                                            "latest incident"):
        check_as_of(frame, "2099-01-01")
    check_as_of(frame, "2019-06-01")
    check_as_of(frame, None)


# ----------------------------------------------------------------------- configuration
def test_toml_reader_names_the_file_for_latin1_binary_and_invalid(tmp_path):
    cases = {"latin1.toml": "name = 'Ségou'\n".encode("latin-1"),
             "binary.toml": b"\x00\x01\x02name = 1",
             "invalid.toml": b"[[corridor]\nname = "}
    expected = {"latin1.toml": "not UTF-8", "binary.toml": "binary file",
                "invalid.toml": "not valid TOML"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(SpecError) as err:
            read_toml(tmp_path / name)
        assert str(tmp_path / name) in str(err.value) and expected[name] in str(err.value)


def test_gazetteer_with_wrong_columns_names_them(tmp_path):
    from routerisk.geo.gazetteer import load_gazetteer

    path = tmp_path / "places.csv"
    path.write_text("town,latitude,longitude\nBamako,12.65,-8.0\n")
    with pytest.raises(ValidationError) as err:
        load_gazetteer(path)
    assert str(path) in str(err.value)
    assert "missing column 'country_iso3'" in _problems(err)


def test_unknown_town_in_scenarios_names_the_file(tmp_path, gazetteer):
    from routerisk.supply.scenario_spec import check_towns, load_presets

    path = tmp_path / "scenarios.toml"
    path.write_text("[scenarios.x]\ntitle = 'x'\nblockades = [{town = 'Atlantis'}]\n"
                    "[roads.r]\ntowns = ['Kayes', 'Nowhereville']\n")
    with pytest.raises(ValidationError) as err:
        check_towns(load_presets(path), path, gazetteer=gazetteer)
    assert err.value.source == str(path)
    text = _problems(err)
    assert "'scenarios.x.blockades[0].town'" in text and "Atlantis" in text
    assert "'roads.r.towns[1]'" in text and "Nowhereville" in text


# ----------------------------------------------------------------------- road graphs
def _graph() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=-8.0, y=12.65)
    G.add_node(2, x=-7.5, y=12.9)
    G.add_edge(1, 2, length=60_000.0, travel_time=3600.0,
               geometry=LineString([(-8.0, 12.65), (-7.5, 12.9)]))
    return G


@pytest.mark.parametrize("damage, expected", [
    ("negative", "'length' must be a finite number of metres >= 0; got -5.0"),
    ("nan", "needs finite coordinates"),
    ("empty", "no nodes"),
])
def test_broken_graph_is_refused_naming_the_file(tmp_path, damage, expected):
    from routerisk.network.io import load_graph, save_graph

    G = _graph()
    if damage == "negative":
        G[1][2][0]["length"] = -5.0
    elif damage == "nan":
        G.nodes[2]["x"] = math.nan
    else:
        G = nx.MultiDiGraph(crs="epsg:4326")
    path = save_graph(G, tmp_path / f"{damage}.graphml")
    with pytest.raises(SpecError) as err:
        load_graph(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_segment_length_that_would_create_too_many_pieces_is_refused():
    from routerisk.network.segments import segmentize

    with pytest.raises(ArgumentError, match="into 600,000,000 pieces; at most 2,000,000"):
        segmentize(_graph(), 1e-4)
    assert segmentize(_graph(), 1000.0).number_of_edges() == 60
