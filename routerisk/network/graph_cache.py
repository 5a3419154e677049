"""A disk cache of derived road graphs (clipped and segmented), safe to delete.

A derived graph is stored as one JSON file under ``user_cache_dir()/graphs`` named by a hash
of everything it depends on: the SHA-256 of the source file's content, the derivation
parameters (study box, piece length, road selection) and :data:`DERIVED_VERSION` (bumped
whenever the code that derives graphs changes). A changed source, option or code version
gives a new name, so a stale entry is never read. Entries are written to a temporary file
and renamed into place (:func:`routerisk._output.write_bytes_atomic`), so two processes
building the same graph at once both end with a complete file; a file that cannot be read
is ignored and rebuilt. Deleting the folder only costs the time to rebuild.

The JSON holds the graph, node and edge attributes as they are (numbers, strings, lists);
edge geometries are stored as coordinate lists. Reading it needs no osmnx import, which
keeps warm commands fast.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from routerisk.config import user_cache_dir

log = logging.getLogger(__name__)

#: Bumped when clipping, segmentation or the import of road graphs changes.
DERIVED_VERSION = "1"

#: Format of the cache files.
CACHE_FORMAT = "routerisk-graph/1"

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
    return cache_dir(folder) / f"derived-{key}.json"


def _encode(value: Any) -> Any:
    if hasattr(value, "geom_type") and value.geom_type == "LineString":
        return {_GEOM: [list(c) for c in value.coords]}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


def graph_to_json(G: nx.MultiDiGraph) -> bytes:
    """The graph as the JSON of the cache (geometries as coordinate lists)."""
    doc = {
        "format": CACHE_FORMAT,
        "graph": {k: _encode(v) for k, v in G.graph.items()},
        "nodes": [[n, {k: _encode(v) for k, v in d.items()}] for n, d in G.nodes(data=True)],
        "edges": [[u, v, k, {a: _encode(x) for a, x in d.items()}]
                  for u, v, k, d in G.edges(keys=True, data=True)],
    }
    return json.dumps(doc, separators=(",", ":"), allow_nan=True).encode("utf-8")


def graph_from_json(data: bytes) -> nx.MultiDiGraph:
    """Inverse of :func:`graph_to_json`."""
    import shapely

    doc = json.loads(data)
    if doc.get("format") != CACHE_FORMAT:
        raise ValueError(f"not a {CACHE_FORMAT} file")
    G = nx.MultiDiGraph()
    G.graph.update(doc["graph"])
    G.add_nodes_from((n, d) for n, d in doc["nodes"])
    edges = doc["edges"]
    coords = [d["geometry"][_GEOM] for *_, d in edges if isinstance(d.get("geometry"), dict)]
    lines = iter(shapely.linestrings(c) for c in coords) if coords else iter(())
    for _, _, _, d in edges:
        if isinstance(d.get("geometry"), dict):
            d["geometry"] = next(lines)
    G.add_edges_from((u, v, k, d) for u, v, k, d in edges)
    return G


def load_cached(key: str, folder: str | os.PathLike[str] | None = None
                ) -> nx.MultiDiGraph | None:
    """The cached graph with ``key``, or ``None`` when absent or unreadable."""
    p = cache_path(key, folder)
    try:
        data = p.read_bytes()
    except OSError:
        return None
    try:
        G = graph_from_json(data)
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable graph cache %s (%s); rebuilding", p, exc)
        return None
    log.info("using cached graph %s", p)
    return G


def store(G: nx.MultiDiGraph, key: str, folder: str | os.PathLike[str] | None = None
          ) -> Path | None:
    """Write ``G`` to the cache atomically; a failure to write is logged, not raised."""
    from routerisk._output import write_bytes_atomic

    p = cache_path(key, folder)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(p, graph_to_json(G))
    except OSError as exc:
        log.warning("could not write the graph cache %s (%s); continuing without it", p, exc)
        return None
    log.info("cached graph %s", p)
    return p
