"""A local stand-in for the ACLED and UCDP APIs, on 127.0.0.1, serving rows the tests write.

Speaks each API's documented format (see ``docs/incidents.md``): ACLED's OAuth token
endpoint, ``/api/acled/read`` (``limit``/``page`` paging, ``timestamp`` >= filter,
``event_date`` BETWEEN) and ``/api/deleted/read``; UCDP's ``/api/gedevents/<version>``
(``pagesize``/``page`` from 0, ``x-ucdp-access-token``). Faults are queued per endpoint and
served one per request: ``"429"`` (with ``Retry-After: 7``), ``"500"``, ``"401"``,
``"malformed"`` (a truncated JSON body) and ``"drop"`` (the connection closed mid-body)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACLED_USER, ACLED_PASSWORD, ACLED_TOKEN = "analyst@example.org", "s3cret-pw", "tok-123"
UCDP_TOKEN = "ucdp-tok-9"


def acled_row(n: int, *, date: str = "2024-03-01", ts: int = 1_700_000_000,
              lat: float = 14.0, lon: float = -8.0, fatalities: int = 1,
              notes: str = "Armed men ambushed a convoy of trucks.") -> dict:
    """An ACLED API row (the types the JSON API uses)."""
    return {"event_id_cnty": f"MLI{n}", "event_date": date, "year": int(date[:4]),
            "time_precision": "1", "disorder_type": "Political violence",
            "event_type": "Battles", "sub_event_type": "Armed clash",
            "actor1": "JNIM", "assoc_actor_1": "", "inter1": "Rebel group",
            "actor2": "Military Forces of Mali", "assoc_actor_2": "", "inter2": "State forces",
            "interaction": "Rebel group-State forces", "civilian_targeting": "",
            "iso": 466, "region": "Western Africa", "country": "Mali", "admin1": "Kayes",
            "admin2": "Kayes", "admin3": "", "location": f"Place {n}",
            "latitude": str(lat), "longitude": str(lon), "geo_precision": "1",
            "source": "Test", "source_scale": "National", "notes": notes,
            "fatalities": str(fatalities), "tags": "", "timestamp": ts}


def ucdp_row(n: int, *, date: str = "2024-05-02", lat: float = 14.5,
             lon: float = -4.2) -> dict:
    """A UCDP GED API row (all 49 GED columns)."""
    return {"id": n, "relid": f"MLI-2024-1-{n}", "year": int(date[:4]), "active_year": True,
            "code_status": "Clear", "type_of_violence": 3, "conflict_dset_id": "1",
            "conflict_new_id": 1, "conflict_name": "JNIM - civilians", "dyad_dset_id": "1",
            "dyad_new_id": 1, "dyad_name": "JNIM - civilians", "side_a_dset_id": "1",
            "side_a_new_id": 1, "side_a": "JNIM", "side_b_dset_id": "1", "side_b_new_id": 1,
            "side_b": "Civilians", "number_of_sources": 1, "source_article": "x",
            "source_office": "AFP", "source_date": date, "source_headline": f"Attack {n}",
            "source_original": "", "where_prec": 1, "where_coordinates": f"Village {n}",
            "where_description": "", "adm_1": "Mopti", "adm_2": "", "latitude": lat,
            "longitude": lon, "geom_wkt": f"POINT ({lon} {lat})", "priogrid_gid": 1,
            "country": "Mali", "country_id": 432, "region": "Africa", "event_clarity": 1,
            "date_prec": 1, "date_start": f"{date}T00:00:00.000",
            "date_end": f"{date}T00:00:00.000", "deaths_a": 0, "deaths_b": 0,
            "deaths_civilians": 2, "deaths_unknown": 0, "best": 2, "high": 2, "low": 2,
            "gwnoa": "", "gwnob": None}


class FakeAPIs:
    """State of the fake server: rows, deletions, queued faults and the requests seen."""

    def __init__(self) -> None:
        self.acled: dict[str, dict] = {}
        self.deleted: list[dict] = []
        self.ucdp: dict[str, list[dict]] = {}
        self.faults: dict[str, list[str]] = {}
        self.requests: list[tuple[str, dict]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeAPIs:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def requested(self, path: str) -> list[dict]:
        return [q for p, q in self.requests if p == path]


def _handler(api: FakeAPIs):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: bytes, headers: dict | None = None,
                  length: int | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if length is None else length))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def _json(self, doc: object) -> None:
            self._send(200, json.dumps(doc).encode())

        def _fault(self, path: str) -> bool:
            queue = api.faults.get(path) or []
            if not queue:
                return False
            fault = queue.pop(0)
            if fault == "429":
                self._send(429, b'{"error": "slow down"}', {"Retry-After": "7"})
            elif fault in ("500", "401", "403"):
                self._send(int(fault), b'{"error": "x"}')
            elif fault == "malformed":
                self._send(200, b'{"status": 200, "data": [{"event_id_cnty": "MLI')
            elif fault == "drop":
                self._send(200, b'{"status": 200, "success": true, "data": [',
                           length=100_000)
                self.close_connection = True
            return True

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            api.requests.append((self.path, {k: v for k, v in form.items()
                                             if k != "password"}))
            if self._fault(self.path):
                return
            ok = (self.path == "/oauth/token" and form.get("grant_type") == "password"
                  and form.get("client_id") == "acled" and form.get("username") == ACLED_USER
                  and form.get("password") == ACLED_PASSWORD)
            if not ok:
                self._send(401, b'{"error": "invalid_grant"}')
                return
            self._json({"token_type": "Bearer", "expires_in": 86400,
                        "access_token": ACLED_TOKEN, "refresh_token": "r"})

        def do_GET(self) -> None:  # noqa: N802
            parts = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(parts.query))
            api.requests.append((parts.path, q))
            if self._fault(parts.path):
                return
            if parts.path.startswith("/api/gedevents/"):
                return self._ucdp(parts.path.rsplit("/", 1)[1], q)
            if self.headers.get("Authorization") != f"Bearer {ACLED_TOKEN}":
                return self._send(401, b'{"error": "unauthorised"}')
            limit, page = int(q.get("limit", 5000)), int(q.get("page", 1))
            if parts.path == "/api/acled/read":
                rows = sorted(api.acled.values(), key=lambda r: (r["event_date"],
                                                                 r["event_id_cnty"]),
                              reverse=True)
                if "timestamp" in q:
                    assert q.get("timestamp_where") == ">="
                    rows = [r for r in rows if r["timestamp"] >= int(q["timestamp"])]
                if "event_date" in q:
                    lo, hi = q["event_date"].split("|")
                    rows = [r for r in rows if lo <= r["event_date"] <= hi]
            elif parts.path == "/api/deleted/read":
                since = int(q.get("deleted_timestamp", 0))
                rows = [d for d in api.deleted if d["deleted_timestamp"] >= since]
            else:
                return self._send(404, b"{}")
            chunk = rows[(page - 1) * limit: page * limit]
            self._json({"status": 200, "success": True, "last_update": 0,
                        "count": len(chunk), "messages": [], "data": chunk,
                        "filename": "acled"})

        def _ucdp(self, version: str, q: dict) -> None:
            if self.headers.get("x-ucdp-access-token") != UCDP_TOKEN:
                return self._send(401, b'{"error": "token"}')
            rows = api.ucdp.get(version, [])
            size, page = int(q.get("pagesize", 1000)), int(q.get("page", 0))
            pages = max(1, -(-len(rows) // size))
            chunk = rows[page * size:(page + 1) * size]
            nxt = (f"https://ucdpapi.pcr.uu.se/api/gedevents/{version}?pagesize={size}"
                   f"&page={page + 1}") if page + 1 < pages else ""
            self._json({"TotalCount": len(rows), "TotalPages": pages,
                        "PreviousPageUrl": "", "NextPageUrl": nxt, "Result": chunk})

    return Handler
