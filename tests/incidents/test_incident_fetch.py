"""ACLED and UCDP fetching against a local server: paging, retries, resume, revisions,
deletions, credentials. Never touches the internet."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fake_apis import (
    ACLED_PASSWORD,
    ACLED_USER,
    UCDP_TOKEN,
    FakeAPIs,
    acled_row,
    ucdp_row,
)

from routerisk.incidents._http import AuthError, FetchError, Retry
from routerisk.incidents.acled_api import fetch_acled
from routerisk.incidents.fetch import Credentials, FetchQuery
from routerisk.incidents.store import IncidentStore
from routerisk.incidents.ucdp_api import fetch_ucdp, version_period

CREDS = Credentials(ACLED_USER, ACLED_PASSWORD, "", "test")
QUERY = FetchQuery("ACLED", ("MLI",), (-17.6, 5.0, 4.3, 25.0), dt.date(2020, 1, 1),
                   dt.date(2025, 9, 14))


@pytest.fixture
def api():
    with FakeAPIs() as server:
        yield server


@pytest.fixture
def store(tmp_path):
    with IncidentStore(tmp_path / "store.sqlite") as s:
        yield s


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _retry(attempts: int = 4) -> tuple[Retry, Sleeps]:
    sleeps = Sleeps()
    return Retry(attempts=attempts, base_s=0.5, max_wait_s=30, timeout_s=5,
                 sleep=sleeps), sleeps


def _stored(store: IncidentStore, source: str = "ACLED") -> dict[str, dict]:
    return {eid: json.loads(inc) for eid, inc in store.conn.execute(
        "SELECT event_id, incident FROM incidents WHERE source=?", (source,))}


def _serve_acled(api: FakeAPIs, n: int) -> None:
    for i in range(1, n + 1):
        api.acled[f"MLI{i}"] = acled_row(i, date=f"2024-01-{i:02d}", ts=1_700_000_000 + i)


def test_paged_fetch_stores_exactly_the_rows_served(api, store):
    _serve_acled(api, 7)
    api.acled["MLI99"] = acled_row(99, lat=13.5, lon=12.0)  # eastern Niger: outside bbox
    retry, _ = _retry()
    r = fetch_acled(store, QUERY, base=api.url, credentials=CREDS, retry=retry, page_size=3)
    assert r.pages == 3 and r.rows == 8 and r.new == 7
    assert r.filtered == {"outside bbox": 1}
    assert set(_stored(store)) == {f"MLI{i}" for i in range(1, 8)}
    assert [q["page"] for q in api.requested("/api/acled/read")] == ["1", "2", "3"]
    first = api.requested("/api/acled/read")[0]
    assert first["event_date"] == "2020-01-01|2025-09-14" and "timestamp" not in first
    assert first["country"] == "Mali" and first["_format"] == "json"
    # mapped by the same classification as files: "ambushed a convoy of trucks"
    assert _stored(store)["MLI3"]["event_type"] == "convoy_ambush"
    cov = store.coverage()
    assert [(c["source"], c["start"], c["end"], c["basis"]) for c in cov] == [
        ("ACLED", "2020-01-01", "2025-09-14", "fetched")]


def test_interrupted_fetch_resumes_without_loss_or_duplicates(api, store):
    _serve_acled(api, 8)
    retry, _ = _retry(attempts=2)
    served_pages: list[str] = []

    def progress(line: str) -> None:
        served_pages.append(line)
        api.faults["/api/acled/read"] = ["drop", "drop"]  # the connection drops from now

    with pytest.raises(FetchError, match="gave up after 2 tries"):
        fetch_acled(store, QUERY, base=api.url, credentials=CREDS, retry=retry,
                    page_size=3, progress=progress)
    assert len(served_pages) == 1
    assert set(_stored(store)) == {"MLI8", "MLI7", "MLI6"}  # page 1 committed, nothing else
    state, done = store.query(QUERY.key())
    assert state["page"] == 2 and done is None
    api.requests.clear()
    api.faults.clear()
    r = fetch_acled(store, QUERY, base=api.url, credentials=CREDS, retry=retry, page_size=3)
    assert r.resumed and r.new == 5 and r.unchanged == 3
    # the last committed page is read again, then the rest
    assert [q["page"] for q in api.requested("/api/acled/read")] == ["1", "2", "3"]
    assert set(_stored(store)) == {f"MLI{i}" for i in range(1, 9)}
    assert store.conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0] == 8


def test_resume_after_the_source_deleted_an_earlier_row(api, store):
    """Rows shift back a place when ACLED deletes an event on a page already read."""
    _serve_acled(api, 8)
    retry, _ = _retry(attempts=1)

    def drop_from_now(_line: str) -> None:
        api.faults["/api/acled/read"] = ["drop"]

    with pytest.raises(FetchError):
        fetch_acled(store, QUERY, base=api.url, credentials=CREDS, retry=retry,
                    page_size=3, progress=drop_from_now)
    assert set(_stored(store)) == {"MLI8", "MLI7", "MLI6"}
    del api.acled["MLI7"]  # MLI5 moves up to page 1
    now = int(dt.datetime.now(dt.timezone.utc).timestamp())
    api.deleted.append({"event_id_cnty": "MLI7", "deleted_timestamp": now})
    api.faults.clear()
    r = fetch_acled(store, QUERY, base=api.url, credentials=CREDS, retry=retry, page_size=3)
    assert r.resumed and r.deleted == 1
    assert set(_stored(store)) == {"MLI8", "MLI6", "MLI5", "MLI4", "MLI3", "MLI2", "MLI1"}


def test_incremental_fetch_applies_revisions_and_deletions(api, store):
    _serve_acled(api, 5)
    retry, _ = _retry()
    open_query = FetchQuery("ACLED", ("MLI",), None, dt.date(2020, 1, 1), None)
    fetch_acled(store, open_query, base=api.url, credentials=CREDS, retry=retry, page_size=2)
    assert len(_stored(store)) == 5
    # the source revises MLI2, adds MLI6 and deletes MLI4
    now = int(dt.datetime.now(dt.timezone.utc).timestamp())
    api.acled["MLI2"] = acled_row(2, date="2024-01-02", ts=now, fatalities=9)
    api.acled["MLI6"] = acled_row(6, date="2024-02-06", ts=now)
    del api.acled["MLI4"]
    api.deleted.append({"event_id_cnty": "MLI4", "deleted_timestamp": now})
    api.requests.clear()
    r = fetch_acled(store, open_query, base=api.url, credentials=CREDS, retry=retry,
                    page_size=2)
    asked = api.requested("/api/acled/read")
    # only what changed since the newest revision seen (MLI5's) is asked for
    assert r.incremental and {q["timestamp"] for q in asked} == {"1700000005"}
    assert r.rows == 3 and r.new == 1 and r.revised == 1 and r.unchanged == 1
    assert r.deleted == 1
    stored = _stored(store)
    assert set(stored) == {"MLI1", "MLI2", "MLI3", "MLI5", "MLI6"}
    assert stored["MLI2"]["fatalities"] == 9
    rev = store.conn.execute("SELECT revision FROM incidents WHERE event_id='MLI2'")
    assert rev.fetchone()[0] == now


def test_older_revision_never_replaces_newer(api, store):
    api.acled["MLI1"] = acled_row(1, ts=2_000, fatalities=3)
    retry, _ = _retry()
    fetch_acled(store, QUERY, base=api.url, credentials=CREDS, retry=retry)
    api.acled["MLI1"] = acled_row(1, ts=1_000, fatalities=1)  # a stale mirror
    q2 = FetchQuery("ACLED", ("MLI",), None, dt.date(2020, 1, 1), dt.date(2025, 1, 1))
    r = fetch_acled(store, q2, base=api.url, credentials=CREDS, retry=retry)
    assert r.stale == 1 and _stored(store)["MLI1"]["fatalities"] == 3


def test_retries_honour_retry_after_and_back_off(api, store):
    _serve_acled(api, 2)
    retry, sleeps = _retry()
    api.faults["/api/acled/read"] = ["429", "500", "malformed"]
    r = fetch_acled(store, QUERY, base=api.url, credentials=CREDS, retry=retry)
    assert r.new == 2
    assert sleeps == [7.0, 1.0, 2.0]  # Retry-After 7; then 0.5 * 2**1, 0.5 * 2**2


def test_bad_credentials_fail_with_one_clear_line(api, store):
    retry, sleeps = _retry()
    bad = Credentials(ACLED_USER, "wrong", "", "test")
    with pytest.raises(AuthError) as exc:
        fetch_acled(store, QUERY, base=api.url, credentials=bad, retry=retry)
    msg = str(exc.value)
    assert "HTTP 401" in msg and "ACLED_PASSWORD" in msg and "wrong" not in msg
    assert "\n" not in msg and sleeps == []
    with pytest.raises(FetchError, match="ACLED needs credentials"):
        fetch_acled(store, QUERY, base=api.url, credentials=Credentials(), retry=retry)


def test_expired_token_is_renewed_once(api, store):
    _serve_acled(api, 1)
    retry, _ = _retry()
    api.faults["/api/acled/read"] = ["401"]
    r = fetch_acled(store, QUERY, base=api.url, credentials=CREDS, retry=retry)
    assert r.new == 1 and len(api.requested("/oauth/token")) == 2


def test_ucdp_pages_token_and_coverage(api, store):
    api.ucdp["25.1"] = [ucdp_row(i, date=f"2024-0{1 + i % 9}-02") for i in range(1, 6)]
    api.ucdp["25.1"].append(ucdp_row(77, lat=13.0, lon=13.0))  # outside the bbox
    retry, _ = _retry()
    q = FetchQuery("UCDP", ("MLI",), (-17.6, 5.0, 4.3, 25.0), dt.date(1989, 1, 1), None,
                   "25.1")
    with pytest.raises(AuthError, match="UCDP_ACCESS_TOKEN"):
        fetch_ucdp(store, q, base=api.url, credentials=Credentials(access_token="nope"),
                   retry=retry)
    creds = Credentials(access_token=UCDP_TOKEN)
    r = fetch_ucdp(store, q, base=api.url, credentials=creds, retry=retry, page_size=2)
    assert r.pages == 3 and r.new == 5 and r.filtered == {"outside bbox": 1}
    asked = api.requested("/api/gedevents/25.1")
    assert [a["page"] for a in asked if "page" in a][-3:] == ["0", "1", "2"]
    assert asked[-1]["Country"] == "432" and asked[-1]["EndDate"] == "2024-12-31"
    stored = _stored(store, "UCDP GED")
    assert stored["3"]["event_type"] == "violence_against_civilians"
    assert stored["3"]["incident_id"] == "UCDP-3"
    assert r.coverage["start"] == "1989-01-01" and r.coverage["end"] == "2024-12-31"
    again = fetch_ucdp(store, q, base=api.url, credentials=creds, retry=retry)
    assert again.up_to_date


def test_ucdp_version_names():
    assert version_period("25.1") == (dt.date(1989, 1, 1), dt.date(2024, 12, 31))
    assert version_period("25.0.7") == (dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    with pytest.raises(ValueError, match="YY.0.M"):
        version_period("latest")
