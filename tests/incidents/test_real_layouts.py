"""Real source layouts read unchanged: ACLED HDX (HXL tag row), export tool, API JSON; UCDP
GED full CSV (49 columns) and API JSON. Rows are written by the tests."""

from __future__ import annotations

import json

from fake_apis import acled_row, ucdp_row

from routerisk.cli import main
from routerisk.incidents.io import detect_format, read_incidents

#: HDX ACLED country files (2020): these columns, then the HXL hashtag row.
HDX_COLUMNS = ["data_id", "iso", "event_id_cnty", "event_id_no_cnty", "event_date", "year",
               "time_precision", "event_type", "sub_event_type", "actor1", "assoc_actor_1",
               "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "region",
               "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude",
               "geo_precision", "source", "source_scale", "notes", "fatalities", "timestamp",
               "iso3"]
HXL_TAGS = ["#event+id+internal", "#country+code", "#event+code", "#event+id", "#date+occurred",
            "#date+year", "#date+precision", "#event+type", "#event+subtype", "#group+name+first",
            "#group+name+first+assoc", "#group+code+first", "#group+name+second",
            "#group+name+second+assoc", "#group+code+second", "#group+interaction",
            "#region+name", "#country+name", "#adm1+name", "#adm2+name", "#adm3+name",
            "#loc+name", "#geo+lat", "#geo+lon", "#geo+precision", "#meta+source",
            "#meta+source+scale", "#description", "#affected+killed", "#date+epoch",
            "#country+code"]

#: UCDP GED full CSV: the 49 columns of the codebook, in order.
GED_COLUMNS = list(ucdp_row(1))


def _hdx_rows(n_inside: int, n_outside: int) -> list[list[str]]:
    rows = []
    for i in range(n_inside + n_outside):
        r = acled_row(i + 1, date="2019-12-0" + str(1 + i % 9),
                      lat=14.0 if i < n_inside else 13.5, lon=-8.0 if i < n_inside else 12.0)
        r.update({"data_id": str(6000000 + i), "iso": "562", "event_id_no_cnty": str(i + 1),
                  "inter1": "2", "inter2": "1", "interaction": "12", "iso3": "NER",
                  "country": "Niger", "event_id_cnty": f"NIG{i + 1}"})
        rows.append([str(r.get(c, "")) for c in HDX_COLUMNS])
    return rows


def _write_hdx(path, n_inside: int, n_outside: int):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HDX_COLUMNS)
        w.writerow(HXL_TAGS)
        w.writerows(_hdx_rows(n_inside, n_outside))
    return path


def test_hdx_file_with_hxl_row_is_read_and_the_row_counted(tmp_path, capsys):
    path = _write_hdx(tmp_path / "conflict_data_ner.csv", 3, 4)
    frame = read_incidents(path)
    assert len(frame) == 7 and frame.attrs["hxl_rows_skipped"] == 1
    assert frame.attrs["rows_read"] == 7
    assert set(frame["country"]) == {"NER"}
    assert main(["incidents", "validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rows read: 7; events kept: 7" in out and "HXL tag row (second line) skipped" in out
    assert "outside the study area (-17.6,5,4.3,25): 4" in out


def test_hdx_problem_rows_keep_their_file_row_numbers(tmp_path):
    path = _write_hdx(tmp_path / "bad.csv", 2, 0)
    text = path.read_text().splitlines()
    text[3] = text[3].replace("2019-12-02", "not-a-date")  # the 2nd data row: "row 3"
    path.write_text("\n".join(text) + "\n")
    import pytest

    from routerisk.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        read_incidents(path)
    assert exc.value.problems == [
        "row 3, 'event_date': must be a date YYYY-MM-DD; got 'not-a-date'"]


def test_import_filters_outside_the_study_area_and_says_so(tmp_path, capsys, monkeypatch):
    path = _write_hdx(tmp_path / "conflict_data_ner.csv", 3, 4)
    store = tmp_path / "s.sqlite"
    assert main(["incidents", "import", str(path), "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert ("(acled, HXL tag row skipped): 7 rows read, filtered outside bbox 4; 3 events "
            "stored: 3 new") in out
    monkeypatch.setenv("ROUTERISK_STORE", str(store))
    assert main(["incidents", "summary", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["by_source"]["ACLED"] == 3 and str(store) in summary["files"]
    assert summary["events_kept"] == summary["rows"]


def test_export_tool_layout(write_csv):
    rows = [acled_row(1, date="2024-01-05"), acled_row(2, date="2024-01-06")]
    for r in rows:
        r["event_date"] = {"2024-01-05": "05 January 2024",
                           "2024-01-06": "06 January 2024"}[r["event_date"]]
    frame = read_incidents(write_csv(rows, "2024-01-01-2024-12-31-Mali.csv"))
    assert list(frame["date"].dt.strftime("%Y-%m-%d")) == ["2024-01-05", "2024-01-06"]
    assert set(frame["target"]) == {"military"}  # "State forces" spelled out = code 1


def test_acled_api_json_file(tmp_path):
    doc = {"status": 200, "success": True, "count": 2, "messages": [],
           "data": [acled_row(1), acled_row(2, notes="IED hit a patrol.")]}
    path = tmp_path / "acled.json"
    path.write_text(json.dumps(doc))
    assert detect_format(path) == "acled"
    frame = read_incidents(path)
    assert list(frame["incident_id"]) == ["ACLED-MLI1", "ACLED-MLI2"]
    assert list(frame["event_type"]) == ["convoy_ambush", "ied"]


def test_ucdp_full_csv_49_columns(write_csv):
    assert len(GED_COLUMNS) == 49
    rows = [ucdp_row(i) for i in range(1, 4)]
    path = write_csv(rows, "GEDEvent_v25_1.csv", columns=GED_COLUMNS)
    frame = read_incidents(path)
    assert detect_format(path) == "ucdp" and frame.attrs["layout"] == "full"
    assert list(frame["incident_id"]) == ["UCDP-1", "UCDP-2", "UCDP-3"]
    assert list(frame["fatalities"]) == [2, 2, 2]
    assert set(frame["location_precision_km"]) == {2.0}


def test_ucdp_api_json_file(tmp_path):
    doc = {"TotalCount": 2, "TotalPages": 1, "PreviousPageUrl": "", "NextPageUrl": "",
           "Result": [ucdp_row(5), ucdp_row(6, lat=13.0, lon=13.0)]}
    path = tmp_path / "ged.json"
    path.write_text(json.dumps(doc))
    assert detect_format(path) == "ucdp"
    frame = read_incidents(path, bbox=(-17.6, 5.0, 4.3, 25.0))
    assert list(frame["incident_id"]) == ["UCDP-5"]
    assert frame.attrs["rows_read"] == 2 and frame.attrs["filtered"] == {"outside bbox": 1}
