"""Road graphs: the default trunk network, the study network and OSM-built corridor graphs.

Every graph this module returns is an osmnx ``MultiDiGraph`` in EPSG:4326 (node ``x`` = lon,
``y`` = lat) whose edges carry ``length`` (m), ``travel_time`` (s) and a ``geometry``
LineString oriented u→v.

Where the data comes from:

- :func:`load_network`: the OSM/OSRM-derived trunk network of Africa
  (``osm/flownet_africa_network_existing.graphml`` in the shared data), found through an
  explicit path, then ``$ROUTERISK_DATA``, then ``../shared/data`` beside the checkout.
- :func:`load_study_network`: that network clipped to the study box and cut into pieces of
  at most 10 km; the default network for everything downstream (memoised per process).
- :func:`graph_from_osm_file`, :func:`graph_from_pbf`, :func:`graph_from_overpass`: real
  OpenStreetMap data through osmnx (see :mod:`routerisk.network._osm`), and
  :func:`build_corridor_network` to build and cache one corridor's graph."""

from __future__ import annotations

import logging
import math
import os
import tempfile
from collections.abc import Hashable
from functools import lru_cache
from pathlib import Path

import networkx as nx

from routerisk._output import ensure_dir, new_file_mode
from routerisk.config import NETWORK_FILE, STUDY_BBOX, file_sha256, shared_file
from routerisk.errors import DataNotFoundError, SpecError
from routerisk.network.nodes import fill_geometry
from routerisk.network.segments import DEFAULT_MAX_LENGTH_M, segmentize

log = logging.getLogger(__name__)


def _int_or_str(value: str) -> Hashable:
    try:
        return int(value)
    except ValueError:
        return value


#: Node attribute types restored when loading GraphML (beyond osmnx's defaults).
NODE_DTYPES: dict = {"osmid": _int_or_str, "x": float, "y": float}


#: Edge attribute types restored when loading GraphML (beyond osmnx's defaults).
EDGE_DTYPES: dict = {
    "length": float, "travel_time": float, "speed_kph": float,
    "border_time_min": float, "total_time_min": float, "passes": float, "gravity": float,
    "edge_id": int, "length_geom_m": float, "osmid": _int_or_str,
    "parent_u": _int_or_str, "parent_v": _int_or_str, "parent_key": int,
    "piece": int, "offset_m": float,
}


#: Graph attribute types restored when loading GraphML.
GRAPH_DTYPES: dict = {"max_segment_m": float, "buffer_km": float,
                      "origin_node": _int_or_str, "destination_node": _int_or_str}


def load_graph(path: str | os.PathLike[str], *, impute: bool = False
               ) -> nx.MultiDiGraph:
    """Load a GraphML road graph written by :func:`save_graph` (or osmnx) with typed attributes.

    Node ids are restored as integers where they are integers; ``length``, ``travel_time`` and the
    other numeric attributes as floats/ints; ``geometry`` as shapely LineStrings; missing
    geometries are filled with the straight line u→v. With ``impute``, edges without
    ``speed_kph`` or ``travel_time`` get them from osmnx's speed imputation
    (:func:`impute_speeds`, with a warning) instead of failing.

    Raises
    ------
    DataNotFoundError
        When the file does not exist.
    SpecError
        When the file is not a readable GraphML road graph.
    """
    p = Path(path)
    if not p.is_file():
        raise DataNotFoundError(f"road graph not found: {p} does not exist or is not a file")
    import osmnx as ox

    try:
        G = ox.load_graphml(p, node_dtypes=NODE_DTYPES, edge_dtypes=EDGE_DTYPES,
                            graph_dtypes=GRAPH_DTYPES)
    except Exception as exc:  # parser errors come in many types (ElementTree, ValueError)
        raise SpecError(f"{p}: not a readable GraphML road graph ({type(exc).__name__}: "
                        f"{exc})") from exc
    if impute:
        impute_speeds(G, str(p))
    _check_graph(G, str(p))
    fill_geometry(G)
    return G


