"""A battery of malformed incident files, written by the tests: each gets its specific
error (naming the row and the column), and nothing else escapes (no crash, no traceback)."""

from __future__ import annotations

import csv
import json

import pytest

from routerisk.errors import DataNotFoundError, RouteRiskError, ValidationError
from routerisk.incidents.acled import read_acled
from routerisk.incidents.io import read_incidents
from routerisk.incidents.native import read_routerisk
from routerisk.incidents.ucdp import read_ucdp

GOOD = {"incident_id": "T-1", "date": "2019-03-02", "latitude": "14.5406",
        "longitude": "-9.1869", "event_type": "convoy_ambush", "source": "test",
        "fatalities": "3", "notes": "ok"}

ACLED = {"data_id": "1", "event_id_cnty": "MLI90001", "event_date": "2019-03-02",
         "time_precision": "1", "event_type": "Battles", "sub_event_type": "Armed clash",
         "actor1": "A", "assoc_actor_1": "", "inter1": "2", "actor2": "B",
         "assoc_actor_2": "", "inter2": "1", "country": "Mali", "location": "Diema",
         "latitude": "14.5406", "longitude": "-9.1869", "geo_precision": "1",
         "notes": "test", "fatalities": "0", "iso3": "MLI"}


def write(tmp_path, rows, name="bad.csv", columns=None):
    path = tmp_path / name
    cols = columns or list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def problems(exc_info) -> str:
    return "\n".join(exc_info.value.problems)


def test_good_row_reads(tmp_path):
    assert len(read_routerisk(write(tmp_path, [GOOD]))) == 1


@pytest.mark.parametrize("missing", ["latitude", "date", "incident_id", "source"])
def test_missing_column(tmp_path, missing):
    row = {k: v for k, v in GOOD.items() if k != missing}
    with pytest.raises(ValidationError) as err:
        read_routerisk(write(tmp_path, [row]))
    assert f"missing column '{missing}'" in problems(err)


def test_missing_acled_column(tmp_path):
    row = {k: v for k, v in ACLED.items() if k != "event_date"}
    with pytest.raises(ValidationError, match="missing column 'event_date'"):
        read_acled(write(tmp_path, [row]))


def test_unknown_column_is_named(tmp_path):
    with pytest.raises(ValidationError, match="unknown column 'lattitude'"):
        read_routerisk(write(tmp_path, [GOOD | {"lattitude": "1"}]))


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("latitude", "abc", "row 1, 'latitude': must be a number; got 'abc'"),
    ("fatalities", "2.5", "row 1, 'fatalities': must be a whole number; got '2.5'"),
    ("fatalities", "many", "row 1, 'fatalities': must be a whole number; got 'many'"),
    ("fatalities", "-1", "row 1, 'fatalities': must be at least 0; got '-1'"),
    ("location_precision_km", "0", "row 1, 'location_precision_km': must be more than 0"),
    ("event_type", "riot", "row 1, 'event_type': must be one of 'convoy_ambush'"),
    ("target", "bank", "row 1, 'target': must be one of 'fuel_tanker'"),
    ("date_precision", "decade", "row 1, 'date_precision': must be one of 'day'"),
])
def test_wrong_types(tmp_path, field, value, expected):
    with pytest.raises(ValidationError) as err:
        read_routerisk(write(tmp_path, [GOOD | {field: value}]))
    assert expected in problems(err)


@pytest.mark.parametrize(("lat", "lon", "expected"), [
    ("123.4", "-8.0", "row 1, 'latitude': must be between -90 and 90; got '123.4'"),
    ("12.6", "-200", "row 1, 'longitude': must be between -180 and 180; got '-200'"),
    ("nan", "-8.0", "row 1, 'latitude': must be a finite number; got 'nan'"),
    ("12.6", "inf", "row 1, 'longitude': must be a finite number; got 'inf'"),
])
def test_coordinates_out_of_range(tmp_path, lat, lon, expected):
    with pytest.raises(ValidationError) as err:
        read_routerisk(write(tmp_path, [GOOD | {"latitude": lat, "longitude": lon}]))
    assert expected in problems(err)


