"""Fetch ACLED events from its API into the incident store: paged, resumable, incremental.

The API as documented by ACLED (``acleddata.com/api-documentation``, 2025; see
``docs/incidents.md`` for the sources):

* **Authentication** (OAuth, since 2025): POST ``<base>/oauth/token`` with the form
  ``username``, ``password``, ``grant_type=password``, ``client_id=acled``; the answer's
  ``access_token`` goes in ``Authorization: Bearer <token>`` on every data request.
* **Events**: GET ``<base>/api/acled/read?_format=json`` with filters ``country``
  (names joined by ``|``), ``event_date=<from>|<to>`` + ``event_date_where=BETWEEN``,
  ``latitude``/``longitude`` likewise, ``timestamp=<t>`` + ``timestamp_where=>=`` (events
  added or revised since ``t``), paged by ``limit`` and ``page`` (from 1); the answer is
  ``{"status": 200, "success": true, "count": n, "data": [...]}``; a page shorter than
  ``limit`` is the last.
* **Deletions**: GET ``<base>/api/deleted/read?_format=json`` with
  ``deleted_timestamp=<t>`` + ``deleted_timestamp_where=>=``; rows ``{"event_id_cnty",
  "deleted_timestamp"}``.

First fetch of a query: every event in the date range and area. Next fetch of the same
query: only events whose ``timestamp`` is at least the previous run's high-water mark (new
and revised events; a revision replaces the stored row), then the events deleted since the
previous run are removed. The high-water mark is the older of the newest ``timestamp`` seen
and the previous run's start less one day, so clock skew or events revised during a run are
fetched again rather than missed (re-fetching is harmless: rows are keyed by
``event_id_cnty``)."""

from __future__ import annotations

import datetime as dt
import logging
import time

from routerisk.incidents._files import records_frame
from routerisk.incidents._http import AuthError, FetchError, Retry, request_json
from routerisk.incidents.acled import acled_incidents
from routerisk.incidents.fetch import (
    COUNTRIES,
    Credentials,
    FetchQuery,
    FetchResult,
    Progress,
    split_rows,
)
from routerisk.incidents.store import IncidentStore, StoredRow, now_utc

logger = logging.getLogger(__name__)

#: Rows per page (ACLED's documented default and maximum page size is 5000).
PAGE_SIZE = 5000
#: Re-fetch margin of an incremental run, seconds.
OVERLAP_S = 86_400

_AUTH_HINT = ("check ACLED_USERNAME and ACLED_PASSWORD (your myACLED login) or "
              "ACLED_ACCESS_TOKEN, and that your account has API access")


class _Session:
    """Bearer token for one run; fetched again once if the API refuses it mid-run."""

    def __init__(self, base: str, creds: Credentials, retry: Retry) -> None:
        self.base, self.creds, self.retry = base, creds, retry
        if not creds.access_token and not (creds.username and creds.password):
            raise FetchError(
                "ACLED needs credentials: set ACLED_USERNAME and ACLED_PASSWORD (your "
                "myACLED login), or ACLED_ACCESS_TOKEN, in the environment or in the "
                "[acled] table of the credentials file (see `routerisk incidents fetch -h`)")
        self.token = creds.access_token or self._login()

    def _login(self) -> str:
        doc = request_json(f"{self.base}/oauth/token", what="ACLED login", retry=self.retry,
                           form={"username": self.creds.username,
                                 "password": self.creds.password,
                                 "grant_type": "password", "client_id": "acled"},
                           auth_hint=_AUTH_HINT)
        token = doc.get("access_token") if isinstance(doc, dict) else None
        if not token:
            raise AuthError(f"ACLED login: no access_token in the answer; {_AUTH_HINT}", 401)
        return str(token)

    def get(self, path: str, params: dict, what: str) -> list[dict]:
        for attempt in (0, 1):
            try:
                doc = request_json(f"{self.base}{path}", what=what, params=params,
                                   headers={"Authorization": f"Bearer {self.token}"},
                                   retry=self.retry, auth_hint=_AUTH_HINT)
                return _data(doc, what)
            except AuthError:
                if attempt or not self.creds.password:
                    raise
                self.token = self._login()
        raise AssertionError("unreachable")


def _data(doc: object, what: str) -> list[dict]:
    """The ``data`` rows of an ACLED answer; errors the API reports in the body raise."""
    if not isinstance(doc, dict):
        raise FetchError(f"{what}: expected a JSON object with 'data'; got "
                         f"{type(doc).__name__}")
    status = doc.get("status", 200)
    if doc.get("success") is False or status not in (200, "200"):
        message = doc.get("error") or doc.get("messages") or "no message"
        if status in (401, 403, "401", "403"):
            raise AuthError(f"{what}: ACLED refused the credentials ({message}); "
                            f"{_AUTH_HINT}", int(status))
        raise FetchError(f"{what}: ACLED answered status {status}: {message}")
    rows = doc.get("data")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise FetchError(f"{what}: expected 'data' to be a list of rows")
    return rows


