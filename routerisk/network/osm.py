"""Graphs from real OpenStreetMap data: ``.osm`` files (osmnx), ``.osm.pbf`` extracts
(pyosmium), Overpass, and the cached corridor graphs built from them."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import networkx as nx

from routerisk._output import ensure_dir
from routerisk.config import file_sha256, user_cache_dir
from routerisk.errors import DataNotFoundError, SpecError
from routerisk.network.io import _check_bbox, load_graph, save_graph

log = logging.getLogger(__name__)


def graph_from_osm_file(path: str | os.PathLike[str], *, roads: str = "major"
                        ) -> nx.MultiDiGraph:
    """Road graph of the drivable major roads (motorway ... tertiary and links) in an OSM file.

    Parameters
    ----------
    path
        ``.osm`` or ``.osm.bz2`` OSM XML (read by ``osmnx.graph_from_xml``); an ``.osm.pbf``
        is passed on to :func:`graph_from_pbf` (whole file).

    Returns
    -------
    networkx.MultiDiGraph
        EPSG:4326, simplified; every edge has ``length`` (m), ``speed_kph``,
        ``travel_time`` (s), ``highway`` (one class), ``ref`` ("" when untagged) and
        ``geometry``.

    Raises
    ------
    DataNotFoundError
        When the file does not exist.
    SpecError
        When it cannot be read or holds no drivable major road.
    """
    from routerisk.network import _osm

    if str(path).lower().endswith(".pbf"):
        return graph_from_pbf(path, roads=roads)
    return _osm.graph_from_xml_file(path, roads=roads)


def graph_from_pbf(path: str | os.PathLike[str], *,
                   bbox: tuple[float, float, float, float] | None = None,
                   polygon=None, roads: str = "major") -> nx.MultiDiGraph:
    """Road graph of the major roads in an ``.osm.pbf`` extract, optionally limited to an area.

    The PBF is read with pyosmium; the major-road ways with at least one node in ``bbox``
    (west, south, east, north) or ``polygon`` (shapely, EPSG:4326) and their nodes are
    written to a temporary OSM XML file that osmnx reads. Same output as
    :func:`graph_from_osm_file`.
    """
    from routerisk.network import _osm

    if bbox is not None:
        bbox = _check_bbox(bbox)
    return _osm.graph_from_pbf_file(path, bbox=bbox, polygon=polygon, roads=roads)


def graph_from_overpass(corridor, *, buffer_km: float | None = None) -> nx.MultiDiGraph:
    """Road graph of the major roads in a corridor's buffer, downloaded from the Overpass API.

    Needs internet access (osmnx ``graph_from_polygon`` with a custom filter for
    motorway ... tertiary and their links). Same output as :func:`graph_from_osm_file`.
    """
    from routerisk.network import _osm
    from routerisk.network.corridors import corridor_polygon

    return _osm.graph_from_polygon_overpass(corridor_polygon(corridor, buffer_km))


def corridor_cache_path(corridor, *, kind: str, source_digest: str | None,
                        cache_dir: str | os.PathLike[str] | None = None,
                        roads: str = "major") -> Path:
    """Where the graph of ``corridor`` built from a source is cached.

    The file name holds a hash of the source content (``source_digest``), the whole corridor
    spec, the road filter and the builder version, so any change gives a new file.
    """
    import hashlib
    import json

    from routerisk.network import _osm
    from routerisk.network.corridors import get_corridor

    c = get_corridor(corridor)
    key = json.dumps({"version": _osm.BUILD_VERSION, "kind": kind, "source": source_digest,
                      "spec": c.spec_key(), "highways": _osm.road_classes(roads)},
                     sort_keys=True)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir is not None else user_cache_dir() / "graphs"
    return folder / f"{c.name}-{kind}{'' if roads == 'major' else '-' + roads}-{digest}.graphml"


def build_corridor_network(corridor, *, osm_file: str | os.PathLike[str] | None = None,
                           pbf_file: str | os.PathLike[str] | None = None,
                           overpass: bool = False,
                           cache_dir: str | os.PathLike[str] | None = None,
                           refresh: bool = False, roads: str = "major") -> nx.MultiDiGraph:
    """Build (or reload from the cache) a corridor's road graph from real OSM data.

    Exactly one source: ``osm_file`` (``.osm``/``.osm.bz2``), ``pbf_file`` (``.osm.pbf``,
    read only inside the corridor buffer) or ``overpass=True``. The graph of the major roads
    is cut to the corridor with :func:`routerisk.network.corridor_graph.corridor_graph` and
    cached as GraphML in the user cache directory; it is rebuilt only when the source
    file's content, the corridor spec or the builder changed (or ``refresh``; Overpass
    results are cached per spec and refreshed only on request).

    Returns
    -------
    networkx.MultiDiGraph
        The corridor graph (not segmented); ``graph["cache_path"]`` names the cache file.

    Raises
    ------
    SpecError
        When not exactly one source is given, or the source has no major roads.
    NoRouteError
        When the source's roads do not connect the corridor's end points.
    """
    from routerisk.network import _osm
    from routerisk.network.corridor_graph import corridor_graph
    from routerisk.network.corridors import corridor_polygon, get_corridor

    sources = [s for s in (osm_file, pbf_file) if s is not None] + ([True] if overpass else [])
    if len(sources) != 1:
        raise SpecError("give exactly one source: an OSM XML file, a PBF file or Overpass")
    c = get_corridor(corridor)
    if osm_file is not None:
        kind = "pbf" if str(osm_file).lower().endswith(".pbf") else "osm"
        src = Path(osm_file)
    elif pbf_file is not None:
        kind, src = "pbf", Path(pbf_file)
    else:
        kind, src = "overpass", None
    if src is not None and not src.is_file():
        raise DataNotFoundError(f"OSM file not found: {src} does not exist or is not a file")
    digest = file_sha256(src) if src is not None else None
    path = corridor_cache_path(c, kind=kind, source_digest=digest, cache_dir=cache_dir,
                               roads=roads)
    ensure_dir(path.parent, option="--cache-dir")
    if path.is_file() and not refresh:
        log.info("using cached %s", path)
        G = load_graph(path)
        G.graph["cache_path"] = str(path)
        return G
    log.info("building %s corridor graph from %s", c.name, src if src is not None else kind)
    if kind == "osm":
        G = _osm.graph_from_xml_file(src, roads=roads)
    elif kind == "pbf":
        G = _osm.graph_from_pbf_file(src, polygon=corridor_polygon(c), roads=roads)
    else:
        G = _osm.graph_from_polygon_overpass(corridor_polygon(c), roads=roads)
    H = corridor_graph(G, c)
    H.graph["source_sha256"] = digest or ""
    H.graph["roads"] = roads
    save_graph(H, path)  # atomic: a failed or interrupted write leaves no file behind
    stem = f"{c.name}-{kind}{'' if roads == 'major' else '-' + roads}-"
    for stale in path.parent.glob(f"{stem}*.graphml"):
        if stale != path and stale.name[len(stem):].count("-") == 0:
            stale.unlink(missing_ok=True)
            log.info("removed stale cache %s", stale)
    log.info("cached %s", path)
    H.graph["cache_path"] = str(path)
    return H

