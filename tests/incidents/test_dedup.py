"""Deduplication across sources."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from routerisk.config import UCDP_FILE, shared_file
from routerisk.errors import ValidationError
from routerisk.geo.sphere import great_circle_km
from routerisk.incidents.dedup import candidate_pairs, deduplicate
from routerisk.incidents.io import combine
from routerisk.incidents.schema import (
    INCIDENT_COLUMNS,
    Incident,
    empty_incident_frame,
    incidents_to_frame,
)
from routerisk.incidents.ucdp import read_ucdp


def inc(iid, day, lat, lon, *, source, kind="clash", **kw):
    return Incident(incident_id=iid, date=dt.date(2019, 4, day), latitude=lat, longitude=lon,
                    event_type=kind, source=source, **kw)


# ACLED's MLI2830 and an article's account of the same ambush, a day later and ~2 km away
ACLED_ROW = inc("ACLED-X1", 17, 15.8521, -2.786, source="ACLED", kind="looting",
                location_precision_km=25, target="civilians", fatalities=0,
                source_ref="X1 (data_id 1)", notes="ACLED note", actor="JNIM")
ARTICLE_ROW = inc("RR-1", 18, 15.86, -2.77, source="seeds/000_test.txt",
                  kind="convoy_ambush", location_precision_km=50, target="fuel_tanker",
                  fatalities=2, vehicles_destroyed=5, source_ref="a quote", place="Bambara")


def test_known_duplicate_pair_is_merged():
    f = deduplicate(incidents_to_frame([ACLED_ROW, ARTICLE_ROW]))
    assert list(f.columns) == [*INCIDENT_COLUMNS, "geometry"]
    assert len(f) == 1
    r = f.iloc[0]
    assert r["source"] == "ACLED; seeds/000_test.txt"
    assert r["source_ref"] == "ACLED: X1 (data_id 1) | seeds/000_test.txt: a quote"
    assert r["incident_id"] == "ACLED-X1"             # the more precise location (25 km)
    assert (r["latitude"], r["location_precision_km"]) == (15.8521, 25.0)
    assert (r["event_type"], r["target"]) == ("convoy_ambush", "fuel_tanker")
    assert (r["fatalities"], r["vehicles_destroyed"]) == (2, 5)
    assert r["date"] == pd.Timestamp("2019-04-17")
    assert r["place"] == "Bambara" and r["actor"] == "JNIM"
    assert "merged with RR-1" in r["notes"]
    assert f.attrs["duplicates_merged"] == 1 and f.attrs["merged_events"] == 1
    assert f.crs.to_epsg() == 4326
    assert str(f["fatalities"].dtype) == "Int64"


@pytest.mark.parametrize("change", [
    {"day": 20},                                   # 3 days apart
    {"lat": 16.15},                                # ~33 km: beyond 25 + 2 km precision
    {"kind": "protest"},                           # incompatible kinds
    {"source": "ACLED"},                           # same source: two distinct events
])
def test_distinct_events_stay_apart(change):
    args = {"day": 18, "lat": 15.86, "kind": "convoy_ambush", "source": "seeds/000_test.txt"}
    args.update(change)
    other = inc("RR-1", args["day"], args["lat"], -2.77, source=args["source"],
                kind=args["kind"])
    f = deduplicate(incidents_to_frame([ACLED_ROW, other]))
    assert len(f) == 2
    assert f.attrs["duplicates_merged"] == 0
    assert set(f["source"]) == {"ACLED", args["source"]}


def test_thresholds_are_parameters():
    precise = inc("ACLED-X3", 17, 15.8521, -2.786, source="ACLED", location_precision_km=0.5)
    other = inc("RR-1", 20, 15.86, -2.77, source="seeds/000_test.txt",
                location_precision_km=0.5)
    frame = incidents_to_frame([precise, other])
    assert len(deduplicate(frame)) == 2
    assert len(deduplicate(frame, days=3)) == 1
    assert len(deduplicate(frame, days=3, km=1.0)) == 2  # 1.9 km apart, 0.5 + 0.5 km precision


# --- precision-aware windows ------------------------------------------------------------------

def _rep(iid, day, lat, lon, source, **kw):
    return inc(iid, day, lat, lon, source=source, kind="convoy_ambush", **kw)


def test_a_vague_report_merges_within_its_precision():
    # an article placing an ambush "outside" a town (50 km) 30 km from ACLED's point, the
    # same day: a fixed 5 km window would keep them apart
    acled = _rep("ACLED-A", 17, 14.44, -11.44, "ACLED")
    article = _rep("RR-A", 17, 14.44, -11.16, "seeds/x.txt", location_precision_km=50)
    assert 25 < float(great_circle_km(14.44, -11.44, 14.44, -11.16)) < 35
    f = deduplicate(incidents_to_frame([acled, article]))
    assert len(f) == 1 and f.iloc[0]["incident_id"] == "ACLED-A"
    assert f.iloc[0]["location_precision_km"] == 2  # the precise point is kept
    # precise to 5 km, the same report is a different event
    article5 = _rep("RR-A", 17, 14.44, -11.16, "seeds/x.txt", location_precision_km=5)
    assert len(deduplicate(incidents_to_frame([acled, article5]))) == 2


def test_a_vague_report_that_cannot_be_placed_is_not_merged():
    # two ACLED events inside the article's 50 km: it cannot tell which one it reports
    acled = [_rep("ACLED-A", 17, 14.44, -11.44, "ACLED"),
             _rep("ACLED-B", 17, 14.60, -11.20, "ACLED")]
    article = _rep("RR-A", 17, 14.44, -11.16, "seeds/x.txt", location_precision_km=50)
    f = deduplicate(incidents_to_frame([*acled, article]))
    assert len(f) == 3 and f.attrs["duplicates_merged"] == 0
    # a precise report still merges with the nearest of several ACLED events (unchanged)
    precise = _rep("RR-P", 17, 14.441, -11.44, "seeds/x.txt")
    f = deduplicate(incidents_to_frame([*acled, precise]))
    assert len(f) == 2 and "seeds/x.txt" in f.set_index("incident_id").loc["ACLED-A", "source"]


def test_date_window_widens_with_date_precision():
    acled = _rep("ACLED-A", 20, 14.44, -11.44, "ACLED")
    month = Incident(incident_id="RR-M", date=dt.date(2019, 4, 1), date_precision="month",
                     latitude=14.44, longitude=-11.44, event_type="convoy_ambush",
                     source="seeds/x.txt")
    assert len(deduplicate(incidents_to_frame([acled, month]))) == 1
    day = _rep("RR-D", 1, 14.44, -11.44, "seeds/x.txt")  # the 1st, to the day: 19 days off
    assert len(deduplicate(incidents_to_frame([acled, day]))) == 2
    week = Incident(incident_id="RR-W", date=dt.date(2019, 4, 14), date_precision="week",
                    latitude=14.44, longitude=-11.44, event_type="convoy_ambush",
                    source="seeds/x.txt")
    assert len(deduplicate(incidents_to_frame([acled, week]))) == 1


def test_three_sources_one_event():
    rows = [ACLED_ROW, ARTICLE_ROW,
            inc("UCDP-9", 17, 15.853, -2.787, source="UCDP GED", fatalities=3)]
    f = deduplicate(incidents_to_frame(rows))
    assert len(f) == 1
    assert f.iloc[0]["source"] == "ACLED; UCDP GED; seeds/000_test.txt"
    assert f.iloc[0]["fatalities"] == 3
    assert f.attrs["duplicates_merged"] == 2


def test_one_report_per_source_in_a_merged_event():
    # a second ACLED event right beside the first: ACLED reports them separately, so they
    # never end up in one merged event; the closest cross-source pairs merge first
    rows = [ACLED_ROW, ARTICLE_ROW,
            inc("UCDP-9", 17, 15.853, -2.787, source="UCDP GED"),
            inc("ACLED-X2", 17, 15.8525, -2.7865, source="ACLED")]
    f = deduplicate(incidents_to_frame(rows))
    assert len(f) == 2
    assert (f["source"].str.count("ACLED") == 1).all()
    assert sorted(f["source"]) == ["ACLED; UCDP GED", "ACLED; seeds/000_test.txt"]


def test_order_independent():
    ucdp = read_ucdp(shared_file(UCDP_FILE))
    rows = [ACLED_ROW, ARTICLE_ROW, inc("UCDP-9", 17, 15.853, -2.787, source="UCDP GED"),
            inc("ACLED-X2", 17, 15.8525, -2.7865, source="ACLED")]
    base = combine([ucdp, incidents_to_frame(rows)], dedup=False)
    expected = deduplicate(base).drop(columns="geometry")
    for seed in range(5):
        shuffled = base.sample(frac=1, random_state=seed)
        got = deduplicate(shuffled).drop(columns="geometry")
        pd.testing.assert_frame_equal(got, expected)


def test_pure_and_empty():
    frame = incidents_to_frame([ACLED_ROW, ARTICLE_ROW])
    before = frame.copy()
    deduplicate(frame)
    pd.testing.assert_frame_equal(frame, before)
    empty = deduplicate(empty_incident_frame())
    assert len(empty) == 0 and empty.attrs["duplicates_merged"] == 0
    assert len(candidate_pairs(frame)) == 1


def test_duplicate_ids_rejected():
    frame = incidents_to_frame([ACLED_ROW, ACLED_ROW])
    with pytest.raises(ValidationError, match="'incident_id': 'ACLED-X1' is not unique"):
        deduplicate(frame)


def test_filtered_counts_are_kept():
    frame = incidents_to_frame([ACLED_ROW, ARTICLE_ROW])
    frame.attrs["filtered"] = {"outside bbox": 3}
    assert deduplicate(frame).attrs["filtered"] == {"outside bbox": 3}
