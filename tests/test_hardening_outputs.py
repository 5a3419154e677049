"""Outputs are all or nothing: a failed, full-disk or concurrent write never leaves a mix of
old and new files; CSV cells cannot run as spreadsheet formulas."""

from __future__ import annotations

import errno
import threading
import time

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from routerisk._output import OUTPUT_MARKER, csv_cell, output_folder
from routerisk.report._tables import write_geopackage, write_tables


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _leftovers(parent) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


@pytest.fixture
def old_output(tmp_path):
    out = tmp_path / "out"
    with output_folder(out) as work:
        (work / "index.html").write_text("old page")
        (work / "segments.csv").write_text("old,table\n")
    return out


def test_output_folder_replaces_whole_or_not_at_all(old_output):
    before = _snapshot(old_output)
    with pytest.raises(RuntimeError), output_folder(old_output) as work:
        (work / "index.html").write_text("new page")
        raise RuntimeError("failed half-way")
    assert _snapshot(old_output) == before
    assert _leftovers(old_output.parent) == []
    with output_folder(old_output) as work:
        (work / "segments.csv").write_text("new,table\n")
    assert sorted(p.name for p in old_output.iterdir()) == [OUTPUT_MARKER, "segments.csv"]
    assert (old_output / "segments.csv").read_text() == "new,table\n"
    assert _leftovers(old_output.parent) == []


@pytest.mark.parametrize("stage", ["csv", "geojson", "gpkg"])
def test_full_disk_while_writing_tables_keeps_the_previous_output(old_output, monkeypatch,
                                                                  stage):
    import pyogrio

    frame = gpd.GeoDataFrame({"name": ["a"], "geometry": [Point(-8.0, 12.65)]},
                             crs="EPSG:4326")
    if stage == "csv":
        monkeypatch.setattr(pd.DataFrame, "to_csv", _enospc)
    else:
        real = pyogrio.write_dataframe

        def write(df, path, *a, **k):
            if str(path).endswith("." + stage):
                open(path, "wb").write(b"half")  # noqa: SIM115 - a partial file, then full
                _enospc()
            return real(df, path, *a, **k)

        monkeypatch.setattr(pyogrio, "write_dataframe", write)
    before = _snapshot(old_output)
    with pytest.raises(OSError) as err, output_folder(old_output) as work:
        write_tables(work, {"incidents": frame})
        write_geopackage(work / "routerisk.gpkg", {"incidents": frame})
    assert err.value.errno == errno.ENOSPC
    assert _snapshot(old_output) == before
    assert _leftovers(old_output.parent) == []


def test_two_writers_never_mix_their_files(tmp_path):
    out = tmp_path / "out"

    def writer(name: str) -> None:
        with output_folder(out) as work:
            for i in range(15):
                (work / f"part{i}.txt").write_text(name)
                time.sleep(0.002)

    for _ in range(4):
        threads = [threading.Thread(target=writer, args=(n,)) for n in ("A", "B", "C")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        contents = {p.read_text() for p in out.glob("part*.txt")}
        assert len(contents) == 1 and len(list(out.glob("part*.txt"))) == 15
    assert _leftovers(tmp_path) == []


def test_graph_cache_is_written_atomically(tmp_path, monkeypatch):
    import osmnx as ox

    from routerisk.network.io import load_graph, save_graph

    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(1, x=-8.0, y=12.65)
    G.add_node(2, x=-7.5, y=12.9)
    G.add_edge(1, 2, length=60_000.0, travel_time=3600.0,
               geometry=LineString([(-8.0, 12.65), (-7.5, 12.9)]))
    path = save_graph(G, tmp_path / "cache" / "g.graphml")
    before = path.read_bytes()

    def half(H, filepath, *a, **k):
        open(filepath, "wb").write(before[:100])  # noqa: SIM115
        _enospc()

    monkeypatch.setattr(ox, "save_graphml", half)
    with pytest.raises(OSError):
        save_graph(G, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["g.graphml"]
    assert load_graph(path).number_of_edges() == 1


def test_csv_cells_cannot_run_as_formulas(tmp_path):
    frame = pd.DataFrame({"place": ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)",
                                    "\tx", "\rx", "Kayes"],
                          "fatalities": [-1, 2, 3, 4, 5, 6, 7]})
    write_tables(tmp_path, {"t": frame})
    back = pd.read_csv(tmp_path / "t.csv", keep_default_na=False)
    assert list(back["place"]) == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3",
                                   "'@SUM(A1)", "'\tx", "'\nx", "Kayes"]
    assert list(back["fatalities"]) == [-1, 2, 3, 4, 5, 6, 7]  # numbers stay numbers
    assert csv_cell(-5) == -5 and csv_cell("Bamako") == "Bamako"