def _revision(raw: dict) -> int | None:
    try:
        return int(float(raw.get("timestamp")))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _event_params(query: FetchQuery, state: dict, page_size: int) -> dict:
    params: dict[str, object] = {"_format": "json", "limit": page_size, "page": state["page"],
                                 "event_date": f"{query.start.isoformat()}|{state['end']}",
                                 "event_date_where": "BETWEEN"}
    if query.countries:
        params["country"] = "|".join(COUNTRIES[c][0] for c in query.countries)
    if query.bbox is not None:
        x0, y0, x1, y1 = query.bbox
        params.update({"latitude": f"{y0:g}|{y1:g}", "latitude_where": "BETWEEN",
                       "longitude": f"{x0:g}|{x1:g}", "longitude_where": "BETWEEN"})
    if state.get("since") is not None:
        params.update({"timestamp": state["since"], "timestamp_where": ">="})
    return params


def fetch_acled(store: IncidentStore, query: FetchQuery, *, base: str,
                credentials: Credentials, retry: Retry | None = None,
                page_size: int = PAGE_SIZE, progress: Progress | None = None) -> FetchResult:
    """Bring the store's ACLED events for ``query`` up to date (see the module docstring).

    Resumes an interrupted fetch of the same query at the last page it committed (read again,
    so that rows shifted by deletions in between are not skipped).

    Raises
    ------
    AuthError
        When ACLED refuses the credentials.
    FetchError
        When a page cannot be read after the retries; the pages before it are kept and the
        next run resumes there.
    """
    retry = retry or Retry()
    key = query.key()
    result = FetchResult("ACLED", key)
    state, done = store.query(key)
    session = _Session(base, credentials, retry)
    if state is not None:
        result.resumed = True
        if state["phase"] == "events" and state["page"] > 1:
            # read the last committed page again: events ACLED removed meanwhile from
            # earlier pages shift later rows back by as many places (re-reading is harmless)
            state["page"] -= 1
    else:
        has_rows = store.conn.execute(
            "SELECT 1 FROM incidents WHERE source='ACLED' LIMIT 1").fetchone() is not None
        started = int(time.time())
        # deletions to apply: since the last run; all of them when the store already holds
        # ACLED rows from elsewhere (an imported file); else those made during this run
        deleted_since = (done.get("deleted_since") if done
                         else 0 if has_rows else started - OVERLAP_S)
        state = {"phase": "events", "page": 1, "started": started,
                 "end": query.end_or_today().isoformat(), "max_ts": None,
                 "since": done.get("next_since") if done else None,
                 "deleted_since": deleted_since}
    result.incremental = state.get("since") is not None
    show = progress or (lambda _line: None)
    while state["phase"] == "events":
        what = f"ACLED events page {state['page']}"
        rows = session.get("/api/acled/read", _event_params(query, state, page_size), what)
        incidents, problems, _ = acled_incidents(records_frame(rows), check_swapped=False) \
            if rows else ([], [], {})
        result.problems.extend(f"{what}, {p}" for p in problems)
        keep = split_rows(rows, incidents, "event_id_cnty", "ACLED", query, result)
        stored = [StoredRow(eid, _revision(raw), inc, raw) for eid, inc, raw in keep]
        revs = [r for r in (_revision(raw) for raw in rows) if r is not None]
        if revs:
            state["max_ts"] = max(revs + ([state["max_ts"]] if state["max_ts"] else []))
        state["page"] += 1
        if len(rows) < page_size:
            state["phase"] = "deleted"
            state["page"] = 1
        with store.transaction() as conn:
            counts = store.upsert(conn, "ACLED", stored, query=key, fetched_at=now_utc())
            store.set_query(conn, key, "ACLED", state=state, done=done)
        result.pages += 1
        result.rows += len(rows)
        result.new, result.revised = result.new + counts.new, result.revised + counts.revised
        result.unchanged += counts.unchanged
        result.stale += counts.stale
        show(f"ACLED: page {result.pages}, {result.rows:,} rows, {result.new:,} new, "
             f"{result.revised:,} revised")
    while state["phase"] == "deleted":
        what = f"ACLED deletions page {state['page']}"
        rows = session.get("/api/deleted/read", {
            "_format": "json", "limit": page_size, "page": state["page"],
            "deleted_timestamp": state["deleted_since"], "deleted_timestamp_where": ">="}, what)
        ids = [str(r.get("event_id_cnty", "")).strip() for r in rows]
        state["page"] += 1
        if len(rows) < page_size:
            state["phase"] = "finish"
        with store.transaction() as conn:
            n = store.delete(conn, "ACLED", [i for i in ids if i])
            store.set_query(conn, key, "ACLED", state=state, done=done)
        result.deleted += n
        show(f"ACLED: deletions page {state['page'] - 1}, {len(ids):,} listed, "
             f"{result.deleted:,} removed from the store")
    started = int(state["started"])
    mark = started - OVERLAP_S if state["max_ts"] is None else min(state["max_ts"],
                                                                   started - OVERLAP_S)
    coverage = {"start": query.start.isoformat(), "end": state["end"]}
    with store.transaction() as conn:
        store.set_coverage(conn, "ACLED", key, bbox=query.bbox, countries=query.countries,
                           basis="fetched", **coverage)
        store.set_query(conn, key, "ACLED", state=None, done={
            "next_since": mark, "deleted_since": started - OVERLAP_S,
            "completed": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    result.coverage = {"source": "ACLED", **coverage, "bbox": query.bbox, "basis": "fetched"}
    return result
