"""The local incident store: one SQLite file holding every fetched or imported incident.

Location: ``--store PATH``, else ``$ROUTERISK_STORE``, else ``incidents.sqlite`` in
:func:`routerisk.config.user_data_dir`. Tables:

* ``incidents`` — one row per (``source``, ``event_id``): the validated incident (JSON of
  the :class:`~routerisk.incidents.schema.Incident` fields), the source's raw row (JSON, kept
  for re-classification), the revision (ACLED's ``timestamp``; a row is replaced only by a
  revision at least as new), and provenance: the query or file it came from and when.
* ``coverage`` — per source and query, the date range and area actually fetched (or the
  date range of an imported file): what the store covers *systematically*.
* ``queries`` — per fetch query, the cursor of an unfinished fetch (``state``) and what the
  last finished one left for the next (``done``: revision and deletion high-water marks).

Every write is one transaction: a page of rows and the cursor that points past it commit
together, so an interrupted fetch leaves the store as it was before that page and resumes
there."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from routerisk.config import user_data_dir
from routerisk.errors import DataNotFoundError, ValidationError
from routerisk.incidents.schema import Incident, frame_from_records

logger = logging.getLogger(__name__)

#: Environment variable naming the store file.
STORE_ENV = "ROUTERISK_STORE"
#: File name of the store in the user data directory.
STORE_NAME = "incidents.sqlite"
#: Bump when the table layout changes.
SCHEMA_VERSION = 1

#: Incident ``source`` → the name coverage uses, and the prefix of its incident ids.
SOURCE_PREFIX: dict[str, str] = {"ACLED": "ACLED", "UCDP GED": "UCDP"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS incidents (
    source TEXT NOT NULL, event_id TEXT NOT NULL, revision INTEGER,
    date TEXT NOT NULL, incident TEXT NOT NULL, raw TEXT NOT NULL,
    query TEXT NOT NULL, fetched_at TEXT NOT NULL,
    PRIMARY KEY (source, event_id));
CREATE TABLE IF NOT EXISTS coverage (
    source TEXT NOT NULL, query TEXT NOT NULL, start TEXT NOT NULL, "end" TEXT NOT NULL,
    bbox TEXT, countries TEXT, basis TEXT NOT NULL, recorded_at TEXT NOT NULL,
    PRIMARY KEY (source, query));
CREATE TABLE IF NOT EXISTS queries (
    query TEXT PRIMARY KEY, source TEXT NOT NULL, state TEXT, done TEXT,
    updated_at TEXT NOT NULL);
"""


def store_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The store file: ``path``, else ``$ROUTERISK_STORE``, else the user data directory."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env).expanduser()
    return user_data_dir() / STORE_NAME


def now_utc() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class StoredRow:
    """One incident to store: its source id, revision, validated record and raw row."""

    event_id: str
    revision: int | None
    incident: Incident
    raw: dict


@dataclass
class WriteCounts:
    """What a write did: rows new, replaced by a newer revision, already stored at the
    same revision, or kept (the stored revision is newer)."""

    new: int = 0
    revised: int = 0
    unchanged: int = 0
    stale: int = 0

    def add(self, other: WriteCounts) -> None:
        self.new += other.new
        self.revised += other.revised
        self.unchanged += other.unchanged
        self.stale += other.stale


