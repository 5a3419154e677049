"""The report's interactive map: folium/Leaflet, self-contained, from plain GeoDataFrames.

:func:`build_map` draws the layers (segments coloured by disruption probability, incidents by
type and age, corridors, fuel-import routes, scenario closures) with popups, a legend and a
layer control. :func:`map_fragment` renders it into three strings (head, body, script) that
the page assembler inlines, with Leaflet's JS/CSS embedded and every CDN link folium adds by
default removed, so the page needs no network except for the optional background tiles.
"""

from __future__ import annotations

import html
import json
import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from routerisk._output import fmt_percent, fmt_sig, jsonable
from routerisk.report._popups import bind as _bind

#: Upper edges of the disruption-probability classes used to colour segments.
P_BINS: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.10, 1.0)
#: One colour per class in :data:`P_BINS` (green = low … dark red = high).
P_COLOURS: tuple[str, ...] = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#e34a33", "#99000d")

#: Colour of each incident type on the map (unknown types are grey).
EVENT_COLOURS: dict[str, str] = {
    "convoy_ambush": "#e41a1c",
    "ied": "#ff7f00",
    "attack_on_town": "#984ea3",
    "blockade": "#000000",
    "kidnapping": "#a65628",
    "checkpoint": "#f781bf",
    "clash": "#377eb8",
    "violence_against_civilians": "#4daf4a",
    "looting": "#999999",
    "protest": "#cccccc",
    "strategic": "#666666",
}

#: Age bands of incidents relative to the as-of date: (label, max age in days, shown at start).
AGE_BANDS: tuple[tuple[str, float, bool], ...] = (
    ("last 12 months", 365.0, True),
    ("1-3 years before", 3 * 365.25, True),
    ("3-10 years before", 10 * 365.25, False),
    ("older", math.inf, False),
)
#: Radius (px) of an incident marker in each age band: recent incidents are larger.
AGE_RADIUS: tuple[float, ...] = (6.0, 4.5, 3.0, 2.5)

#: Categorical colours for fuel-import routes.
ROUTE_COLOURS: tuple[str, ...] = ("#1f78b4", "#33a02c", "#6a3d9a", "#b15928", "#ff7f00",
                                  "#e31a1c", "#a6cee3", "#b2df8a")

_TILES = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
            "contributors"),
}


def p_class(p: float) -> int:
    """Index of the class of :data:`P_BINS` a probability falls in."""
    if not np.isfinite(p):
        return 0
    return int(min(np.searchsorted(P_BINS, p, side="left"), len(P_BINS) - 1))


def p_colour(p: float) -> str:
    """Map colour of a disruption probability."""
    return P_COLOURS[p_class(p)]


def p_class_labels() -> list[str]:
    """Human labels of the probability classes, e.g. ``"1 – 5 %"``."""
    edges = (0.0, *P_BINS)
    labels = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        labels.append(f"{_pct(lo)} – {_pct(hi)}")
    return labels


def _pct(x: float) -> str:
    if x == 0:
        return "0"
    return f"{x * 100:g} %"


def _shown(value: object) -> object:
    """A property value as shown in a popup: plain JSON, missing as an empty string."""
    plain = jsonable(value)
    return "" if plain is None else plain


def _geojson(frame: gpd.GeoDataFrame, columns: list[str], *, precision: int = 4) -> dict:
    """A compact GeoJSON FeatureCollection (WGS84, rounded coordinates) of ``columns``."""
    gdf = frame.to_crs("EPSG:4326") if frame.crs is not None else frame
    gdf = gdf[[c for c in columns if c in gdf.columns] + ["geometry"]].copy()
    gdf["geometry"] = gdf.geometry.set_precision(10.0 ** -precision)
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()]
    for col in gdf.columns:
        if col == "geometry":
            continue
        fmt = FORMATS.get(col)
        gdf[col] = gdf[col].map(lambda v, f=fmt: _shown(v) if f is None or _missing(v)
                                else f(v))
    data = json.loads(gdf.reset_index(drop=True).to_json(drop_id=True))
    for i, feat in enumerate(data["features"]):
        feat["id"] = str(i)
    return data


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


