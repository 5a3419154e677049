"""Leaflet overlays of the report map that folium does not provide: town and port labels
thinned by zoom, border crossings, corridor names (all offline, on top of any background
tiles), and a guard that keeps popups clear of the legend and the layer control.

Every element is built with DOM methods and ``textContent``: data never reaches
``innerHTML``.
"""

from __future__ import annotations

import json

import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

#: Leaflet pane of the labels: above the road layers (400), below tooltips (650) and
#: popups (700).
LABEL_PANE_Z = 640


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    out = frame[columns].copy()
    for col in ("lat", "lon"):
        if col in out:
            out[col] = out[col].astype(float).round(5)
    return json.loads(out.to_json(orient="records", force_ascii=False))


class Orientation(MacroElement):
    """Town/port labels (shown from their ``min_zoom``), border crossings and corridor
    names, each a layer of the layer control (named ``layer_control``)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var control = {{ this.control }};
            var pane = map.createPane('rr-labels');
            pane.style.zIndex = {{ this.z }};
            pane.style.pointerEvents = 'none';
            function el(tag, cls, text) {
                var e = document.createElement(tag);
                if (cls) { e.className = cls; }
                if (text !== undefined) { e.textContent = text; }
                return e;
            }
            function label(cls, text, extra) {
                var box = el('div', 'rr-label ' + cls);
                box.appendChild(el('span', 'rr-label-dot'));
                box.appendChild(el('span', 'rr-label-text', text));
                if (extra) { box.title = extra; }
                return L.divIcon({html: box, className: 'rr-label-icon', iconSize: null,
                                  iconAnchor: [4, 8]});
            }
            var places = {{ this.places|tojson }};
            var towns = L.layerGroup([], {pane: 'rr-labels'});
            var markers = places.map(function(p) {
                var m = L.marker([p.lat, p.lon], {icon: label('rr-' + p.kind, p.name),
                                                  pane: 'rr-labels', interactive: false,
                                                  keyboard: false});
                m.minZoom = p.min_zoom;
                return m;
            });
            function thin() {
                var z = map.getZoom();
                markers.forEach(function(m) {
                    var want = m.minZoom <= z;
                    if (want && !towns.hasLayer(m)) { towns.addLayer(m); }
                    if (!want && towns.hasLayer(m)) { towns.removeLayer(m); }
                });
            }
            map.on('zoomend', thin);
            thin();
            towns.addTo(map);
            control.addOverlay(towns, 'Towns and ports (labels)');

            var borders = L.layerGroup();
            {{ this.borders|tojson }}.forEach(function(b) {
                var text = b.from_ctry + ' | ' + b.to_ctry + ' border crossing'
                         + (b.place ? ': ' + b.place : '');
                var box = el('div', 'rr-border');
                box.appendChild(el('span', 'rr-border-mark', '\u25C6'));
                var m = L.marker([b.lat, b.lon], {
                    icon: L.divIcon({html: box, className: 'rr-label-icon', iconSize: [12, 12],
                                     iconAnchor: [6, 6]}),
                    pane: 'rr-labels', keyboard: false, title: text});
                m.bindTooltip(text);
                borders.addLayer(m);
            });
            borders.addTo(map);
            control.addOverlay(borders, 'Border crossings');

            var names = L.layerGroup();
            {{ this.corridors|tojson }}.forEach(function(c) {
                var box = el('div', 'rr-corridor-name', c.name);
                names.addLayer(L.marker([c.lat, c.lon], {
                    icon: L.divIcon({html: box, className: 'rr-label-icon', iconSize: null,
                                     iconAnchor: [0, 0]}),
                    pane: 'rr-labels', interactive: false, keyboard: false}));
            });
            names.addTo(map);
            control.addOverlay(names, 'Corridor names');
        })();
        {% endmacro %}
    """)

    def __init__(self, *, places: pd.DataFrame, borders: pd.DataFrame,
                 corridors: pd.DataFrame, layer_control: str) -> None:
        super().__init__()
        self._name = "Orientation"
        self.places = _records(places, ["name", "lat", "lon", "kind", "min_zoom"])
        located = borders[borders["located"].astype(bool)] if "located" in borders else borders
        self.borders = _records(located, ["lat", "lon", "from_ctry", "to_ctry", "place"])
        self.corridors = _records(corridors, ["name", "lat", "lon"])
        self.control = layer_control
        self.z = LABEL_PANE_Z


class PopupGuard(MacroElement):
    """Keep every popup clear of the legend (bottom left) and the layer control (top right).

    When a popup opens, it is panned into the part of the map between those controls; if
    the map is too small for that, the control it would overlap is faded out and made
    click-through until the popup closes."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var box = map.getContainer();
            function rect(sel) {
                var e = box.querySelector(sel);
                return e ? [e, e.getBoundingClientRect()] : null;
            }
            function overlaps(a, b) {
                return a.left < b.right && b.left < a.right && a.top < b.bottom
                    && b.top < a.bottom;
            }
            function unfade() {
                box.querySelectorAll('.rr-faded').forEach(function(e) {
                    e.classList.remove('rr-faded');
                });
            }
            function check(popup) {
                unfade();
                var c = popup.getElement();
                if (!c) { return; }
                var pr = c.getBoundingClientRect();
                ['.rr-legend', '.leaflet-control-layers', '.leaflet-control-zoom']
                    .forEach(function(sel) {
                        var r = rect(sel);
                        if (r && overlaps(pr, r[1])) { r[0].classList.add('rr-faded'); }
                    });
            }
            map.on('popupopen', function(e) {
                var legend = rect('.rr-legend'), layers = rect('.leaflet-control-layers');
                var left = legend ? legend[1].width + 20 : 10;
                var right = layers ? layers[1].width + 20 : 10;
                if (left + right + e.popup.getElement().offsetWidth < map.getSize().x) {
                    e.popup.options.autoPanPaddingTopLeft = L.point(left, 10);
                    e.popup.options.autoPanPaddingBottomRight = L.point(right, 10);
                    e.popup._adjustPan();
                }
                map.once('moveend', function() { check(e.popup); });
                check(e.popup);
            });
            map.on('popupclose', unfade);
        })();
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "PopupGuard"


#: CSS of the overlays (added to the page's style sheet).
CSS = """
.rr-label-icon { background: none; border: none; }
.rr-label { white-space: nowrap; font: 12px/16px system-ui, Arial, sans-serif; color: #222;
            text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; pointer-events: none; }
.rr-label-dot { display: inline-block; width: 5px; height: 5px; border-radius: 50%;
                background: #333; margin-right: 3px; vertical-align: middle;
                box-shadow: 0 0 0 1px #fff; }
.rr-city .rr-label-text { font-weight: 600; font-size: 13px; }
.rr-port .rr-label-text { font-weight: 700; font-size: 13px; color: #08306b; }
.rr-port .rr-label-dot { border-radius: 0; width: 7px; height: 7px; background: #08306b; }
.rr-border-mark { display: block; width: 12px; height: 12px; line-height: 12px;
                  font-size: 12px; text-align: center; color: #b10026;
                  text-shadow: 0 0 2px #fff, 0 0 2px #fff; }
.rr-corridor-name { white-space: nowrap; font: italic 700 13px/16px system-ui, Arial,
                    sans-serif; color: #3f007d; background: rgba(255,255,255,.8);
                    border: 1px solid #3f007d; border-radius: 3px; padding: 0 4px;
                    transform: translate(-50%, -130%); display: inline-block; }
.rr-faded { opacity: .12; pointer-events: none; }
.leaflet-popup-content { max-height: 380px; overflow-y: auto; }
"""