def impute_speeds(G: nx.MultiDiGraph, source: str = "road graph") -> int:
    """Give edges lacking ``speed_kph`` or ``travel_time`` osmnx's imputed values.

    ``speed_kph`` comes from ``osmnx.add_edge_speeds`` (the edge's ``maxspeed``, else the mean
    of its ``highway`` class, else the class speeds of :data:`routerisk.network._osm.
    DEFAULT_SPEEDS_KPH`, else 50 km/h); ``travel_time`` from ``osmnx.add_edge_travel_times``
    (length / speed). Values already present are kept. Logs a warning naming the source and
    how many edges were imputed; returns that number.
    """
    need_speed = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True)
                  if not _is_number(d.get("speed_kph"))]
    need_time = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True)
                 if not _is_number(d.get("travel_time"))]
    if not need_speed and not need_time:
        return 0
    import osmnx as ox

    from routerisk.network._osm import DEFAULT_SPEEDS_KPH

    for _, _, d in G.edges(data=True):
        if not _is_number(d.get("length")):
            try:
                d["length"] = float(d["length"])
            except (KeyError, TypeError, ValueError):
                pass
    keep_speed = {e: G.edges[e]["speed_kph"] for e in G.edges(keys=True)
                  if _is_number(G.edges[e].get("speed_kph"))}
    keep_time = {e: G.edges[e]["travel_time"] for e in G.edges(keys=True)
                 if _is_number(G.edges[e].get("travel_time"))}
    if need_speed:
        for _, _, d in G.edges(data=True):
            d.setdefault("highway", "unclassified")
        speeds = dict(DEFAULT_SPEEDS_KPH)
        speeds.update({f"{k}_link": v for k, v in DEFAULT_SPEEDS_KPH.items()})
        ox.add_edge_speeds(G, hwy_speeds=speeds, fallback=DEFAULT_SPEEDS_KPH["tertiary"])
        for e, val in keep_speed.items():
            G.edges[e]["speed_kph"] = val
    ox.add_edge_travel_times(G)
    for e, val in keep_time.items():
        G.edges[e]["travel_time"] = val
    for _, _, d in G.edges(data=True):
        d["speed_kph"] = float(d["speed_kph"])
        d["travel_time"] = float(d["travel_time"])
    n = len(set(need_speed) | set(need_time))
    log.warning("%s: %d of %d edges had no speed_kph/travel_time; imputed with osmnx "
                "(maxspeed, else the mean speed of the road class, else class defaults)",
                source, n, G.number_of_edges())
    return n


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def save_graph(G: nx.MultiDiGraph, path: str | os.PathLike[str]) -> Path:
    """Save a road graph as GraphML (attributes are written as strings; see :func:`load_graph`).

    Written to a temporary file beside ``path`` and renamed: a failed or interrupted write
    (a full disk, Ctrl-C) leaves the previous file, or none, never a partial one.
    """
    import osmnx as ox

    p = Path(path)
    ensure_dir(p.parent, option="graph folder")
    H = G.copy()
    for _, data in H.nodes(data=True):
        for key, val in list(data.items()):
            if val is None:
                del data[key]
    for _, _, data in H.edges(data=True):
        for key, val in list(data.items()):
            if val is None:
                del data[key]
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name[:100]}.", suffix=".tmp", dir=p.parent)
    os.fchmod(fd, new_file_mode())
    os.close(fd)
    try:
        ox.save_graphml(H, tmp)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def _finite(value: object, lo: float = -math.inf, hi: float = math.inf) -> bool:
    return isinstance(value, float) and math.isfinite(value) and lo <= value <= hi


def _check_graph(G: nx.MultiDiGraph, source: str) -> None:
    problems = []
    if G.number_of_nodes() == 0:
        problems.append("no nodes; expected a road graph with nodes and edges")
    for n, d in G.nodes(data=True):
        if not _finite(d.get("x"), -180, 180) or not _finite(d.get("y"), -90, 90):
            problems.append(f"node {n}: needs finite coordinates 'x' (lon, -180..180) and "
                            f"'y' (lat, -90..90); got x={d.get('x')!r}, y={d.get('y')!r}")
        if len(problems) >= 20:
            break
    for u, v, k, d in G.edges(keys=True, data=True):
        if not _finite(d.get("length"), 0):
            problems.append(f"edge ({u}, {v}, {k}): 'length' must be a finite number of "
                            f"metres >= 0; got {d.get('length')!r}")
        if not _finite(d.get("travel_time"), 0):
            problems.append(f"edge ({u}, {v}, {k}): 'travel_time' must be a finite number of "
                            f"seconds >= 0; got {d.get('travel_time')!r}")
        if len(problems) >= 20:
            break
    if problems:
        raise SpecError(f"{source}: not a usable road graph: " + "; ".join(problems[:20]))