def test_swapped_coordinates_detected(tmp_path):
    # Bamako is 12.65 N, -8.0 E; swapped it would lie off Angola
    rows = [GOOD, GOOD | {"incident_id": "T-2", "latitude": "-8.0", "longitude": "12.65"}]
    with pytest.raises(ValidationError) as err:
        read_routerisk(write(tmp_path, rows))
    text = problems(err)
    assert "row 2, 'latitude'/'longitude': latitude and longitude look swapped" in text
    assert "row 1" not in text
    # the same check runs for ACLED files
    with pytest.raises(ValidationError, match="row 1, 'latitude'/'longitude'.*swapped"):
        read_acled(write(tmp_path, [ACLED | {"latitude": "-9.1869", "longitude": "14.5406"}]))
    # and can be turned off for data from elsewhere
    f = read_routerisk(write(tmp_path, rows), check_swapped=False)
    assert len(f) == 2


@pytest.mark.parametrize(("value", "expected"), [
    ("yesterday", "row 1, 'date': must be a date YYYY-MM-DD; got 'yesterday'"),
    ("2019-02-30", "row 1, 'date': must be a date YYYY-MM-DD; got '2019-02-30'"),
    ("02/03/2019", "row 1, 'date': must be a date YYYY-MM-DD; got '02/03/2019'"),
    ("2099-01-01", "row 1, 'date': date 2099-01-01 is in the future"),
    ("1850-01-01", "row 1, 'date': date 1850-01-01 is before 1900"),
])
def test_bad_dates(tmp_path, value, expected):
    with pytest.raises(ValidationError) as err:
        read_routerisk(write(tmp_path, [GOOD | {"date": value}]))
    assert expected in problems(err)


def test_bad_acled_dates_and_codes(tmp_path):
    rows = [ACLED | {"event_date": "31 Febtember 2019"},
            ACLED | {"event_id_cnty": "MLI90002", "time_precision": "7"},
            ACLED | {"event_id_cnty": "MLI90003", "geo_precision": "0"}]
    with pytest.raises(ValidationError) as err:
        read_acled(write(tmp_path, rows))
    text = problems(err)
    assert "row 1, 'event_date': must be a date YYYY-MM-DD; got '31 Febtember 2019'" in text
    assert "row 2, 'time_precision': must be 1, 2 or 3; got '7'" in text
    assert "row 3, 'geo_precision': must be 1, 2 or 3; got '0'" in text


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    for reader in (read_incidents, read_routerisk, read_acled, read_ucdp):
        with pytest.raises(ValidationError, match="the file is empty"):
            reader(path)


