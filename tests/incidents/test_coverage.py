"""What incident frames cover systematically, and the history statement of every result."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from routerisk.config import UCDP_FILE, shared_file
from routerisk.errors import ValidationError
from routerisk.incidents.coverage import (
    declare_coverage,
    forecast_note,
    history_note,
    merge_coverage,
    rests_on,
    uncovered,
)
from routerisk.incidents.io import combine, load_catalogue, read_incidents
from routerisk.incidents.schema import Incident, incidents_to_frame

ACLED_HEADER = ("data_id,event_id_cnty,event_date,year,time_precision,event_type,"
                "sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,"
                "country,location,latitude,longitude,geo_precision,notes,fatalities,iso3")


def _acled_rows(dates_places) -> str:
    lines = [ACLED_HEADER]
    for k, (day, lat, lon) in enumerate(dates_places, start=1):
        lines.append(f"{k},MLI{k},{day},{day[:4]},1,Battles,Armed clash,JNIM,,2,"
                     f"Military Forces of Mali,,1,Mali,Place {k},{lat},{lon},1,clash,0,MLI")
    return "\n".join(lines) + "\n"


@pytest.fixture
def acled_file(tmp_path):
    path = tmp_path / "acled.csv"
    path.write_text(_acled_rows([("2016-03-02", 14.0, -4.0), ("2018-11-30", 16.5, -1.0),
                                 ("2017-06-15", 12.6, -8.0)]), encoding="utf-8")
    return path


def test_acled_file_covers_its_first_to_last_event(acled_file):
    frame = read_incidents(acled_file)
    assert frame.attrs["coverage"] == [{
        "source": "ACLED", "start": "2016-03-02", "end": "2018-11-30",
        "bbox": [-8.0, 12.6, -1.0, 16.5], "basis": "file"}]
    # a filter keeps the file's period (the source covered it) and clips the area
    box = (-9.0, 12.0, -3.0, 15.0)
    clipped = read_incidents(acled_file, bbox=box)
    assert len(clipped) == 2 and clipped.attrs["filtered"] == {"outside bbox": 1}
    cov = clipped.attrs["coverage"][0]
    assert (cov["start"], cov["end"]) == ("2016-03-02", "2018-11-30")
    assert cov["bbox"] == [-8.0, 12.6, -3.0, 15.0]


def test_ucdp_file_covers_as_ucdp_and_the_catalogue_covers_nothing():
    ucdp = read_incidents(shared_file(UCDP_FILE))
    (cov,) = ucdp.attrs["coverage"]
    assert cov["source"] == "UCDP" and cov["basis"] == "file"
    assert cov["start"] == ucdp["date"].min().date().isoformat()
    assert cov["end"] == ucdp["date"].max().date().isoformat()
    catalogue = load_catalogue()
    assert catalogue.attrs["coverage"] == []
    both = combine([catalogue, ucdp])
    assert both.attrs["coverage"] == [cov]  # survives concat and deduplication
    assert both[both["source"] == "UCDP GED"].attrs["coverage"] == [cov]  # and slicing


def test_declared_coverage_replaces_the_file_range(acled_file):
    frame = declare_coverage(read_incidents(acled_file), "ACLED", "2016-01-01", "2019-12-31",
                             bbox=[-12.0, 10.0, 4.0, 25.0])
    assert frame.attrs["coverage"] == [{
        "source": "ACLED", "start": "2016-01-01", "end": "2019-12-31",
        "bbox": [-12.0, 10.0, 4.0, 25.0], "basis": "declared"}]
    with pytest.raises(ValidationError, match="'start' 2020-01-01 is after 'end'"):
        declare_coverage(frame, "ACLED", "2020-01-01", "2019-12-31")
    with pytest.raises(ValidationError, match="'bbox'"):
        declare_coverage(frame, "ACLED", "2019-01-01", "2019-12-31", bbox=[4, 10, -12, 25])


def test_merge_joins_touching_periods_of_one_source_only():
    a = {"source": "ACLED", "start": "2019-01-01", "end": "2019-12-31", "bbox": None,
         "basis": "fetched"}
    b = dict(a, start="2020-01-01", end="2020-06-30")
    c = dict(a, start="2021-01-01", end="2021-03-31")
    u = dict(a, source="UCDP", basis="file")
    out = merge_coverage([[a], [c, u], [b]])
    assert [(e["source"], e["start"], e["end"]) for e in out] == [
        ("ACLED", "2019-01-01", "2020-06-30"), ("ACLED", "2021-01-01", "2021-03-31"),
        ("UCDP", "2019-01-01", "2019-12-31")]
    gaps = uncovered(out, dt.date(2018, 12, 1), dt.date(2021, 6, 30))
    assert gaps == [(dt.date(2018, 12, 1), dt.date(2018, 12, 31)),
                    (dt.date(2020, 7, 1), dt.date(2020, 12, 31)),
                    (dt.date(2021, 4, 1), dt.date(2021, 6, 30))]


def _frame(rows, coverage):
    incidents = [Incident(incident_id=f"R{i}", date=d, latitude=14.0, longitude=-4.0,
                          event_type="clash", source=src) for i, (d, src) in enumerate(rows)]
    frame = incidents_to_frame(incidents)
    frame.attrs["coverage"] = coverage
    return frame


ACLED_2019 = [{"source": "ACLED", "start": "1997-01-06", "end": "2019-12-31", "bbox": None,
               "basis": "file"}]


def test_warning_past_the_end_counts_the_curated_reports_in_the_gap():
    rows = [(dt.date(2019, 5, 1), "ACLED"), (dt.date(2018, 4, 5), "ACLED; seeds/001.txt"),
            (dt.date(2013, 1, 10), "seeds/002.txt"), (dt.date(2022, 3, 21), "seeds/004.txt"),
            (dt.date(2025, 7, 1), "seeds/000.txt"), (dt.date(2025, 9, 14), "seeds/000.txt"),
            (dt.date(2025, 9, 20), "seeds/000.txt")]  # after the as-of date: not used
    frame = _frame(rows, ACLED_2019)
    note = forecast_note(frame, "2025-09-15")
    assert note.warning == ("systematic history ends 2019-12-31; 2020-01-01 … 2025-09-14 has "
                            "only 3 curated reports: probabilities are lower bounds")
    # the merged ACLED + article row is ACLED's; the 2013 article row is curated
    assert note.rests_on == "history: ACLED 1997-01-06 … 2019-12-31 + 4 curated reports " \
                           "2013–2025"
    assert note.to_dict()["gaps"] == [{"start": "2020-01-01", "end": "2025-09-14",
                                       "curated_reports": 3}]
    inside = forecast_note(frame, "2019-06-01")
    assert inside.warning is None and inside.gaps == []
    assert inside.rests_on == "history: ACLED 1997-01-06 … 2019-05-31 + 1 curated report 2013"
    # exactly to the end of coverage: still covered
    assert forecast_note(frame, "2020-01-01").warning is None
    assert forecast_note(frame, "2020-01-02").warning == (
        "systematic history ends 2019-12-31; 2020-01-01 … 2020-01-01 has no curated report: "
        "probabilities are lower bounds")


def test_gap_inside_the_window_and_no_coverage_at_all():
    cov = ACLED_2019 + [{"source": "ACLED", "start": "2024-01-01", "end": "2025-09-14",
                         "bbox": None, "basis": "fetched"}]
    frame = _frame([(dt.date(2022, 3, 21), "seeds/004.txt")], cov)
    note = history_note(frame, end="2025-09-14")
    assert note.warning == ("no systematic history 2020-01-01 … 2023-12-31, which has only 1 "
                            "curated report: probabilities are lower bounds")
    assert "ACLED 2024-01-01 … 2025-09-14 (fetched)" in note.rests_on
    bare = _frame([(dt.date(2025, 7, 1), "seeds/000.txt")], [])
    note = forecast_note(bare, "2025-09-15")
    assert note.warning == ("no systematic history (ACLED, UCDP) in the data: 2025-07-01 … "
                            "2025-09-14 has only 1 curated report: probabilities are lower "
                            "bounds")
    assert rests_on(bare) == "history: 1 curated report 2025"


def test_report_monthly_counts_by_source():
    from routerisk.report._gather import gather_coverage

    rows = [(dt.date(2019, 5, 1), "ACLED"), (dt.date(2019, 5, 20), "ACLED"),
            (dt.date(2019, 5, 3), "seeds/x.txt"), (dt.date(2018, 4, 5), "ACLED; seeds/001.txt"),
            (dt.date(2025, 7, 1), "seeds/000.txt"), (dt.date(2025, 9, 20), "seeds/000.txt")]
    cov = gather_coverage(_frame(rows, ACLED_2019), pd.Timestamp("2025-09-15"))
    m = cov.monthly
    assert list(m.columns) == ["ACLED", "curated"]
    assert m.loc[pd.Timestamp("2019-05-01")].tolist() == [2, 1]
    assert m.loc[pd.Timestamp("2018-04-01")].tolist() == [1, 0]
    assert m.loc[pd.Timestamp("2025-07-01")].tolist() == [0, 1]
    assert int(m.to_numpy().sum()) == 5  # the report after the as-of date is not counted
    assert cov.note.warning.startswith("systematic history ends 2019-12-31")
