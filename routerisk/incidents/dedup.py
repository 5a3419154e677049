"""Merge the same incident reported by several sources.

Two rows are the same event when they come from different sources (no source in common),
their dates are at most ``days`` apart, their points at most ``km`` apart, and their event
types are compatible (:data:`COMPATIBLE`). Both windows widen with the rows' stated
precision (a report placed within 50 km, or dated to a month, matches within that); a
report that matches only thanks to its vagueness and has several candidates is merged with
none (:func:`candidate_pairs`). Matching rows are merged into one that keeps
every source (``source`` ``"ACLED; seeds/000_....md"``, ``source_ref`` one entry per source)
and the most precise location and date among them. Rows of one source are never merged
with each other: ACLED reports several distinct clashes in a town on one day.

The result does not depend on the order of the input rows."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from routerisk.errors import ValidationError
from routerisk.geo.sphere import great_circle_km
from routerisk.incidents.schema import INCIDENT_COLUMNS, EventType, Target, empty_incident_frame

logger = logging.getLogger(__name__)


ET = EventType


#: Groups of event types that can describe the same event (a convoy ambush in an article
#: may be an "armed clash" or an "attack" in ACLED). Types in different groups never merge.
COMPATIBLE: dict[str, str] = {
    **{t.value: "violence" for t in (ET.CONVOY_AMBUSH, ET.ATTACK_ON_TOWN, ET.IED,
                                     ET.KIDNAPPING, ET.CHECKPOINT, ET.CLASH,
                                     ET.VIOLENCE_AGAINST_CIVILIANS, ET.LOOTING)},
    ET.BLOCKADE.value: "closure", ET.STRATEGIC.value: "closure",
    ET.PROTEST.value: "protest",
}


#: When merged rows disagree, the more specific event type wins (first in this list).
TYPE_SPECIFICITY: tuple[str, ...] = (
    ET.CONVOY_AMBUSH.value, ET.BLOCKADE.value, ET.IED.value, ET.KIDNAPPING.value,
    ET.CHECKPOINT.value, ET.ATTACK_ON_TOWN.value, ET.VIOLENCE_AGAINST_CIVILIANS.value,
    ET.CLASH.value, ET.LOOTING.value, ET.STRATEGIC.value, ET.PROTEST.value)


#: ... and the more specific target.
TARGET_SPECIFICITY: tuple[str, ...] = (
    Target.FUEL_TANKER.value, Target.CONVOY.value, Target.PASSENGER_TRANSPORT.value,
    Target.MINE_OR_COMPANY.value, Target.MILITARY.value, Target.GOVERNMENT.value,
    Target.CIVILIANS.value, Target.TOWN.value, Target.UNKNOWN.value)


_DATE_RANK = {"day": 0, "week": 1, "month": 2, "year": 3}


def _sources(value: object) -> frozenset[str]:
    return frozenset(s.strip() for s in str(value).split(";") if s.strip())


#: Half-width (days) of the period a date stands for, by date precision: a week-precision
#: date may lie a week either side of the true day, a month-precision one a month (ACLED
#: codes a month as its 15th, the catalogue as its 1st), a year-precision one a year.
DATE_SPAN_DAYS: dict[str, int] = {"day": 0, "week": 7, "month": 31, "year": 366}


def candidate_pairs(frame: pd.DataFrame, *, days: int = 1, km: float = 5.0) -> pd.DataFrame:
    """Pairs of rows that may be the same event, best first.

    The windows widen with each row's stated precision: two rows match when their points
    are at most ``max(km, p_a + p_b)`` apart (``p`` = ``location_precision_km``, the radius
    the true place lies in) and their dates at most ``max(days, s_a + s_b)`` apart (``s`` =
    :data:`DATE_SPAN_DAYS` of the date precision). A row that matches only through such a
    widened window must be placeable: when it has more than one candidate among the rows
    of the other source, it cannot tell which one it reports and is merged with none (a
    pair within the plain ``days``/``km`` windows merges as before, closest first).

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b`` (positions in ``frame``, ``a`` the smaller ``incident_id``),
        ``distance_km``, ``days_apart``; sorted by distance, then days apart, then ids.
    """
    n = len(frame)
    cols = ["a", "b", "distance_km", "days_apart"]
    if n < 2:
        return pd.DataFrame(columns=cols)
    ids = frame["incident_id"].astype(str).to_numpy()
    day = (frame["date"].to_numpy().astype("datetime64[D]").astype(np.int64))
    lat = frame["latitude"].to_numpy(float)
    lon = frame["longitude"].to_numpy(float)
    prec = pd.to_numeric(frame["location_precision_km"]).fillna(0.0).to_numpy(float)
    span = frame["date_precision"].map(DATE_SPAN_DAYS).fillna(0).to_numpy(np.int64)
    group = frame["event_type"].map(COMPATIBLE).fillna(frame["event_type"]).to_numpy()
    sources = [_sources(s) for s in frame["source"]]
    # each pair is looked for from its row with the coarser date (ties: the earlier in
    # ``order``), within twice that row's span: the pair's window is at most that wide
    order = np.lexsort((ids, day))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    sday = day[order]
    reach = np.maximum(days, 2 * span[order])
    lo = np.searchsorted(sday, sday - reach, side="left")
    hi = np.searchsorted(sday, sday + reach, side="right")
    rows = []
    for k in range(n):
        i = order[k]
        js = order[lo[k]:hi[k]]
        js = js[(span[js] < span[i]) | ((span[js] == span[i]) & (rank[js] > k))]
        if not len(js):
            continue
        js = js[group[js] == group[i]]
        if not len(js):
            continue
        gap = np.abs(day[js] - day[i])
        day_win = np.maximum(days, span[i] + span[js])
        js, gap, day_win = (v[gap <= day_win] for v in (js, gap, day_win))
        if not len(js):
            continue
        dist = np.atleast_1d(great_circle_km(lat[i], lon[i], lat[js], lon[js]))
        km_win = np.maximum(km, prec[i] + prec[js])
        near = dist <= km_win
        widened = (dist > km) | (gap > days)  # matches only thanks to a widened window
        for j, d, g, w in zip(js[near], dist[near], gap[near], widened[near], strict=True):
            if sources[i] & sources[j]:
                continue
            a, b = (i, j) if ids[i] < ids[j] else (j, i)
            rows.append((int(a), int(b), float(d), int(g), bool(w)))
    rows = _placeable(rows, prec, span, sources)
    pairs = pd.DataFrame([r[:4] for r in rows], columns=cols)
    if len(pairs):
        pairs["_ia"] = ids[pairs["a"].to_numpy()]
        pairs["_ib"] = ids[pairs["b"].to_numpy()]
        pairs = (pairs.sort_values(["distance_km", "days_apart", "_ia", "_ib"], kind="stable")
                 .drop(columns=["_ia", "_ib"]).reset_index(drop=True))
    return pairs


def _placeable(rows: list[tuple], prec: np.ndarray, span: np.ndarray,
               sources: list[frozenset[str]]) -> list[tuple]:
    """Drop widened pairs whose vaguer row has several candidates in the other source."""
    def vaguer(a: int, b: int) -> tuple[int, int]:
        return (a, b) if (prec[a], span[a]) >= (prec[b], span[b]) else (b, a)

    count: dict[tuple[int, frozenset[str]], int] = {}
    for a, b, *_ in rows:
        for x, y in ((a, b), (b, a)):
            key = (x, sources[y])
            count[key] = count.get(key, 0) + 1
    kept = []
    for r in rows:
        a, b, _, _, widened = r
        if widened:
            v, other = vaguer(a, b)
            if count[(v, sources[other])] > 1:
                continue
        kept.append(r)
    if len(kept) < len(rows):
        logger.info("deduplicate: %d candidate pairs left out: an imprecise report with "
                    "several candidates cannot be placed", len(rows) - len(kept))
    return kept


def _clusters(frame: pd.DataFrame, pairs: pd.DataFrame) -> list[list[int]]:
    """Greedy single linkage over ``pairs`` (best first); a cluster holds each source once."""
    parent = list(range(len(frame)))
    srcs = {i: _sources(s) for i, s in enumerate(frame["source"])}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(pairs["a"], pairs["b"], strict=True):
        ra, rb = find(int(a)), find(int(b))
        if ra == rb or srcs[ra] & srcs[rb]:
            continue
        keep, gone = min(ra, rb), max(ra, rb)
        parent[gone] = keep
        srcs[keep] = srcs[keep] | srcs.pop(gone)
    groups: dict[int, list[int]] = {}
    for i in range(len(frame)):
        groups.setdefault(find(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def _first_by(values: list[str], order: tuple[str, ...]) -> str:
    rank = {v: i for i, v in enumerate(order)}
    return min(values, key=lambda v: (rank.get(v, len(rank)), v))


def merge_rows(rows: pd.DataFrame) -> dict:
    """One incident record from rows that describe the same event.

    The primary row (smallest location radius, then finest date, then smallest id) gives
    the id, point, place and actor; the finest date wins; the most specific event type and
    target win (:data:`TYPE_SPECIFICITY`, :data:`TARGET_SPECIFICITY`); fatalities, vehicles
    destroyed and closure radius take the largest reported value; ``source`` lists every
    source (sorted, "; "), ``source_ref`` and ``notes`` one entry per row (" | ").
    """
    r = rows.copy()
    r["_drank"] = r["date_precision"].map(_DATE_RANK).fillna(9)
    r = r.sort_values(["source", "incident_id"], kind="stable")
    primary = r.sort_values(["location_precision_km", "_drank", "incident_id"],
                            kind="stable").iloc[0]
    dated = r.sort_values(["_drank", "date", "incident_id"], kind="stable").iloc[0]
    out = {c: primary[c] for c in INCIDENT_COLUMNS}
    out["date"] = dated["date"]
    out["date_precision"] = dated["date_precision"]
    out["event_type"] = _first_by(list(r["event_type"]), TYPE_SPECIFICITY)
    out["target"] = _first_by(list(r["target"]), TARGET_SPECIFICITY)
    for col in ("place", "country", "actor"):
        if not out[col]:
            filled = [v for v in r[col] if isinstance(v, str) and v]
            out[col] = filled[0] if filled else ""
    for col in ("fatalities", "vehicles_destroyed", "closure_radius_km"):
        known = r[col].dropna()
        out[col] = known.max() if len(known) else None
    if out["event_type"] not in {ET.BLOCKADE.value}:
        out["closure_radius_km"] = None
    out["source"] = "; ".join(sorted(set().union(*(_sources(s) for s in r["source"]))))
    out["source_ref"] = " | ".join(
        f"{s}: {ref}" if ref else f"{s}: {iid}"
        for s, ref, iid in zip(r["source"], r["source_ref"], r["incident_id"], strict=True))
    notes = [n for n in dict.fromkeys(r["notes"]) if isinstance(n, str) and n]
    merged_ids = [i for i in r["incident_id"] if i != out["incident_id"]]
    out["notes"] = " | ".join(notes + [f"merged with {', '.join(merged_ids)}"])
    return out


def deduplicate(frame: gpd.GeoDataFrame, *, days: int = 1, km: float = 5.0,
                ) -> gpd.GeoDataFrame:
    """Merge rows that report the same event from different sources.

    Parameters
    ----------
    frame
        An incident frame (:data:`routerisk.incidents.schema.INCIDENT_COLUMNS` + geometry) with
        unique ``incident_id``.
    days
        Largest difference between the dates of one event's day-precision reports, in days
        (widened for coarser dates, see :func:`candidate_pairs`).
    km
        Largest distance between the points of one event's precisely located reports, in
        km (widened to the sum of the two rows' ``location_precision_km`` when larger).

    Returns
    -------
    geopandas.GeoDataFrame
        Same columns, one row per event, sorted by date then ``incident_id``;
        ``attrs`` keeps the input's and adds ``duplicates_merged`` (rows removed) and
        ``merged_events`` (events that had more than one report).

    Raises
    ------
    ValidationError
        When ``incident_id`` is not unique.
    """
    if days < 0 or km < 0:
        raise ValidationError("deduplicate", [f"days and km must be >= 0; got days={days}, "
                                              f"km={km}"])
    attrs = dict(frame.attrs)
    if not len(frame):
        out = empty_incident_frame()
        out.attrs = {**attrs, "duplicates_merged": 0, "merged_events": 0}
        return out
    dup = frame["incident_id"][frame["incident_id"].duplicated()]
    if len(dup):
        raise ValidationError("deduplicate", [f"'incident_id': {i!r} is not unique"
                                              for i in sorted(set(dup))])
    base = pd.DataFrame(frame[list(INCIDENT_COLUMNS)]).reset_index(drop=True)
    pairs = candidate_pairs(base, days=days, km=km)
    clusters = _clusters(base, pairs)
    merged_pos = {i for g in clusters for i in g}
    kept = base.drop(index=sorted(merged_pos))
    merged = pd.DataFrame([merge_rows(base.iloc[g]) for g in clusters],
                          columns=list(INCIDENT_COLUMNS))
    parts = [p for p in (kept, merged) if len(p)]
    df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].copy()
    df = df.sort_values(["date", "incident_id"], kind="stable").reset_index(drop=True)
    for col in ("fatalities", "vehicles_destroyed"):
        df[col] = pd.array(df[col].astype(object).where(df[col].notna(), None), dtype="Int64")
    df["closure_radius_km"] = pd.to_numeric(df["closure_radius_km"]).astype(float)
    out = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["longitude"], df["latitude"]),
                           crs="EPSG:4326")
    removed = len(merged_pos) - len(clusters)
    out.attrs = {**attrs, "duplicates_merged": removed, "merged_events": len(clusters)}
    if clusters:
        logger.info("deduplicate: %d reports merged into %d events", len(merged_pos),
                    len(clusters))
    return out

