"""Fetch UCDP GED events (annual release or monthly Candidate) into the incident store.

The API as documented by UCDP (``ucdp.uu.se/apidocs``; see ``docs/incidents.md``):
GET ``<base>/api/gedevents/<version>?pagesize=<n>&page=<k>`` (pages from 0, at most 1000
rows) with the header ``x-ucdp-access-token: <token>`` (required since February 2026); filters
``Country`` (Gleditsch–Ward numbers, comma-separated), ``StartDate`` and ``EndDate``
(``YYYY-MM-DD``). The answer is ``{"TotalCount", "TotalPages", "PreviousPageUrl",
"NextPageUrl", "Result": [...]}`` with the GED columns in each row.

A version's data never change (UCDP guarantees that an API call returns the same data for
ever), so a finished query is up to date; new data come as a new version: the annual GED
``YY.1`` (events to 31 December of the previous year) or a monthly Candidate release
``YY.0.M``. Each version is its own query with its own cursor and coverage. The area filter
is applied here (rows outside are counted, not stored)."""

from __future__ import annotations

import datetime as dt
import logging
import time

from routerisk.incidents._files import records_frame
from routerisk.incidents._http import FetchError, Retry, request_json
from routerisk.incidents.fetch import (
    COUNTRIES,
    Credentials,
    FetchQuery,
    FetchResult,
    Progress,
    split_rows,
    version_period,
)
from routerisk.incidents.store import IncidentStore, StoredRow, now_utc
from routerisk.incidents.ucdp import ucdp_incidents

logger = logging.getLogger(__name__)

#: Rows per page (the API's maximum).
PAGE_SIZE = 1000
#: Default version: GED 25.1, events 1989-01-01 … 2024-12-31.
DEFAULT_VERSION = "25.1"

def _result(doc: object, what: str) -> tuple[list[dict], int]:
    if not isinstance(doc, dict) or not isinstance(doc.get("Result"), list):
        raise FetchError(f"{what}: expected a JSON object with a 'Result' list")
    rows = doc["Result"]
    if not all(isinstance(r, dict) for r in rows):
        raise FetchError(f"{what}: expected 'Result' to be a list of rows")
    try:
        pages = int(doc.get("TotalPages") or 0)
    except (TypeError, ValueError):
        pages = 0
    return rows, pages


def fetch_ucdp(store: IncidentStore, query: FetchQuery, *, base: str,
               credentials: Credentials, retry: Retry | None = None,
               page_size: int = PAGE_SIZE, progress: Progress | None = None,
               refresh: bool = False) -> FetchResult:
    """Fetch one GED version's events for ``query`` into the store (module docstring).

    Resumes an interrupted fetch of the same query; a finished one is reported up to date
    unless ``refresh``.
    """
    version = query.version or DEFAULT_VERSION
    first, last = version_period(version)
    start, end = max(query.start, first), min(query.end_or_today(), last)
    retry = retry or Retry()
    key = query.key()
    result = FetchResult("UCDP", key)
    state, done = store.query(key)
    if state is None and done is not None and not refresh:
        result.up_to_date = True
        return result
    if not credentials.access_token:
        raise FetchError("UCDP needs an API token: set UCDP_ACCESS_TOKEN, or "
                         "access_token in the [ucdp] table of the credentials file; UCDP "
                         "issues tokens on request (ucdp.uu.se/apidocs)")
    result.resumed = state is not None
    state = state or {"page": 0, "started": int(time.time())}
    show = progress or (lambda _line: None)
    params: dict[str, object] = {"pagesize": page_size,
                                 "StartDate": start.isoformat(), "EndDate": end.isoformat()}
    if query.countries:
        params["Country"] = ",".join(str(COUNTRIES[c][1]) for c in query.countries)
    while start <= end:
        what = f"UCDP GED {version} page {state['page']}"
        doc = request_json(f"{base}/api/gedevents/{version}", what=what,
                           params={**params, "page": state["page"]},
                           headers={"x-ucdp-access-token": credentials.access_token},
                           retry=retry, auth_hint="check UCDP_ACCESS_TOKEN")
        rows, total_pages = _result(doc, what)
        incidents, problems, _ = ucdp_incidents(records_frame(rows), check_swapped=False) \
            if rows else ([], [], {})
        result.problems.extend(f"{what}, {p}" for p in problems)
        keep = split_rows(rows, incidents, "id", "UCDP", query, result)
        state["page"] += 1
        finished = not rows or state["page"] >= total_pages
        with store.transaction() as conn:
            counts = store.upsert(conn, "UCDP GED",
                                  [StoredRow(eid, None, inc, raw) for eid, inc, raw in keep],
                                  query=key, fetched_at=now_utc())
            store.set_query(conn, key, "UCDP", state=state, done=done)
        result.pages += 1
        result.rows += len(rows)
        result.new, result.revised = result.new + counts.new, result.revised + counts.revised
        result.unchanged += counts.unchanged
        show(f"UCDP {version}: page {result.pages} of {max(total_pages, 1)}, "
             f"{result.rows:,} rows, {result.new:,} new")
        if finished:
            break
    coverage = {"start": start.isoformat(), "end": max(start, end).isoformat()}
    with store.transaction() as conn:
        if start <= end:
            store.set_coverage(conn, "UCDP", key, bbox=query.bbox, countries=query.countries,
                               basis="fetched", **coverage)
        store.set_query(conn, key, "UCDP", state=None, done={
            "completed": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    if start <= end:
        result.coverage = {"source": "UCDP", **coverage, "bbox": query.bbox,
                           "basis": "fetched"}
    return result
