"""Orientation on the report map without background tiles: town and port labels from the
OSM gazetteers (thinned by zoom so they never overlap), border crossings found from the
network's country attributes, and the corridors' names.

Every function here is pure: frames in, plain records out. :mod:`._map` draws them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from routerisk.config import GAZETTEER_FILE, optional_shared_file, shared_file
from routerisk.geo.gazetteer import normalize_name
from routerisk.geo.naming import PlaceNamer, latin
from routerisk.geo.projection import lonlat_to_km

log = logging.getLogger(__name__)

#: Gazetteers read for labels and border crossings (the second one is optional).
GAZETTEERS: tuple[str, ...] = (GAZETTEER_FILE, "osm/places_gulf_niger_osm2019.csv")
#: Zoom levels over which labels are thinned; from MAX_LABEL_ZOOM on every label shows.
MIN_LABEL_ZOOM, MAX_LABEL_ZOOM = 4, 11
#: Approximate label box: pixels per character of a town (12 px) and of a city or port
#: (13 px bold) label, room for the dot and a margin, and the line height.
_CHAR_PX = {"town": 7.0, "city": 8.2, "port": 8.4}
_PAD_PX, _HEIGHT_PX = 16.0, 17.0


def load_places(bounds: Sequence[float], *, margin_deg: float = 0.5,
                classes: Iterable[str] = ("city", "town")) -> pd.DataFrame:
    """Places of the gazetteers inside ``bounds`` (minx, miny, maxx, maxy) plus a margin:
    the gazetteer columns plus ``label``, the Latin-script name (one row per OSM node)."""
    frames = []
    for i, rel in enumerate(GAZETTEERS):
        path = shared_file(rel, what="OSM gazetteer") if i == 0 else optional_shared_file(rel)
        if path is None:
            log.info("gazetteer %s not found; its places are not labelled", rel)
            continue
        frames.append(pd.read_csv(path, dtype={"country_iso3": str, "name": str,
                                               "place": str}))
    gaz = pd.concat(frames, ignore_index=True)
    minx, miny, maxx, maxy = bounds
    inside = (gaz["lon"].between(minx - margin_deg, maxx + margin_deg)
              & gaz["lat"].between(miny - margin_deg, maxy + margin_deg))
    gaz = gaz[inside & gaz["place"].isin(list(classes)) & gaz["name"].notna()].copy()
    gaz["population"] = pd.to_numeric(gaz["population"], errors="coerce")
    # the label in Latin script, as the place namer names places: the OSM name when it is
    # Latin, else the English name (Nouakchott, not نواكشوط); none when neither is
    gaz["label"] = [n if latin(n) else (en if latin(en) else None)
                    for n, en in zip(gaz["name"], gaz["name_en"], strict=True)]
    return gaz.drop_duplicates(subset=["country_iso3", "osm_node_id"]).reset_index(drop=True)


def _mercator_px(lon: np.ndarray, lat: np.ndarray, zoom: int) -> tuple[np.ndarray, np.ndarray]:
    """Web-Mercator pixel coordinates at ``zoom`` (256-px tiles), as Leaflet places them."""
    scale = 256.0 * 2.0 ** zoom
    lat_r = np.radians(np.clip(lat, -85.0, 85.0))
    x = (lon + 180.0) / 360.0 * scale
    y = (1.0 - np.log(np.tan(lat_r) + 1.0 / np.cos(lat_r)) / math.pi) / 2.0 * scale
    return x, y


def place_labels(places: pd.DataFrame, *,
                 priority_points: Sequence[tuple[float, float]] = (),
                 port_points: Sequence[tuple[float, float]] = (),
                 match_km: float = 5.0) -> pd.DataFrame:
    """Labels thinned by zoom: each place gets the lowest zoom at which its label does not
    overlap a label already shown (labels shown at a zoom stay shown when zooming in).

    Order of preference: ports, then the places at ``priority_points`` (the corridors'
    towns) and cities, then towns, each by population. A place is a port or a priority
    place when it is the nearest place to one of those (lon, lat) points and within
    ``match_km`` of it, so spellings need not match (Conakry is "Konakry" in OSM). Places
    whose label would overlap at every zoom up to :data:`MAX_LABEL_ZOOM` get
    ``min_zoom = MAX_LABEL_ZOOM + 1`` (shown only when zoomed in further).

    Returns
    -------
    pandas.DataFrame
        ``name, lat, lon, country_iso3, kind ("port", "city", "town"), min_zoom``, best
        first.
    """
    df = places[places["label"].notna()].copy()
    df["name"] = df["label"]
    key = df["name"].map(normalize_name)
    px, py = lonlat_to_km(df["lon"].to_numpy(float), df["lat"].to_numpy(float))

    tree = cKDTree(np.c_[px, py]) if len(df) else None

    def near(points: Sequence[tuple[float, float]]) -> np.ndarray:
        """The one place nearest each point (within ``match_km``): not its suburbs."""
        hit = np.zeros(len(df), dtype=bool)
        if tree is not None and len(points):
            qx, qy = lonlat_to_km(*np.asarray(points, dtype=float).T)
            dist, idx = tree.query(np.c_[qx, qy])
            hit[idx[dist <= match_km]] = True
        return hit

    port, prio = near(port_points), near(priority_points)
    df["kind"] = np.where(port, "port", np.where(df["place"] == "city", "city", "town"))
    df["_rank"] = np.select([port, prio | (df["place"] == "city").to_numpy()], [0, 1],
                            default=2)
    df["_pop"] = -df["population"].fillna(0.0)
    df = df.sort_values(["_rank", "_pop", "name"], kind="stable")
    # one label per name within a few km (the same town mapped twice, or twin border towns)
    df["_cell"] = list(zip(key.loc[df.index], (df["lat"] * 10).round(), (df["lon"] * 10).round(),
                           strict=True))
    df = df.drop_duplicates("_cell").reset_index(drop=True)
    char_px = df["kind"].map(_CHAR_PX).to_numpy(dtype=float)
    half_w = (df["name"].str.len().to_numpy() * char_px + _PAD_PX) / 2.0
    min_zoom = np.full(len(df), MAX_LABEL_ZOOM + 1, dtype=int)
    lon, lat = df["lon"].to_numpy(float), df["lat"].to_numpy(float)
    for zoom in range(MIN_LABEL_ZOOM, MAX_LABEL_ZOOM + 1):
        x, y = _mercator_px(lon, lat, zoom)
        shown = np.flatnonzero(min_zoom <= zoom)
        # labels sit to the right of their dot: box from x to x + 2 * half_w
        bx, by, bw = list(x[shown] + half_w[shown]), list(y[shown]), list(half_w[shown])
        for i in np.flatnonzero(min_zoom > zoom):
            cx = x[i] + half_w[i]
            if bx:
                overlap = ((np.abs(np.asarray(bx) - cx) < np.asarray(bw) + half_w[i])
                           & (np.abs(np.asarray(by) - y[i]) < _HEIGHT_PX))
                if overlap.any():
                    continue
            min_zoom[i] = zoom
            bx.append(cx)
            by.append(y[i])
            bw.append(half_w[i])
    df["min_zoom"] = min_zoom
    return df[["name", "lat", "lon", "country_iso3", "kind", "min_zoom"]]


def border_crossings(G: nx.MultiDiGraph, places: pd.DataFrame, *, step_km: float = 1.0,
                     reach_km: float = 25.0) -> pd.DataFrame:
    """Where the road network crosses a border.

    A road edge of the network whose ``from_ctry`` differs from its ``to_ctry`` crosses a
    border somewhere along its line (the flownet network gives the country at each end, not
    the crossing). The crossing is placed where the country of the nearest gazetteer place
    (within ``reach_km``) switches from the one to the other along the line, sampled every
    ``step_km``; the places on either side name the crossing (e.g. Kidira / Diboli).

    Parameters
    ----------
    G
        The study network: pieces with ``parent_u, parent_v, parent_key, piece, from_ctry,
        to_ctry`` and LineString ``geometry`` (WGS84).
    places
        Gazetteer rows (``name, lat, lon, country_iso3``); villages included for precision.

    Returns
    -------
    pandas.DataFrame
        One row per crossing (both directions of a road merged): ``lat, lon, from_ctry,
        to_ctry, place`` (named by :class:`routerisk.geo.naming.PlaceNamer`) and ``located``
        (False when a country is not in the gazetteers and the middle of the edge stands in;
        the map leaves those out).
    """
    columns = ["lat", "lon", "from_ctry", "to_ctry", "place", "located"]
    parents: dict[tuple, list[tuple[int, object, float]]] = {}
    ctry: dict[tuple, tuple[str, str]] = {}
    for u, v, k, d in G.edges(keys=True, data=True):
        a, b = str(d.get("from_ctry") or ""), str(d.get("to_ctry") or "")
        if not a or not b or a == b or d.get("geometry") is None:
            continue
        pu, pv = d.get("parent_u", u), d.get("parent_v", v)
        if (pv, pu) in ctry:  # the other direction of a road already listed
            continue
        parent = (pu, pv, d.get("parent_key", k))
        parents.setdefault(parent, []).append((int(d.get("piece", 0)), d["geometry"],
                                               float(d.get("length", 0.0))))
        ctry[(pu, pv)] = (a, b)
    if not parents or places.empty:
        return pd.DataFrame(columns=columns)
    px, py = lonlat_to_km(places["lon"].to_numpy(float), places["lat"].to_numpy(float))
    tree = cKDTree(np.c_[px, py])
    countries = places["country_iso3"].astype(str).to_numpy()
    namer = PlaceNamer(places)
    rows = []
    for (pu, pv, _pk), pieces in parents.items():
        a, b = ctry[(pu, pv)]
        pieces.sort(key=lambda t: t[0])
        line = shapely.LineString(np.vstack([np.asarray(g.coords) for _, g, _ in pieces]))
        n = max(int(sum(t[2] for t in pieces) / 1000.0 / step_km), 2)
        pts = shapely.line_interpolate_point(line, np.linspace(0.0, 1.0, n + 1),
                                             normalized=True)
        lon, lat = shapely.get_x(pts), shapely.get_y(pts)
        dist, idx = tree.query(np.c_[lonlat_to_km(lon, lat)])
        at = np.where(dist <= reach_km, countries[idx], "")
        switch = [i for i in range(1, len(at)) if at[i] == b and (at[:i] == a).any()]
        if switch:
            i = switch[0]
            mid = (int(np.flatnonzero(at[:i] == a)[-1]) + i) // 2
            lo, la = float(lon[mid]), float(lat[mid])
            rows.append({"lat": la, "lon": lo, "from_ctry": a, "to_ctry": b,
                         "place": namer(lo, la), "located": True})
        else:
            mid = len(lon) // 2
            rows.append({"lat": float(lat[mid]), "lon": float(lon[mid]), "from_ctry": a,
                         "to_ctry": b, "place": "", "located": False})
    out = pd.DataFrame(rows, columns=columns)
    # parallel edges crossing at the same place
    cell = list(zip((out["lat"] * 50).round(), (out["lon"] * 50).round(), strict=True))
    return out[~pd.Series(cell).duplicated().to_numpy()].reset_index(drop=True)


def corridor_label_points(corridors: gpd.GeoDataFrame, *, name: str = "name",
                          min_sep_km: float = 150.0) -> pd.DataFrame:
    """One label point per corridor, on its line and as far as possible from the other
    corridors' label points (corridors share roads near Bamako): ``name, lat, lon``."""
    chosen: list[tuple[float, float]] = []
    rows = []
    fractions = np.linspace(0.2, 0.8, 13)
    for row in corridors.itertuples():
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        line = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
        pts = shapely.line_interpolate_point(line, fractions, normalized=True)
        lon, lat = shapely.get_x(pts), shapely.get_y(pts)
        x, y = lonlat_to_km(lon, lat)
        if chosen:
            cx, cy = np.asarray(chosen).T
            sep = np.min(np.hypot(x[:, None] - cx[None, :], y[:, None] - cy[None, :]), axis=1)
            best = int(np.argmax(np.minimum(sep, min_sep_km) - 0.01 * np.abs(fractions - 0.5)))
        else:
            best = int(np.argmin(np.abs(fractions - 0.5)))
        chosen.append((float(x[best]), float(y[best])))
        rows.append({"name": str(getattr(row, name)), "lat": float(lat[best]),
                     "lon": float(lon[best])})
    return pd.DataFrame(rows, columns=["name", "lat", "lon"])


