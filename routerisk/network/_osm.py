"""Private plumbing for building road graphs from OpenStreetMap data with osmnx and osmium.

Three sources, one output shape (see :func:`finish_graph`): OSM XML files
(``.osm``/``.osm.bz2``) through ``osmnx.graph_from_xml``, ``.osm.pbf`` extracts converted to
OSM XML with pyosmium (a real PBF reader and XML writer), and the Overpass API through
``osmnx.graph_from_polygon`` with a drivable major-road filter."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
from shapely.geometry import Point, Polygon, box
from shapely.prepared import prep

from routerisk.errors import DataNotFoundError, SpecError

log = logging.getLogger(__name__)


#: The drivable major-road classes kept (motorway ... tertiary and their links), biggest first.
MAJOR_HIGHWAYS: tuple[str, ...] = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link",
)


#: The full drivable network (``--all-roads``): the major roads plus the classes osmnx's
#: ``network_type="drive"`` keeps (unclassified, residential, living streets, roads).
DRIVE_HIGHWAYS: tuple[str, ...] = MAJOR_HIGHWAYS + (
    "unclassified", "residential", "living_street", "road",
)

#: Road selections by name.
ROAD_CLASSES: dict[str, tuple[str, ...]] = {"major": MAJOR_HIGHWAYS, "drive": DRIVE_HIGHWAYS}


def road_classes(roads: str) -> tuple[str, ...]:
    """The highway classes of a road selection (``"major"`` or ``"drive"``)."""
    try:
        return ROAD_CLASSES[roads]
    except KeyError:
        raise SpecError(f"roads must be one of {sorted(ROAD_CLASSES)}; got {roads!r}") from None


#: Overpass filter for the same classes (osmnx ``custom_filter``).
OVERPASS_FILTER = (
    '["highway"~"^(motorway|trunk|primary|secondary|tertiary)(_link)?$"]'
    '["area"!~"yes"]["motor_vehicle"!~"no"]["access"!~"private|no"]'
)


#: Speeds (km/h) for roads without a usable ``maxspeed`` tag, by class: typical open-road
#: speeds on West African national roads; links take the speed of their class.
DEFAULT_SPEEDS_KPH: dict[str, float] = {
    "motorway": 100.0, "trunk": 80.0, "primary": 70.0, "secondary": 60.0, "tertiary": 50.0,
}


#: Text attributes that osmnx turns into lists when it merges ways; joined with "; ".
_TEXT_ATTRS = ("ref", "name", "maxspeed", "lanes", "bridge", "tunnel", "junction", "access",
               "service", "width")


#: Bumped when the way graphs are built changes, so cached graphs are rebuilt.
BUILD_VERSION = "1"


def highway_rank(value: object) -> int:
    """Rank of a highway class in :data:`MAJOR_HIGHWAYS` (lower = bigger); unknown = last."""
    try:
        return MAJOR_HIGHWAYS.index(str(value))
    except ValueError:
        return len(MAJOR_HIGHWAYS)




def _check_file(path: str | os.PathLike[str], suffixes: tuple[str, ...], what: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        raise DataNotFoundError(f"{what} not found: {p} does not exist or is not a file")
    name = p.name.lower()
    if not name.endswith(suffixes):
        raise SpecError(f"{p}: expected a {what} ending in {' or '.join(suffixes)}")
    return p


def _major_only(G: nx.MultiDiGraph, classes: tuple[str, ...] = MAJOR_HIGHWAYS
                ) -> tuple[nx.MultiDiGraph, int]:
    """Drop every edge whose highway class is not in ``classes``; count them."""
    drop = [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True)
            if not any(h in classes for h in np.atleast_1d(d.get("highway", "")))]
    G.remove_edges_from(drop)
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    return G, len(drop)


def _flatten_attrs(G: nx.MultiDiGraph) -> None:
    """One string per attribute: the biggest highway class; other text lists joined."""
    for _, _, d in G.edges(data=True):
        hwy = d.get("highway")
        if isinstance(hwy, list):
            d["highway"] = min(hwy, key=highway_rank)
        for attr in _TEXT_ATTRS:
            val = d.get(attr)
            if isinstance(val, list):
                d[attr] = "; ".join(dict.fromkeys(str(x) for x in val))
        d.setdefault("ref", "")
        if d["ref"] is None or (isinstance(d["ref"], float) and np.isnan(d["ref"])):
            d["ref"] = ""


def finish_graph(G: nx.MultiDiGraph, source: str, *, roads: str = "major"
                 ) -> nx.MultiDiGraph:
    """Give a raw osmnx graph the common shape.

    EPSG:4326; only :data:`MAJOR_HIGHWAYS`; topology simplified (a node where the highway
    class or ``ref`` changes stays a node); ``length`` (m),
    ``speed_kph`` (``maxspeed`` where tagged, else :data:`DEFAULT_SPEEDS_KPH`),
    ``travel_time`` (s); ``highway`` one string; ``ref`` on every edge ("" when untagged);
    ``geometry`` on every edge (straight line where osmnx leaves none).

    Raises
    ------
    SpecError
        When no drivable major road is left.
    """
    from routerisk.network.nodes import fill_geometry

    classes = road_classes(roads)
    n_before = G.number_of_edges()
    G, dropped = _major_only(G, classes)
    if G.number_of_edges() == 0:
        what = "drivable major roads" if roads == "major" else "drivable roads"
        raise SpecError(f"{source}: no {what} (highway={', '.join(classes)})"
                        f" among its {n_before} road edges")
    if not G.graph.get("simplified"):
        # a change of class or road number ends an edge, so merged edges stay one road
        G = ox.simplify_graph(G, edge_attrs_differ=["highway", "ref"])
    speeds = dict(DEFAULT_SPEEDS_KPH)
    speeds.update({f"{k}_link": v for k, v in DEFAULT_SPEEDS_KPH.items()})
    _flatten_attrs(G)
    G = ox.add_edge_speeds(G, hwy_speeds=speeds, fallback=DEFAULT_SPEEDS_KPH["tertiary"]
                           if roads == "major" else 30.0)
    G = ox.add_edge_travel_times(G)
    fill_geometry(G)
    G.graph["crs"] = "epsg:4326"
    G.graph["source"] = source
    for _, _, d in G.edges(data=True):
        d["length"] = float(d["length"])
        d["travel_time"] = float(d["travel_time"])
    log.info("%s: %d nodes, %d edges of major roads (%d minor road edges dropped)", source,
             G.number_of_nodes(), G.number_of_edges(), dropped)
    return G


def graph_from_xml_file(path: str | os.PathLike[str], *, roads: str = "major"
                        ) -> nx.MultiDiGraph:
    """Road graph of the drivable major roads in an OSM XML file (``.osm``/``.osm.bz2``)."""
    p = _check_file(path, (".osm", ".osm.bz2", ".xml", ".xml.bz2"), "OSM XML file")
    try:
        G = ox.graph_from_xml(p, simplify=False, retain_all=True)
    except Exception as exc:  # parse errors come as ParseError, ValueError, KeyError, ...
        raise SpecError(f"{p}: could not read OSM XML ({type(exc).__name__}: {exc})") from exc
    return finish_graph(G, str(p), roads=roads)


def _area_test(bbox: tuple[float, float, float, float] | None, polygon: Polygon | None):
    if bbox is not None and polygon is not None:
        raise SpecError("give either bbox or polygon, not both")
    if polygon is None and bbox is None:
        return None
    area = polygon if polygon is not None else box(*bbox)
    prepared = prep(area)
    return lambda lon, lat: prepared.contains(Point(lon, lat))


def pbf_to_xml(pbf: str | os.PathLike[str], xml: str | os.PathLike[str], *,
               bbox: tuple[float, float, float, float] | None = None,
               polygon: Polygon | None = None, roads: str = "major") -> tuple[int, int]:
    """Copy the major-road ways of a PBF extract (and their nodes) into an OSM XML file.

    A way is kept when its class is in :data:`MAJOR_HIGHWAYS` and, if ``bbox`` (west, south,
    east, north) or ``polygon`` is given, at least one of its nodes is inside.

    Returns
    -------
    (ways, nodes)
        How many ways and nodes were written.
    """
    import osmium

    p = _check_file(pbf, (".pbf",), "OSM PBF file")
    classes = road_classes(roads)
    inside = _area_test(bbox, polygon)
    keep_ways: set[int] = set()
    keep_nodes: set[int] = set()
    try:
        ways = (osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY)
                .with_locations()
                .with_filter(osmium.filter.KeyFilter("highway")))
        for obj in ways:
            if not obj.is_way() or obj.tags.get("highway") not in classes:
                continue
            refs = [(n.ref, n.location) for n in obj.nodes]
            if inside is not None and not any(
                    loc.valid() and inside(loc.lon, loc.lat) for _, loc in refs):
                continue
            keep_ways.add(obj.id)
            keep_nodes.update(ref for ref, _ in refs)
        out = Path(xml)
        if out.exists():
            out.unlink()
        with osmium.SimpleWriter(str(out)) as writer:
            for obj in osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY):
                if obj.is_node() and obj.id in keep_nodes:
                    writer.add_node(obj)
                elif obj.is_way() and obj.id in keep_ways:
                    writer.add_way(obj)
    except RuntimeError as exc:  # osmium reports unreadable files as RuntimeError
        raise SpecError(f"{p}: could not read OSM PBF ({exc})") from exc
    log.info("%s: %d major-road ways and %d nodes extracted", p, len(keep_ways),
             len(keep_nodes))
    return len(keep_ways), len(keep_nodes)


def graph_from_pbf_file(path: str | os.PathLike[str], *,
                        bbox: tuple[float, float, float, float] | None = None,
                        polygon: Polygon | None = None, roads: str = "major"
                        ) -> nx.MultiDiGraph:
    """Road graph of the drivable major roads of a PBF extract (via OSM XML)."""
    p = _check_file(path, (".pbf",), "OSM PBF file")
    with tempfile.TemporaryDirectory(prefix="routerisk-pbf-") as tmp:
        xml = Path(tmp) / (p.name.split(".")[0] + ".osm")
        n_ways, _ = pbf_to_xml(p, xml, bbox=bbox, polygon=polygon, roads=roads)
        if n_ways == 0:
            where = " inside the requested area" if (bbox or polygon) is not None else ""
            raise SpecError(f"{p}: no drivable major roads{where}")
        G = ox.graph_from_xml(xml, simplify=False, retain_all=True)
    return finish_graph(G, str(p), roads=roads)


def graph_from_polygon_overpass(polygon: Polygon, *, roads: str = "major"
                                ) -> nx.MultiDiGraph:
    """Road graph of the drivable major roads inside ``polygon`` from the Overpass API.

    Needs internet access; never called by the tests.
    """
    try:
        if road_classes(roads) == MAJOR_HIGHWAYS:
            G = ox.graph_from_polygon(polygon, custom_filter=OVERPASS_FILTER, simplify=False,
                                      retain_all=True)
        else:
            G = ox.graph_from_polygon(polygon, network_type="drive", simplify=False,
                                      retain_all=True)
    except Exception as exc:  # network and Overpass errors come in many types
        raise SpecError(f"Overpass download failed ({type(exc).__name__}: {exc})") from exc
    return finish_graph(G, "overpass", roads=roads)

