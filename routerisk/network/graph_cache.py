"""A disk cache of derived road graphs (clipped and segmented), safe to delete.

A derived graph is stored as one ``.npz`` file under ``user_cache_dir()/graphs`` named by a
hash of everything it depends on: the SHA-256 of the source file's content, the derivation
parameters (study box, piece length, road selection) and :data:`DERIVED_VERSION` (bumped
whenever the code that derives graphs changes). A changed source, option or code version
gives a new name, so a stale entry is never read. Entries are written to a temporary file
and renamed into place (:func:`routerisk._output.write_bytes_atomic`), so two processes
building the same graph at once both end with a complete file; a file that cannot be read
is ignored and rebuilt. Deleting the folder only costs the time to rebuild.

The file holds the graph, node and edge attributes as they are, column by column: numbers
(every value a Python ``float``, or every value an ``int``) and LineString geometries (their
vertices and counts) as numpy arrays, anything else (strings, lists, mixed columns) as JSON,
and the key order of every attribute dict, so the graph read back equals the one stored
(same types, values and attribute order). The arrays are read with ``allow_pickle=False``;
reading needs no osmnx and parses no text numbers, which keeps warm commands fast.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from routerisk.config import user_cache_dir

log = logging.getLogger(__name__)

#: Bumped when clipping, segmentation or the import of road graphs changes.
DERIVED_VERSION = "1"

#: Format of the cache files.
CACHE_FORMAT = "routerisk-graph/2"

_GEOM = "__linestring__"




def cache_dir(folder: str | os.PathLike[str] | None = None) -> Path:
    """Folder of derived graphs (``user_cache_dir()/graphs`` unless given)."""
    return Path(folder) if folder is not None else user_cache_dir() / "graphs"


def cache_key(source_sha256: str, params: Mapping[str, Any]) -> str:
    """Hash of the source digest, the derivation parameters and the code version."""
    text = json.dumps({"source": source_sha256, "params": dict(params),
                       "version": DERIVED_VERSION}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def cache_path(key: str, folder: str | os.PathLike[str] | None = None) -> Path:
    """Where the derived graph with ``key`` is stored."""
    return cache_dir(folder) / f"derived-{key}.npz"


def _encode(value: Any) -> Any:
    if hasattr(value, "geom_type") and value.geom_type == "LineString":
        return {_GEOM: [list(c) for c in value.coords]}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


def _is_line(value: Any) -> bool:
    return (getattr(value, "geom_type", None) == "LineString" and not value.has_z
            and len(value.coords) >= 2)


def _columns(rows: list[dict], prefix: str, arrays: dict[str, np.ndarray]) -> dict:
    """Describe dicts column by column; the numeric and geometry columns go to ``arrays``."""
    orders: dict[tuple, int] = {}
    row_order = [orders.setdefault(tuple(d), len(orders)) for d in rows]
    names = list(dict.fromkeys(a for keys in orders for a in keys))
    columns = []
    for j, a in enumerate(names):
        values = [d[a] for d in rows if a in d]
        name = f"{prefix}{j}"
        if values and all(type(v) is float for v in values):
            arrays[name] = np.array(values, dtype=np.float64)
            columns.append([a, "float"])
        elif values and all(type(v) is int and -2**63 <= v < 2**63 for v in values):
            arrays[name] = np.array(values, dtype=np.int64)
            columns.append([a, "int"])
        elif values and all(_is_line(v) for v in values):
            import shapely

            coords, index = shapely.get_coordinates(values, return_index=True)
            arrays[name] = coords
            arrays[name + ".n"] = np.bincount(index, minlength=len(values))
            columns.append([a, "line"])
        else:
            columns.append([a, "json", [_encode(v) for v in values]])
    arrays[f"{prefix}order"] = np.array(row_order, dtype=np.int64)
    return {"n": len(rows), "orders": [[names.index(a) for a in keys] for keys in orders],
            "columns": columns}


def _rows(desc: Mapping, prefix: str, data: Mapping[str, np.ndarray]) -> list[dict]:
    """Inverse of :func:`_columns`."""
    import shapely

    values = []
    for j, (a, kind, *rest) in enumerate(desc["columns"]):
        name = f"{prefix}{j}"
        if kind == "line":
            coords, counts = data[name], data[name + ".n"]
            index = np.repeat(np.arange(len(counts)), counts)
            values.append(list(shapely.linestrings(coords, indices=index)))
        elif kind in ("float", "int"):
            values.append(data[name].tolist())
        elif kind == "json":
            col = rest[0]
            if a == "geometry":
                col = [shapely.linestrings(v[_GEOM]) if isinstance(v, dict) else v for v in col]
            values.append(col)
        else:
            raise ValueError(f"unknown column kind {kind!r}")
    names = [c[0] for c in desc["columns"]]
    row_order = data[f"{prefix}order"]
    n = int(desc["n"])
    if len(row_order) != n:
        raise ValueError("row count differs from the order column")
    orders = desc["orders"]
    if len(orders) == 1:  # every dict has the same keys in the same order
        keys = [names[j] for j in orders[0]]
        return [dict(zip(keys, t, strict=True)) for t in zip(*(values[j] for j in orders[0]),
                                                                  strict=True)] \
            if keys else [{} for _ in range(n)]
    iters = [iter(v) for v in values]
    out = []
    for o in row_order.tolist():
        cols = orders[o]
        out.append({names[j]: next(iters[j]) for j in cols})
    return out


def graph_to_bytes(G: nx.MultiDiGraph) -> bytes:
    """The graph as the ``.npz`` of the cache."""
    arrays: dict[str, np.ndarray] = {}
    nodes = list(G.nodes(data=True))
    edges = list(G.edges(keys=True, data=True))
    ids = [{"id": n} for n, _ in nodes]
    ends = [{"u": u, "v": v, "k": k} for u, v, k, _ in edges]
    rows = {"node_ids": ids, "nodes": [d for _, d in nodes], "edge_ends": ends,
            "edges": [d for *_, d in edges]}
    doc = {"format": CACHE_FORMAT, "graph": {k: _encode(v) for k, v in G.graph.items()},
           **{part: _columns(rows[part], prefix, arrays) for part, prefix in _PARTS}}
    arrays["meta"] = np.frombuffer(json.dumps(doc, separators=(",", ":"), allow_nan=True)
                                   .encode("utf-8"), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


class CachedGraph:
    """A cache entry, read and checked once; :meth:`graph` builds a new graph from it.

    Raises
    ------
    ValueError, KeyError, OSError, zipfile.BadZipFile
        Not a readable entry of this format (a damaged file fails the zip checksums).
    """

    def __init__(self, data: bytes) -> None:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            self.arrays = {k: npz[k] for k in npz.files}
        self.doc = json.loads(self.arrays["meta"].tobytes())
        if not isinstance(self.doc, dict) or self.doc.get("format") != CACHE_FORMAT:
            raise ValueError(f"not a {CACHE_FORMAT} file")
        for part, prefix in _PARTS:
            desc = self.doc[part]
            names = [f"{prefix}order"]
            for j, (_, kind, *_) in enumerate(desc["columns"]):
                if kind != "json":
                    names += [f"{prefix}{j}"] + ([f"{prefix}{j}.n"] if kind == "line" else [])
            missing = [n for n in names if n not in self.arrays]
            if missing:
                raise KeyError(f"arrays {missing} missing")

    def graph(self) -> nx.MultiDiGraph:
        """A new graph (its own attribute dicts) equal to the one stored."""
        doc, arrays = self.doc, self.arrays
        G = nx.MultiDiGraph()
        G.graph.update(doc["graph"])
        ids = [r["id"] for r in _rows(doc["node_ids"], "i", arrays)]
        G.add_nodes_from(zip(ids, _rows(doc["nodes"], "n", arrays), strict=True))
        ends = _rows(doc["edge_ends"], "x", arrays)
        G.add_edges_from((e["u"], e["v"], e["k"], d)
                         for e, d in zip(ends, _rows(doc["edges"], "e", arrays), strict=True))
        return G


#: (part of the description, prefix of its arrays)
_PARTS = (("node_ids", "i"), ("nodes", "n"), ("edge_ends", "x"), ("edges", "e"))


def graph_from_bytes(data: bytes) -> nx.MultiDiGraph:
    """Inverse of :func:`graph_to_bytes`."""
    return CachedGraph(data).graph()


def read_cached(key: str, folder: str | os.PathLike[str] | None = None) -> CachedGraph | None:
    """The cache entry with ``key``, or ``None`` when absent or unreadable (logged; the
    caller rebuilds it)."""
    p = cache_path(key, folder)
    try:
        data = p.read_bytes()
    except OSError:
        return None
    try:
        entry = CachedGraph(data)
    except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("ignoring unreadable graph cache %s (%s); rebuilding", p, exc)
        return None
    log.info("using cached graph %s", p)
    return entry


def load_cached(key: str, folder: str | os.PathLike[str] | None = None
                ) -> nx.MultiDiGraph | None:
    """The cached graph with ``key``, or ``None`` when absent or unreadable."""
    entry = read_cached(key, folder)
    return None if entry is None else entry.graph()


def store(G: nx.MultiDiGraph, key: str, folder: str | os.PathLike[str] | None = None
          ) -> Path | None:
    """Write ``G`` to the cache atomically; a failure to write is logged, not raised."""
    from routerisk._output import write_bytes_atomic

    p = cache_path(key, folder)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(p, graph_to_bytes(G))
    except OSError as exc:
        log.warning("could not write the graph cache %s (%s); continuing without it", p, exc)
        return None
    log.info("cached graph %s", p)
    return p
