"""Property-based fuzzing: whatever bytes an incident file or a configuration file holds, the
readers return a valid frame/spec or raise a :class:`~routerisk.errors.RouteRiskError`
(one clear message), never anything else."""

from __future__ import annotations

import itertools
import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routerisk.errors import RouteRiskError
from routerisk.incidents.io import read_incidents
from routerisk.incidents.schema import INCIDENT_COLUMNS

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
_COUNTER = itertools.count()
_DIR = Path(tempfile.mkdtemp(prefix="routerisk-fuzz-"))

ACLED_COLUMNS = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "actor1",
                 "actor2", "inter2", "latitude", "longitude", "location", "notes",
                 "fatalities", "time_precision", "geo_precision", "iso3")
UCDP_COLUMNS = ("id", "date_start", "latitude", "longitude", "type_of_violence", "best",
                "where_prec", "date_prec", "side_a", "side_b", "country")
HEADERS = (tuple(INCIDENT_COLUMNS), ACLED_COLUMNS, UCDP_COLUMNS)

#: Plausible and hostile cell values.
CELLS = st.one_of(
    st.sampled_from(["", "1", "2019-03-02", "12 March 2019", "14.54", "-9.18", "nan", "inf",
                     "1e400", "-0", "convoy_ambush", "Armed clash", "Attack", "MLI1", "3",
                     "=1+1", '"', '""', ",", "\x00", "\ufeff", "é", "\r", "\n", "Mali"]),
    st.text(max_size=30),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _write(data: bytes, suffix: str) -> Path:
    path = _DIR / f"f{next(_COUNTER)}{suffix}"
    path.write_bytes(data)
    return path


def _csv(header: tuple[str, ...], rows: list[list[str]], drop: int | None) -> str:
    cols = [c for i, c in enumerate(header) if i != drop]
    lines = [",".join(cols)]
    for row in rows:
        lines.append(",".join('"' + v.replace('"', '""') + '"' if i % 2 else v
                              for i, v in enumerate(row[:len(cols)])))
    return "\n".join(lines) + "\n"


def _must_be_ours(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except RouteRiskError:
        return None


@SETTINGS
@given(header=st.sampled_from(HEADERS),
       rows=st.lists(st.lists(CELLS, min_size=20, max_size=20), min_size=0, max_size=6),
       drop=st.one_of(st.none(), st.integers(0, 10)),
       encoding=st.sampled_from(["utf-8", "latin-1", "utf-16"]))
def test_csv_readers_raise_only_routerisk_errors(header, rows, drop, encoding):
    text = _csv(header, rows, drop)
    data = text.encode(encoding, errors="replace")
    frame = _must_be_ours(read_incidents, _write(data, ".csv"))
    if frame is not None:
        assert list(frame.columns)[:len(INCIDENT_COLUMNS)] == list(INCIDENT_COLUMNS)
        assert frame["latitude"].between(-90, 90).all()


@SETTINGS
@given(data=st.binary(max_size=400))
def test_csv_readers_survive_arbitrary_bytes(data):
    _must_be_ours(read_incidents, _write(data, ".csv"))
    _must_be_ours(read_incidents, _write(b"incident_id,date,latitude\n" + data, ".csv"))


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=20)
PROPS = st.fixed_dictionaries(
    {}, optional={k: st.one_of(CELLS, JSON) for k in INCIDENT_COLUMNS})


@SETTINGS
@given(features=st.lists(st.one_of(
    JSON,
    st.fixed_dictionaries({"type": st.just("Feature"), "properties": PROPS,
                           "geometry": st.one_of(JSON, st.fixed_dictionaries({
                               "type": st.just("Point"),
                               "coordinates": st.lists(st.one_of(
                                   st.floats(allow_nan=False), JSON), max_size=3)}))})),
    max_size=5),
    wrapper=st.booleans(), depth=st.integers(0, 3000))
def test_geojson_reader_raises_only_routerisk_errors(features, wrapper, depth):
    doc = {"type": "FeatureCollection", "features": features} if wrapper else features
    text = json.dumps(doc)
    if depth > 2000:
        text = "[" * depth * 20 + "]" * depth * 20
    _must_be_ours(read_incidents, _write(text.encode(), ".geojson"))


# ----------------------------------------------------------------------- TOML loaders
def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) \
            else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    return json.dumps(v)


SCALAR = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(), st.text(max_size=15),
                   st.sampled_from(["Dakar", "Bamako", "Kayes", "SEN", "MLI", "a..b"]))
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["name", "lat", "lon", "town", "radius_km", "country"]), inner, max_size=3)),
    max_leaves=8)
KEYS = st.sampled_from(["name", "title", "waypoints", "buffer_km", "share", "origin",
                        "destination", "border", "stops", "towns", "blockades", "roads",
                        "bans", "label", "source", "share_basis", "country", "x"])
TABLE = st.dictionaries(KEYS, VALUE, max_size=6)


def _toml(kind: str, tables: list[dict], raw: str) -> str:
    lines = [raw]
    for i, t in enumerate(tables):
        if kind == "corridor":
            lines.append("[[corridor]]")
        elif kind == "route":
            lines.append("[[route]]")
        elif kind == "cost":
            lines.append(f"[t{i}]" if i % 2 else "[speed_kmh]")
        else:
            lines.append(f"[scenarios.s{i}]" if i % 2 == 0 else f"[roads.r{i}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in t.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", ["corridor", "route", "scenario", "cost"])
def test_toml_loaders_raise_only_routerisk_errors(kind):
    from routerisk.network.corridors import load_corridors
    from routerisk.supply.cost import load_cost
    from routerisk.supply.fuel_routes import load_routes
    from routerisk.supply.scenario_spec import load_presets

    loader = {"corridor": load_corridors, "route": load_routes, "scenario": load_presets,
              "cost": load_cost}[kind]

    @SETTINGS
    @given(tables=st.lists(TABLE, max_size=4),
           raw=st.one_of(st.just(""), st.text(max_size=40)),
           binary=st.one_of(st.none(), st.binary(max_size=40)))
    def check(tables, raw, binary):
        data = (binary if binary is not None
                else _toml(kind, tables, raw).encode("utf-8", errors="replace"))
        _must_be_ours(loader, _write(data, ".toml"))

    check()
