"""Popups and tooltips of the report map's GeoJSON layers, built as DOM nodes.

Every value is set with ``textContent``: incident text (place, actor, notes) is shown as the
text it is and never parsed as HTML, so a crafted file cannot run script in the analyst's
browser. The field lists are inlined as JSON with ``<``, ``>`` and ``&`` escaped.
"""

from __future__ import annotations

import json

import pandas as pd
from folium.utilities import JsCode


def _js_json(obj: object) -> str:
    """JSON for inlining in a ``<script>``: ``<``, ``>``, ``&`` and line separators escaped,
    so no text can close the script element or open an HTML comment."""
    text = json.dumps(obj, ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


#: Binds a popup (a table of label/value rows) and a tooltip to each feature, building the
#: DOM with ``textContent``: incident text is shown as text, never parsed as HTML.
_BIND_JS = """function(feature, layer) {
  var fields = %(fields)s, labels = %(labels)s, tip = %(tip)s;
  var p = feature.properties || {};
  if (fields.length) {
    layer.bindPopup(function() {
      var table = document.createElement('table');
      table.className = 'rr-popup';
      fields.forEach(function(f, i) {
        var v = p[f];
        var row = table.insertRow();
        var th = document.createElement('th');
        th.textContent = labels[i];
        th.style.textAlign = 'left';
        th.style.paddingRight = '8px';
        row.appendChild(th);
        row.insertCell().textContent = (v === null || v === undefined) ? '' : String(v);
      });
      return table;
    }, {maxWidth: 420});
  }
  if (tip !== null && p[tip] !== null && p[tip] !== undefined) {
    var span = document.createElement('span');
    span.textContent = String(p[tip]);
    layer.bindTooltip(span, {sticky: true});
  }
}"""


def bind(fields: dict[str, str], frame: pd.DataFrame, tooltip: str | None) -> JsCode:
    """Popup and tooltip of a layer (columns not in ``frame`` are left out)."""
    present = [c for c in fields if c in frame.columns]
    tip = tooltip if tooltip is not None and tooltip in frame.columns else None
    return JsCode(_BIND_JS % {"fields": _js_json(present),
                              "labels": _js_json([fields[c] for c in present]),
                              "tip": _js_json(tip)})
