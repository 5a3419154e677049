"""The incident store: transactions, import, the commands, and every command's default data."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fake_apis import ACLED_PASSWORD, ACLED_USER, FakeAPIs, acled_row

from routerisk.cli import main
from routerisk.incidents.acled_api import fetch_acled
from routerisk.incidents.fetch import Credentials, FetchQuery
from routerisk.incidents.io import default_incidents
from routerisk.incidents.store import IncidentStore

CREDS = Credentials(ACLED_USER, ACLED_PASSWORD, "", "test")


@pytest.fixture
def api():
    with FakeAPIs() as server:
        for i in range(1, 6):
            server.acled[f"MLI{i}"] = acled_row(i, date=f"2024-01-{i:02d}",
                                                ts=1_700_000_000 + i)
        yield server


@pytest.fixture
def env(monkeypatch, tmp_path, api):
    """Credentials and URL from the environment, a fresh store, no credentials file."""
    monkeypatch.setenv("ACLED_USERNAME", ACLED_USER)
    monkeypatch.setenv("ACLED_PASSWORD", ACLED_PASSWORD)
    monkeypatch.setenv("ROUTERISK_ACLED_URL", api.url)
    monkeypatch.setenv("ROUTERISK_CREDENTIALS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("ROUTERISK_STORE", str(tmp_path / "store.sqlite"))
    return tmp_path / "store.sqlite"


def test_a_crash_inside_a_page_leaves_the_store_as_before_it(api, tmp_path, monkeypatch):
    store = IncidentStore(tmp_path / "s.sqlite")
    query = FetchQuery("ACLED", ("MLI",), None, dt.date(2020, 1, 1), dt.date(2025, 1, 1))
    calls = {"n": 0}
    real = IncidentStore.set_query

    def crash_on_second_page(conn, key, source, *, state, done):
        calls["n"] += 1
        if calls["n"] == 2:  # the rows of page 2 are written, the cursor is not yet
            raise KeyboardInterrupt
        return real(conn, key, source, state=state, done=done)

    monkeypatch.setattr(IncidentStore, "set_query", staticmethod(crash_on_second_page))
    with pytest.raises(KeyboardInterrupt):
        fetch_acled(store, query, base=api.url, credentials=CREDS, page_size=2)
    ids = {r[0] for r in store.conn.execute("SELECT event_id FROM incidents")}
    assert ids == {"MLI5", "MLI4"}  # page 1 only; page 2 rolled back with its cursor
    assert store.query(query.key())[0]["page"] == 2
    monkeypatch.setattr(IncidentStore, "set_query", staticmethod(real))
    r = fetch_acled(store, query, base=api.url, credentials=CREDS, page_size=2)
    assert r.resumed and r.new == 3 and r.unchanged == 2
    assert store.conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0] == 5


def test_cli_fetch_then_store_then_every_command_reads_it(env, api, capsys):
    assert main(["incidents", "fetch", "--country", "Mali", "--start", "2020-01-01",
                 "--page-size", "2"]) == 0
    out, err = capsys.readouterr()
    assert "ACLED (full): 5 rows in 3 page(s); 5 new" in out
    assert "page 3, 5 rows" in err and ACLED_PASSWORD not in out + err
    assert main(["incidents", "fetch", "--country", "MLI", "--start", "2020-01-01",
                 "--json"]) == 0
    again = json.loads(capsys.readouterr().out)["results"][0]
    assert again["incremental"] and again["new"] == 0
    assert main(["incidents", "store", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["counts"] == {"ACLED": {"2024": 5}}
    (cov,) = shown["coverage"]
    assert cov["source"] == "ACLED" and cov["start"] == "2020-01-01"
    assert cov["basis"] == "fetched" and cov["countries"] == ["MLI"]
    # default data of every command: the store + the catalogue, with the coverage contract
    frame = default_incidents()
    assert set(frame["incident_id"]) >= {f"ACLED-MLI{i}" for i in range(1, 6)}
    assert (frame["source"] == "ACLED").sum() == 5
    assert any(s.endswith("catalogue.csv") for s in frame.attrs["sources"])
    (c,) = frame.attrs["coverage"]
    assert {k: c[k] for k in ("source", "start", "bbox", "basis")} == {
        "source": "ACLED", "start": "2020-01-01", "bbox": [-17.6, 5.0, 4.3, 25.0],
        "basis": "fetched"}
    assert dt.date.fromisoformat(c["end"]) >= dt.date(2025, 1, 1)


def test_cli_bad_credentials_exit_1_with_one_line(env, monkeypatch, capsys):
    monkeypatch.setenv("ACLED_PASSWORD", "not-it")
    assert main(["incidents", "fetch"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "HTTP 401" in err[0] and "not-it" not in err[0]


def test_credentials_file_is_read_when_the_environment_has_none(env, monkeypatch, tmp_path,
                                                               capsys):
    monkeypatch.delenv("ACLED_USERNAME")
    monkeypatch.delenv("ACLED_PASSWORD")
    creds = tmp_path / "creds.toml"
    creds.write_text(f'[acled]\nusername = "{ACLED_USER}"\npassword = "{ACLED_PASSWORD}"\n')
    creds.chmod(0o600)
    monkeypatch.setenv("ROUTERISK_CREDENTIALS", str(creds))
    assert main(["incidents", "fetch", "--country", "MLI", "--quiet"]) == 0
    assert "5 new" in capsys.readouterr().out


def test_import_keys_acled_rows_so_a_fetch_revises_them(env, api, write_csv, capsys):
    row = acled_row(3, date="2024-01-03", fatalities=4)
    row["timestamp"] = 1_600_000_000
    outside = acled_row(9, lat=13.5, lon=12.0)
    path = write_csv([row, outside], "acled_export.csv")
    assert main(["incidents", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 rows read, filtered outside bbox 1; 1 events stored: 1 new" in out
    assert main(["incidents", "fetch", "--country", "MLI", "--quiet"]) == 0
    with IncidentStore(env) as store:
        rows = dict(store.conn.execute("SELECT event_id, query FROM incidents"))
        cov = sorted((c["basis"], c["start"]) for c in store.coverage())
    assert len(rows) == 5 and rows["MLI3"].startswith("{")  # now provenance = the query
    assert cov[0][0] == "fetched" and cov[1] == ("file", "2024-01-03")


def test_store_command_without_a_store(tmp_path, capsys):
    assert main(["incidents", "store", "--store", str(tmp_path / "none.sqlite")]) == 1
    assert "no incident store" in capsys.readouterr().err


def test_catalogue_rows_imported_into_the_store_are_not_counted_twice(env, capsys):
    from routerisk.incidents.io import CATALOGUE_FILE, combine, load_catalogue

    n = len(load_catalogue())
    assert main(["incidents", "import", str(CATALOGUE_FILE)]) == 0
    assert f"{n} events stored: {n} new" in capsys.readouterr().out
    alone = combine([load_catalogue()])
    both = default_incidents(store=env)
    assert sorted(both["incident_id"]) == sorted(alone["incident_id"])


def test_reclassify_reruns_the_classification_on_raw_rows(env, capsys):
    assert main(["incidents", "fetch", "--country", "MLI", "--quiet"]) == 0
    with IncidentStore(env) as store:
        (old,) = store.conn.execute(
            "SELECT incident FROM incidents WHERE event_id='MLI2'").fetchone()
        tampered = json.loads(old)
        tampered["event_type"] = "strategic"  # as an older rule set might have said
        store.conn.execute("UPDATE incidents SET incident=? WHERE event_id='MLI2'",
                           (json.dumps(tampered),))
    capsys.readouterr()
    assert main(["incidents", "store", "--reclassify"]) == 0
    assert "reclassified: 1 changed, 4 unchanged" in capsys.readouterr().out
    with IncidentStore(env) as store:
        (now,) = store.conn.execute(
            "SELECT incident FROM incidents WHERE event_id='MLI2'").fetchone()
    assert json.loads(now)["event_type"] == "convoy_ambush" and now == old