def default_network_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the trunk network file (explicit path, ``$ROUTERISK_DATA``, ``../shared/data``)."""
    return shared_file(NETWORK_FILE, path=path, what="road network (GraphML)",
                       option="--network")


@lru_cache(maxsize=4)
def _load_cached(resolved: str, mtime_ns: int, size: int) -> nx.MultiDiGraph:
    log.info("loading road network %s", resolved)
    return load_graph(resolved)


def _file_key(path: Path) -> tuple[str, int, int]:
    resolved = path.resolve()
    st = resolved.stat()
    return str(resolved), st.st_mtime_ns, st.st_size


def load_network(path: str | os.PathLike[str] | None = None) -> nx.MultiDiGraph:
    """Load the default trunk road network (or the GraphML at ``path``).

    Parameters
    ----------
    path
        GraphML file; default: ``osm/flownet_africa_network_existing.graphml`` found through
        ``$ROUTERISK_DATA`` or ``../shared/data`` beside the checkout.

    Returns
    -------
    networkx.MultiDiGraph
        A fresh copy (callers may modify it): EPSG:4326, ``length`` (m), ``travel_time``
        (s), ``geometry`` u→v on every edge; for the trunk file also ``city``/``iso3`` on
        nodes. The parsed file is memoised per process.

    Raises
    ------
    DataNotFoundError
        When no file is found; the message lists every place looked at.
    """
    return _load_cached(*_file_key(default_network_path(path))).copy()


def clip_graph(G: nx.MultiDiGraph, bbox: tuple[float, float, float, float]
               ) -> nx.MultiDiGraph:
    """Keep the nodes inside ``bbox`` = (west, south, east, north) and the edges between them.

    Edges with an end outside the box are dropped (counted in the log message).
    """
    west, south, east, north = _check_bbox(bbox)
    keep = [n for n, d in G.nodes(data=True)
            if west <= d["x"] <= east and south <= d["y"] <= north]
    H = G.subgraph(keep).copy()
    log.info("clipped to %s: kept %d of %d nodes and %d of %d edges", bbox,
             H.number_of_nodes(), G.number_of_nodes(), H.number_of_edges(),
             G.number_of_edges())
    H.graph["bbox"] = str(tuple(float(b) for b in bbox))
    return H


def _check_bbox(bbox) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(b) for b in bbox)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"bbox must be (west, south, east, north) in degrees; got {bbox!r}") \
            from exc
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise SpecError(f"bbox must be (west, south, east, north) with west < east in "
                        f"[-180, 180] and south < north in [-90, 90]; got {bbox!r}")
    return west, south, east, north


def load_study_network(path: str | os.PathLike[str] | None = None, *,
                       bbox: tuple[float, float, float, float] = STUDY_BBOX,
                       max_segment_m: float = DEFAULT_MAX_LENGTH_M) -> nx.MultiDiGraph:
    """The default network for scoring and routing: trunk network, clipped and segmented.

    Parameters
    ----------
    path
        Trunk GraphML file (default as in :func:`load_network`).
    bbox
        (west, south, east, north) in degrees; default :data:`STUDY_BBOX`.
    max_segment_m
        Maximum piece length in metres (default 10 km).

    Returns
    -------
    networkx.MultiDiGraph
        A fresh copy each call (the built graph is memoised per process, keyed by the
        file's path, size and modification time and the options).
    """
    return load_any_graph(path, bbox=bbox, max_segment_m=max_segment_m)



#: File names read as GraphML by :func:`load_any_graph`; the OSM suffixes go through osmnx.
GRAPHML_SUFFIXES: tuple[str, ...] = (".graphml",)
OSM_SUFFIXES: tuple[str, ...] = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".osm.xml")


def read_any_graph(path: str | os.PathLike[str]) -> nx.MultiDiGraph:
    """Read a road graph file as it is (no clipping, no segmentation).

    ``.graphml``: the trunk network, a corridor graph written by ``routerisk network build``
    or any osmnx GraphML (edges lacking ``speed_kph``/``travel_time`` are imputed with a
    warning, see :func:`impute_speeds`). ``.osm``, ``.osm.bz2``, ``.osm.pbf``: the drivable
    major roads of the extract (:func:`routerisk.network.osm.graph_from_osm_file`).

    Raises
    ------
    DataNotFoundError
        When the file does not exist.
    SpecError
        When the name has none of the suffixes above or the file is not a usable road graph.
    """
    p = Path(path)
    if not p.is_file():
        raise DataNotFoundError(f"road graph not found: {p} does not exist or is not a file")
    name = p.name.lower()
    if name.endswith(GRAPHML_SUFFIXES):
        return load_graph(p, impute=True)
    if name.endswith(OSM_SUFFIXES):
        from routerisk.network import _osm

        if name.endswith(".pbf"):
            return _osm.graph_from_pbf_file(p)
        return _osm.graph_from_xml_file(p)
    raise SpecError(f"--network {p}: expected a road graph ending in "
                    f"{', '.join(GRAPHML_SUFFIXES + OSM_SUFFIXES)}")


class _Derived:
    """A derived graph held once per process: its cache entry (each call builds a new
    graph from it, no copy) or, with no cache entry, the graph itself (each call copies
    it)."""

    def __init__(self, entry=None, graph: nx.MultiDiGraph | None = None) -> None:
        self.entry, self.graph = entry, graph

    def fresh(self) -> nx.MultiDiGraph:
        return self.entry.graph() if self.entry is not None else self.graph.copy()


@lru_cache(maxsize=4)
def _any_cached(resolved: str, mtime_ns: int, size: int,
                bbox: tuple[float, float, float, float], max_segment_m: float,
                use_cache: bool, cache_folder: str | None) -> _Derived:
    from routerisk.network import graph_cache

    digest = file_sha256(resolved)
    key = graph_cache.cache_key(digest, {"bbox": list(bbox), "max_segment_m": max_segment_m,
                                         "name": Path(resolved).name.lower()})
    if use_cache:
        entry = graph_cache.read_cached(key, cache_folder)
        if entry is not None:
            return _Derived(entry=entry)
    log.info("loading road graph %s", resolved)
    G = clip_graph(read_any_graph(resolved), bbox)
    if G.number_of_edges() == 0:
        raise SpecError(f"{resolved}: no road of this graph lies inside the study box {bbox} "
                        "(west, south, east, north)")
    G = segmentize(G, max_segment_m)
    G.graph.update(source=resolved, source_sha256=digest, max_segment_m=float(max_segment_m))
    if use_cache:
        graph_cache.store(G, key, cache_folder)
    return _Derived(graph=G)


def load_any_graph(path: str | os.PathLike[str] | None = None, *,
                   bbox: tuple[float, float, float, float] = STUDY_BBOX,
                   max_segment_m: float = DEFAULT_MAX_LENGTH_M, use_cache: bool = True,
                   cache_dir: str | os.PathLike[str] | None = None) -> nx.MultiDiGraph:
    """The one way every command loads its road graph: read, clip, segment, cache.

    Whatever the file (see :func:`read_any_graph`), the graph is clipped to ``bbox`` and cut
    into pieces of at most ``max_segment_m`` (parent edges kept), so the same graph gives the
    same answer whichever way it is named; ``path=None`` is the shared trunk network, and
    that file passed explicitly gives the identical graph.

    Parameters
    ----------
    path
        Road graph file; default the shared trunk network (:func:`default_network_path`).
    bbox
        (west, south, east, north) in degrees; default :data:`STUDY_BBOX`.
    max_segment_m
        Maximum piece length in metres (default 10 km).
    use_cache
        Read and write the derived graph in the disk cache
        (:mod:`routerisk.network.graph_cache`, keyed by the file's SHA-256, the options and
        the code version).
    cache_dir
        Cache folder (default ``user_cache_dir()/graphs``).

    Returns
    -------
    networkx.MultiDiGraph
        A fresh copy (memoised per process); ``graph["source"]`` is the file,
        ``graph["source_sha256"]`` its digest.
    """
    bbox = _check_bbox(bbox)
    if not (isinstance(max_segment_m, (int, float)) and max_segment_m > 0):
        raise SpecError(f"max_segment_m must be a positive number of metres; "
                        f"got {max_segment_m!r}")
    key = _file_key(default_network_path(path))
    folder = None if cache_dir is None else str(Path(cache_dir).resolve())
    return _any_cached(*key, bbox, float(max_segment_m), bool(use_cache), folder).fresh()