def opening_bounds(corridors: gpd.GeoDataFrame | None, segments: gpd.GeoDataFrame, *,
                   n_hot: int = 25) -> list[list[float]]:
    """``[[south, west], [north, east]]`` covering the corridors and the ``n_hot`` pieces with
    the highest ``p_disrupt`` (so the opening view never cuts off the hottest area)."""
    hot = segments.nlargest(n_hot, "p_disrupt")
    frames = [hot.geometry]
    if corridors is not None and len(corridors):
        frames.append(corridors.geometry)
    minx, miny, maxx, maxy = gpd.GeoSeries(pd.concat(frames, ignore_index=True)).total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def orientation(G: Any, segments: gpd.GeoDataFrame,
                 corridor_gdf: gpd.GeoDataFrame) -> dict[str, pd.DataFrame]:
    """Town and port labels, border crossings and corridor label points for the map."""
    from routerisk.network.corridors import load_corridors

    every = load_places(segments.total_bounds,
                                classes=("city", "town", "village"))
    ports, towns = [], []
    for spec in load_corridors().values():
        for wp in spec.waypoints:
            (ports if wp.role == "port" else towns).append((wp.lon, wp.lat))
    big = every[every["place"].isin(["city", "town"])]
    return {"places": place_labels(big, priority_points=towns, port_points=ports),
            "borders": border_crossings(G, every),
            "corridor_labels": corridor_label_points(corridor_gdf)}