#: How numeric popup columns are shown (columns not listed are shown as they are).
FORMATS = {
    "p_disrupt": fmt_percent,
    "share": fmt_percent,
    "mu": fmt_sig,
    "rate_per_km_yr": fmt_sig,
    "length_km": lambda x: f"{float(x):,.1f}",
    "km_from_start": lambda x: f"{float(x):,.1f}",
    "hours": lambda x: f"{float(x):,.1f}",
    "radius_km": lambda x: f"{float(x):g}",
}


#: Segment popup fields (column → label); columns not in the frame are left out.
SEGMENT_FIELDS: dict[str, str] = {
    "road": "Road",
    "corridor_km": "Corridor, km from origin",
    "km_from_start": "km from start of road edge",
    "length_km": "Length (km)",
    "rate_per_km_yr": "Hazard rate (incidents / km / yr)",
    "mu": "μ, expected incidents over horizon",
    "p_disrupt": "P(disruption) over horizon",
    "n_incidents": "Contributing incidents",
    "incidents_note": "Nearest contributing incidents",
}
INCIDENT_FIELDS: dict[str, str] = {
    "date": "Date",
    "event_type": "Type",
    "target": "Target",
    "place": "Place",
    "actor": "Actor",
    "fatalities": "Fatalities",
    "source": "Source",
    "notes": "Notes",
}
CORRIDOR_FIELDS: dict[str, str] = {
    "name": "Corridor",
    "towns": "Through",
    "length_km": "Length (km)",
    "hours": "Hours",
    "p_disrupt": "P(route disrupted)",
    "interval": "Interval",
}
ROUTE_FIELDS: dict[str, str] = {
    "route": "Import route",
    "share": "Share of fuel imports",
    "length_km": "Length (km)",
    "hours": "Hours",
    "p_disrupt": "P(disruption)",
}
#: Popup fields of the layer of changes since a previous report (see :mod:`._compare`).
CHANGE_FIELDS: dict[str, str] = {
    "road": "Road",
    "p_before": "P in the previous report",
    "p_now": "P now",
    "change": "Change",
}
CLOSURE_FIELDS: dict[str, str] = {
    "scenario": "Scenario",
    "closure": "Closure",
    "note": "Detail",
    "pieces_closed": "Road pieces closed",
    "routes_hit": "Import routes hit",
}