class IncidentStore:
    """An open incident store (see the module docstring).

    Parameters
    ----------
    path
        The SQLite file; see :func:`store_path`.
    create
        Create the file (and its folder) when missing; else raise DataNotFoundError.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, create: bool = True):
        self.path = store_path(path)
        if not self.path.exists():
            if not create:
                raise DataNotFoundError(f"incident store not found: {self.path}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.conn.executescript(_SCHEMA)
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ValidationError(str(self.path), [f"not a routerisk incident store: {exc}"]
                                  ) from None
        if row is None:
            self.conn.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) > SCHEMA_VERSION:
            raise ValidationError(str(self.path), [
                f"store schema {row[0]} is newer than this routerisk knows ({SCHEMA_VERSION})"])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> IncidentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls everything back."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- writing ---------------------------------------------------------------------
    @staticmethod
    def upsert(conn: sqlite3.Connection, source: str, rows: Sequence[StoredRow], *,
               query: str, fetched_at: str) -> WriteCounts:
        """Insert rows, or replace stored ones whose revision is not newer; inside a
        :meth:`transaction`."""
        counts = WriteCounts()
        for r in rows:
            old = conn.execute("SELECT revision FROM incidents WHERE source=? AND event_id=?",
                               (source, r.event_id)).fetchone()
            if old is not None and old[0] is not None and r.revision is not None \
                    and r.revision < old[0]:
                counts.stale += 1
                continue
            if old is not None and old[0] is not None and r.revision == old[0]:
                counts.unchanged += 1
                continue
            conn.execute(
                "INSERT OR REPLACE INTO incidents VALUES (?,?,?,?,?,?,?,?)",
                (source, r.event_id, r.revision, r.incident.date.isoformat(),
                 json.dumps(r.incident.model_dump(mode="json"), ensure_ascii=False),
                 json.dumps(r.raw, ensure_ascii=False, default=str), query, fetched_at))
            if old is None:
                counts.new += 1
            else:
                counts.revised += 1
        return counts

    @staticmethod
    def delete(conn: sqlite3.Connection, source: str, event_ids: Sequence[str]) -> int:
        """Remove events the source deleted; returns how many were in the store."""
        n = 0
        for eid in event_ids:
            n += conn.execute("DELETE FROM incidents WHERE source=? AND event_id=?",
                              (source, str(eid))).rowcount
        return n

    @staticmethod
    def set_coverage(conn: sqlite3.Connection, source: str, query: str, *, start: str,
                     end: str, bbox: Sequence[float] | None, countries: Sequence[str] | None,
                     basis: str) -> None:
        """Record (or extend) what a query or file covers."""
        old = conn.execute('SELECT start, "end" FROM coverage WHERE source=? AND query=?',
                           (source, query)).fetchone()
        if old is not None:
            start, end = min(start, old[0]), max(end, old[1])
        conn.execute("INSERT OR REPLACE INTO coverage VALUES (?,?,?,?,?,?,?,?)",
                     (source, query, start, end,
                      None if bbox is None else json.dumps([float(v) for v in bbox]),
                      None if not countries else ",".join(countries), basis, now_utc()))

    def query(self, key: str) -> tuple[dict | None, dict | None]:
        """(state of the unfinished fetch, what the last finished fetch left) for a query."""
        row = self.conn.execute("SELECT state, done FROM queries WHERE query=?",
                                (key,)).fetchone()
        if row is None:
            return None, None
        return (json.loads(row[0]) if row[0] else None, json.loads(row[1]) if row[1] else None)

    @staticmethod
    def set_query(conn: sqlite3.Connection, key: str, source: str, *, state: dict | None,
                  done: dict | None) -> None:
        conn.execute("INSERT OR REPLACE INTO queries VALUES (?,?,?,?,?)",
                     (key, source, None if state is None else json.dumps(state),
                      None if done is None else json.dumps(done), now_utc()))

    def import_frame(self, frame: gpd.GeoDataFrame, *, origin: str,
                     bbox: Sequence[float] | None = None) -> WriteCounts:
        """Add an incident frame read from a file (one transaction); ACLED and UCDP rows
        are keyed by their source ids, so a later fetch revises them; the file's date
        range (and ``bbox``, the area the file was filtered to) is recorded as coverage of
        basis ``file`` for ACLED and UCDP."""
        fields = list(Incident.model_fields)
        counts = WriteCounts()
        fetched_at = now_utc()
        with self.transaction() as conn:
            by_source: dict[str, list[StoredRow]] = {}
            for rec in frame[fields].astype(object).where(frame[fields].notna(), None) \
                    .to_dict("records"):
                rec["date"] = rec["date"].date() if hasattr(rec["date"], "date") else rec["date"]
                inc = Incident.model_validate({k: v for k, v in rec.items() if v is not None})
                prefix = SOURCE_PREFIX.get(inc.source)
                eid = inc.incident_id.removeprefix(f"{prefix}-") if prefix else inc.incident_id
                by_source.setdefault(inc.source, []).append(
                    StoredRow(eid, None, inc, inc.model_dump(mode="json")))
            for source, rows in by_source.items():
                counts.add(self.upsert(conn, source, rows, query=origin,
                                       fetched_at=fetched_at))
                if source in SOURCE_PREFIX:
                    dates = sorted(r.incident.date.isoformat() for r in rows)
                    self.set_coverage(conn, SOURCE_PREFIX[source], origin, start=dates[0],
                                      end=dates[-1], bbox=bbox, countries=None, basis="file")
        return counts

    def reclassify(self) -> dict[str, int]:
        """Classify the stored raw rows of fetched ACLED and UCDP events again with the
        current code (:func:`~routerisk.incidents.acled.acled_incidents`,
        :func:`~routerisk.incidents.ucdp.ucdp_incidents`), in one transaction.

        Returns ``{"changed", "unchanged", "not_reclassifiable"}``: rows imported from
        files keep the incident they were read as (their raw row is that incident)."""
        from routerisk.incidents._files import records_frame
        from routerisk.incidents.acled import acled_incidents
        from routerisk.incidents.ucdp import ucdp_incidents

        out = {"changed": 0, "unchanged": 0, "not_reclassifiable": 0}
        with self.transaction() as conn:
            for source, id_col, classify in (("ACLED", "event_id_cnty", acled_incidents),
                                             ("UCDP GED", "type_of_violence", ucdp_incidents)):
                rows = conn.execute("SELECT event_id, raw, incident FROM incidents "
                                    "WHERE source=?", (source,)).fetchall()
                raws = [(eid, json.loads(raw), old) for eid, raw, old in rows]
                usable = [(eid, raw, old) for eid, raw, old in raws if id_col in raw]
                out["not_reclassifiable"] += len(raws) - len(usable)
                if not usable:
                    continue
                incidents, _, _ = classify(records_frame([r for _, r, _ in usable]),
                                           check_swapped=False)
                by_id = {i.incident_id: i for i in incidents}
                prefix = SOURCE_PREFIX[source]
                for eid, _, old in usable:
                    inc = by_id.get(f"{prefix}-{eid}")
                    new = None if inc is None else json.dumps(inc.model_dump(mode="json"),
                                                              ensure_ascii=False)
                    if new is None or new == old:
                        out["unchanged"] += 1
                        continue
                    conn.execute("UPDATE incidents SET incident=? WHERE source=? AND "
                                 "event_id=?", (new, source, eid))
                    out["changed"] += 1
        return out

    # -- reading ---------------------------------------------------------------------
    def coverage(self) -> list[dict]:
        """Coverage rows per the shared contract: ``{"source", "start", "end", "bbox",
        "basis"}`` plus ``countries`` and ``query``, ordered by source and start."""
        out = []
        for source, query, start, end, bbox, countries, basis, _ in self.conn.execute(
                'SELECT * FROM coverage ORDER BY source, start, "end"'):
            out.append({"source": source, "start": start, "end": end,
                        "bbox": None if bbox is None else json.loads(bbox),
                        "basis": basis, "countries": countries.split(",") if countries else [],
                        "query": query})
        return out

    def counts(self) -> dict[str, dict[str, int]]:
        """Stored incidents per source and year."""
        out: dict[str, dict[str, int]] = {}
        for source, year, n in self.conn.execute(
                "SELECT source, substr(date, 1, 4) AS y, COUNT(*) FROM incidents "
                "GROUP BY source, y ORDER BY source, y"):
            out.setdefault(source, {})[year] = int(n)
        return out

    def frame(self) -> gpd.GeoDataFrame:
        """Every stored incident as a standard incident frame; ``attrs["coverage"]`` lists
        the coverage (see :meth:`coverage`), ``attrs["source_file"]`` the store."""
        records = [json.loads(r[0]) for r in self.conn.execute(
            "SELECT incident FROM incidents ORDER BY date, source, event_id")]
        frame = frame_from_records(records)
        frame.attrs.update({"source_file": str(self.path), "format": "store",
                            "rows_read": len(frame), "events_kept": len(frame),
                            "filtered": {}, "coverage": self.coverage()})
        return frame


def load_store(path: str | os.PathLike[str] | None = None) -> gpd.GeoDataFrame | None:
    """The store's incidents (:meth:`IncidentStore.frame`), or ``None`` when there is no
    store file."""
    p = store_path(path)
    if not p.is_file():
        return None
    with IncidentStore(p, create=False) as store:
        return store.frame()