def test_header_only(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text(",".join(GOOD) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no incident rows: the file has a header"):
        read_incidents(path)
    path.write_text(",".join(ACLED) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no incident rows"):
        read_incidents(path)


def test_duplicate_ids(tmp_path):
    rows = [GOOD, GOOD | {"date": "2019-03-03"}, GOOD | {"incident_id": "T-3"}]
    with pytest.raises(ValidationError) as err:
        read_routerisk(write(tmp_path, rows))
    assert "rows 1, 2, 'incident_id': duplicate id 'T-1'" in problems(err)
    rows = [ACLED, ACLED | {"location": "Kayes"}]
    with pytest.raises(ValidationError, match="rows 1, 2, 'event_id_cnty': duplicate id"):
        read_acled(write(tmp_path, rows))


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "latin1.csv"
    text = ",".join(GOOD) + "\n" + ",".join(GOOD.values()).replace("ok", "Ségou") + "\n"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ValidationError) as err:
        read_incidents(path)
    assert "line 2: bytes that are not valid utf-8 (first: 0xe9" in problems(err)
    # the right encoding reads it
    f = read_incidents(path, encoding="latin-1")
    assert f.iloc[0]["notes"] == "Ségou"


def test_binary_junk(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValidationError, match="not valid utf-8"):
        read_incidents(path)


def test_huge_field(tmp_path):
    huge = "x" * 10_000_000
    with pytest.raises(ValidationError) as err:
        read_routerisk(write(tmp_path, [GOOD | {"notes": huge}]))
    text = problems(err)
    assert "row 1, 'notes': must be at most 20000 characters; got 10000000 characters" in text
    assert len(str(err.value)) < 1000  # the message does not carry the 10 MB field


def test_unclosed_quote(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text(",".join(GOOD) + '\nT-1,2019-03-02,14.5,-9.1,clash,test,0,"never closed\n',
                    encoding="utf-8")
    with pytest.raises(ValidationError, match="not a well-formed CSV file"):
        read_routerisk(path)


def test_ragged_row(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(",".join(GOOD) + "\n" + ",".join(GOOD.values()) + ",extra,cells\n",
                    encoding="utf-8")
    with pytest.raises(ValidationError,
                       match="line 2: 10 cells but the header has 8; not a well-formed CSV"):
        read_routerisk(path)


def test_every_problem_is_collected(tmp_path):
    rows = [GOOD | {"incident_id": f"T-{i}"} for i in range(1, 6)]
    rows[0]["latitude"] = "95"
    rows[2]["date"] = "2019-13-01"
    rows[4]["event_type"] = "nope"
    rows[4]["fatalities"] = "x"
    with pytest.raises(ValidationError) as err:
        read_routerisk(write(tmp_path, rows))
    assert [p.split(",")[0] for p in err.value.problems] == ["row 1", "row 3", "row 5",
                                                              "row 5"]
    assert str(tmp_path / "bad.csv") in str(err.value)


def test_missing_and_directory_paths(tmp_path):
    with pytest.raises(DataNotFoundError, match="not found"):
        read_incidents(tmp_path / "nope.csv")
    with pytest.raises(DataNotFoundError, match="not a regular file"):
        read_incidents(tmp_path)


def test_bad_geojson(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValidationError, match="line 1, column 2: not valid JSON"):
        read_incidents(path)
    path.write_text(json.dumps({"type": "Feature"}), encoding="utf-8")
    with pytest.raises(ValidationError, match="expected a GeoJSON FeatureCollection"):
        read_incidents(path)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-9.1, 14.5]},
         "properties": {"incident_id": "G-1", "date": "2019-01-01", "event_type": "clash",
                        "source": "s", "latitude": 10.0}}]}), encoding="utf-8")
    with pytest.raises(ValidationError, match="feature 1, 'latitude': 10.0 disagrees"):
        read_incidents(path)


@pytest.mark.parametrize("content", [
    b"", b"\n\n", b"a,b\n1,2\n", b"incident_id\n\n", b"\xff\xfe\x00\x00",
    b'"', b"event_id_cnty,sub_event_type\nX,Attack\n", b"type_of_violence\n1\n",
    b",,,\n,,,\n", b"id,type_of_violence,date,latitude,longitude\n1,1,2019-01-01,a,b\n",
])
@pytest.mark.parametrize("fmt", [None, "routerisk", "acled", "ucdp"])
def test_nothing_crashes(tmp_path, content, fmt):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    with pytest.raises(RouteRiskError):
        read_incidents(path, format=fmt)


def test_swapped_row_still_reports_its_other_problems(tmp_path):
    row = GOOD | {"latitude": "-8.0", "longitude": "12.65", "date": "2099-01-01",
                  "event_type": "x"}
    with pytest.raises(ValidationError) as err:
        read_routerisk(write(tmp_path, [row]))
    assert [p.split(":")[0] for p in err.value.problems] == [
        "row 1, 'latitude'/'longitude'", "row 1, 'date'", "row 1, 'event_type'"]