def build_map(
    *,
    segments: gpd.GeoDataFrame,
    horizon_days: int,
    incidents: gpd.GeoDataFrame | None = None,
    corridors: gpd.GeoDataFrame | None = None,
    fuel_routes: gpd.GeoDataFrame | None = None,
    closures: gpd.GeoDataFrame | None = None,
    tiles: str | None = "osm",
    height_px: int = 640,
    orientation: dict[str, pd.DataFrame] | None = None,
    bounds: list[list[float]] | None = None,
    changes: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Build the report map.

    Parameters
    ----------
    segments
        Road segments (LineStrings, EPSG:4326) with a ``p_disrupt`` column and optionally the
        popup columns of :data:`SEGMENT_FIELDS` (values are shown as given, so pre-format them).
    horizon_days
        Horizon of ``p_disrupt``, shown in the legend.
    incidents
        Points with ``event_type`` and ``age_days`` (days before the as-of date) and optionally
        the columns of :data:`INCIDENT_FIELDS`. One layer per age band of :data:`AGE_BANDS`.
    corridors, fuel_routes
        Lines with the columns of :data:`CORRIDOR_FIELDS` / :data:`ROUTE_FIELDS`.
    closures
        Polygons or lines of scenario closures with the columns of :data:`CLOSURE_FIELDS`.
    tiles
        ``"osm"`` for OpenStreetMap background tiles (fetched by the browser when online), or
        ``None`` for a plain background.
    height_px
        Height of the map in pixels.
    orientation
        ``places``, ``borders`` and ``corridor_labels`` frames from :mod:`._orient`: town and
        port labels, border crossings and corridor names drawn on top of every layer.
    bounds
        Opening view ``[[south, west], [north, east]]``; default the corridors' extent.
    changes
        Road pieces whose P changed since a previous report (:mod:`._compare`), drawn as a
        layer coloured by the direction of the change.

    Returns
    -------
    folium.Map
    """
    m = folium.Map(location=[14.0, -7.0], zoom_start=5, tiles=None, control_scale=True,
                   width="100%", height=f"{height_px}px")
    if tiles is not None:
        url, attribution = _TILES[tiles]
        folium.TileLayer(url, attr=attribution, name="OpenStreetMap background",
                         max_zoom=18).add_to(m)
    folium.FeatureGroup(name="No background", overlay=False, control=True,
                        show=tiles is None).add_to(m)

    if fuel_routes is not None and len(fuel_routes):
        fr = fuel_routes.reset_index(drop=True).copy()
        fr["_colour"] = [ROUTE_COLOURS[i % len(ROUTE_COLOURS)] for i in range(len(fr))]
        folium.GeoJson(
            _geojson(fr, [*ROUTE_FIELDS, "_colour"]), name="Fuel-import routes",
            style_function=lambda f: {"color": f["properties"]["_colour"], "weight": 12,
                                      "opacity": 0.30, "lineCap": "round"},
            on_each_feature=_bind(ROUTE_FIELDS, fr, "route"), show=False,
        ).add_to(m)
    if corridors is not None and len(corridors):
        folium.GeoJson(
            _geojson(corridors, list(CORRIDOR_FIELDS)), name="Seed corridors",
            style_function=lambda f: {"color": "#3f007d", "weight": 9, "opacity": 0.30,
                                      "lineCap": "round"},
            on_each_feature=_bind(CORRIDOR_FIELDS, corridors, "name"),
        ).add_to(m)

    # under the segments: a red (rose) or blue (fell) halo around the pieces that changed
    if changes is not None and len(changes):
        folium.GeoJson(
            _geojson(changes, [*CHANGE_FIELDS, "_colour", "_weight"]),
            name=f"Change in P since the previous report ({len(changes):,} pieces)",
            style_function=lambda f: {"color": f["properties"]["_colour"],
                                      "weight": f["properties"]["_weight"], "opacity": 0.45,
                                      "lineCap": "round"},
            highlight_function=lambda f: {"opacity": 0.8},
            on_each_feature=_bind(CHANGE_FIELDS, changes, "change"),
        ).add_to(m)

    seg = segments.copy()
    seg["_colour"] = [p_colour(float(p)) for p in seg["p_disrupt"]]
    folium.GeoJson(
        _geojson(seg, [*SEGMENT_FIELDS, "_colour"]),
        name=f"Road segments: P(disruption), {horizon_days} days",
        style_function=lambda f: {"color": f["properties"]["_colour"], "weight": 3,
                                  "opacity": 0.9},
        highlight_function=lambda f: {"weight": 7, "opacity": 1.0},
        on_each_feature=_bind(SEGMENT_FIELDS, seg, "road"),
    ).add_to(m)

    if closures is not None and len(closures):
        folium.GeoJson(
            _geojson(closures, list(CLOSURE_FIELDS)), name="Scenario closures",
            style_function=lambda f: {"color": "#000000", "weight": 6, "opacity": 0.75,
                                      "dashArray": "4 7", "fillColor": "#000000",
                                      "fillOpacity": 0.12},
            on_each_feature=_bind(CLOSURE_FIELDS, closures, "scenario"),
        ).add_to(m)

    if incidents is not None and len(incidents):
        _add_incident_layers(m, incidents)

    _add_legend(m, horizon_days=horizon_days,
                types=sorted(set(incidents["event_type"])) if incidents is not None
                and len(incidents) else [], orientation=orientation is not None,
                changes=changes is not None and len(changes) > 0)
    if bounds is None:
        bounds_src = corridors if corridors is not None and len(corridors) else segments
        minx, miny, maxx, maxy = bounds_src.total_bounds
        bounds = [[miny, minx], [maxy, maxx]]
    m.fit_bounds(bounds, padding=(10, 10))
    control = folium.LayerControl(collapsed=False, position="topright")
    control.add_to(m)
    if orientation is not None:
        from routerisk.report._overlays import Orientation

        m.add_child(Orientation(places=orientation["places"], borders=orientation["borders"],
                                corridors=orientation["corridor_labels"],
                                layer_control=control.get_name()))
    from routerisk.report._overlays import PopupGuard

    m.add_child(PopupGuard())
    return m


def _add_incident_layers(m: folium.Map, incidents: gpd.GeoDataFrame) -> None:
    inc = incidents.copy()
    inc["_colour"] = inc["event_type"].map(EVENT_COLOURS).fillna("#777777")
    age = pd.to_numeric(inc["age_days"], errors="coerce").fillna(np.inf).to_numpy()
    lower = 0.0
    for (label, upper, shown), radius in zip(AGE_BANDS, AGE_RADIUS, strict=True):
        band = inc[(age >= lower) & (age < upper)] if np.isfinite(upper) else inc[age >= lower]
        lower = upper
        if band.empty:
            continue
        folium.GeoJson(
            _geojson(band, [*INCIDENT_FIELDS, "_colour"]),
            name=f"Incidents, {label} ({len(band):,})",
            marker=folium.CircleMarker(radius=radius, weight=1, color="#222222",
                                       fill=True, fill_opacity=0.85),
            style_function=lambda f: {"fillColor": f["properties"]["_colour"]},
            on_each_feature=_bind(INCIDENT_FIELDS, band, "event_type"),
            show=shown,
        ).add_to(m)


def _add_legend(m: folium.Map, *, horizon_days: int, types: list[str],
                orientation: bool = False, changes: bool = False) -> None:
    rows = [f"<div class='rr-legend-title'>P(disruption), {horizon_days} days</div>"]
    for colour, label in zip(P_COLOURS, p_class_labels(), strict=True):
        rows.append(f"<div><span class='rr-swatch rr-line' style='background:{colour}'></span>"
                    f"{html.escape(label)}</div>")
    if types:
        rows.append("<div class='rr-legend-title'>Incidents (size: recent = larger)</div>")
        for t in types:
            colour = EVENT_COLOURS.get(t, "#777777")
            rows.append(f"<div><span class='rr-swatch rr-dot' style='background:{colour}'>"
                        f"</span>{html.escape(t.replace('_', ' '))}</div>")
    rows.append("<div class='rr-legend-title'>Other layers</div>"
                "<div><span class='rr-swatch rr-line' style='background:#3f007d;opacity:.4'>"
                "</span>seed corridor</div>"
                "<div><span class='rr-swatch rr-line' style='background:#000;opacity:.75'>"
                "</span>scenario closure (dashed)</div>")
    if changes:
        rows.append("<div><span class='rr-swatch rr-line' style='background:#b2182b'></span>"
                    "P rose since previous report</div>"
                    "<div><span class='rr-swatch rr-line' style='background:#2166ac'></span>"
                    "P fell since previous report</div>")
    if orientation:
        rows.append("<div><span class='rr-swatch' style='color:#b10026'>\u25C6</span>"
                    "border crossing</div>"
                    "<div><span class='rr-swatch rr-dot' style='background:#08306b;"
                    "border-radius:0'></span>port</div>")
    m.add_child(_Legend("".join(rows)))


class _Legend(MacroElement):
    """A Leaflet control (bottom left) holding the legend's HTML."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: 'bottomleft'});
            legend.onAdd = function() {
                var div = L.DomUtil.create('div', 'rr-legend');
                div.innerHTML = {{ this.content|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, content: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.content = content


