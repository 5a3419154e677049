"""Assemble the report page: one self-contained HTML document from rendered sections.

Nothing here knows about risk: it takes a title, summary facts, the map fragment and a list
of :class:`Section` objects (already rendered HTML) and lays them out with a table of contents
and print-friendly CSS.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import folium

from routerisk.report._assets import leaflet_css, leaflet_js
from routerisk.report._overlays import CSS as OVERLAY_CSS


@dataclass
class Section:
    """One section of the page.

    ``status`` is ``"ok"`` or ``"skipped"`` (left out on request).
    """

    id: str
    title: str
    body: str
    status: str = "ok"
    notes: list[str] = field(default_factory=list)


CSS = """
:root { --ink:#1d1d1f; --muted:#5f6368; --line:#e2e2e2; --accent:#3f007d; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: var(--ink); margin: 0; background: #fafafa; }
header.rr-top { background: #fff; border-bottom: 1px solid var(--line);
                padding: 14px 28px 10px; }
header.rr-top h1 { font-size: 22px; margin: 0 0 4px; }
header.rr-top .facts { color: var(--muted); font-size: 13px; }
header.rr-top .facts b { color: var(--ink); font-weight: 600; }
nav.rr-toc { font-size: 13px; margin-top: 6px; }
nav.rr-toc a { margin-right: 14px; color: var(--accent); text-decoration: none; }
main { padding: 8px 28px 40px; max-width: 1500px; }
main > section { background: #fff; border: 1px solid var(--line); border-radius: 6px;
          padding: 12px 18px 16px; margin: 14px 0; }
main > section h2 { font-size: 18px; margin: 4px 0 8px; }
main > section h3 { font-size: 15px; margin: 16px 0 6px; }
.lead { color: var(--muted); margin: 0 0 10px; max-width: 1000px; }
.note { color: var(--muted); font-size: 12px; margin: 4px 0; }
.skipped { border-left: 5px solid #e6a700; }
.skipped .status { background: #fff7e0; padding: 8px 10px;
                                     border-radius: 4px; }
.rr-tablewrap { max-width: 100%; overflow-x: auto; }
table.rr-table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0 10px;
                 max-width: 100%; }
table.rr-table caption { text-align: left; font-weight: 600; padding: 4px 0; }
table.rr-table th, table.rr-table td { border-bottom: 1px solid var(--line);
                                       padding: 3px 6px; text-align: left;
                                       vertical-align: top; overflow-wrap: break-word; }
table.rr-table th { background: #f3f1f7; font-weight: 600; overflow-wrap: normal;
                    hyphens: auto; }
table.rr-table td.num { text-align: right; font-variant-numeric: tabular-nums;
                         white-space: nowrap; }
table.rr-table td.date { white-space: nowrap; }
table.rr-table td.na { color: #aaa; text-align: center; }
.side { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.side > div { flex: 1 1 600px; min-width: 0; max-width: 100%; }
.rr-static-map { display: none; }
ul.rr-changes { margin: 4px 0 10px; padding-left: 20px; }
img.chart { max-width: 100%; height: auto; }
.kpi { display: inline-block; margin: 4px 22px 8px 0; }
.kpi .v { font-size: 22px; font-weight: 650; }
.kpi .k { color: var(--muted); font-size: 12px; }
.rr-legend { background: rgba(255,255,255,.92); padding: 6px 9px; border-radius: 4px;
             font-size: 11.5px; line-height: 1.35; box-shadow: 0 1px 4px rgba(0,0,0,.3);
             max-height: 420px; overflow-y: auto; }
.rr-legend-title { font-weight: 600; margin: 4px 0 2px; }
.rr-swatch { display: inline-block; margin-right: 6px; vertical-align: middle; }
.rr-line { width: 18px; height: 4px; }
.rr-dot { width: 9px; height: 9px; border-radius: 50%; border: 1px solid #222; }
.rr-area { width: 14px; height: 10px; border: 1.5px dashed #000; background: rgba(0,0,0,.12); }
.leaflet-container { background: #e8eef2; font-size: 12px; }
footer { color: var(--muted); font-size: 12px; padding: 0 28px 28px; }
@page { size: A4; margin: 12mm 10mm; }
@media print {
  body { background: #fff; font-size: 10.5px; }
  nav.rr-toc { display: none; }
  header.rr-top { border: none; padding: 0 0 6px; }
  main { padding: 0; max-width: none; }
  main > section { break-before: page; border: none; padding: 0; margin: 0; }
  main > section:first-child { break-before: auto; }
  h2, h3, caption { break-after: avoid-page; }
  tr, img.chart, .kpi { break-inside: avoid-page; }
  .side { display: block; }
  .folium-map, .leaflet-container { display: none !important; }
  .rr-static-map { display: block; width: 100%; height: auto; break-inside: avoid-page; }
  .rr-tablewrap { overflow: visible; }
  table.rr-table { font-size: 9.5px; }
  a { color: inherit; text-decoration: none; }
}
"""


def _section_html(sec: Section) -> str:
    cls = "" if sec.status == "ok" else f" class='{html.escape(sec.status)}'"
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in sec.notes)
    return (f"<section id='{html.escape(sec.id)}' data-status='{html.escape(sec.status)}'"
            f"{cls}><h2>{html.escape(sec.title)}</h2>{sec.body}{notes}</section>")


def render_page(*, title: str, facts: dict[str, str], map_fragment: MapFragment | None,
                map_section: Section, sections: list[Section], footer: str) -> str:
    """Assemble the full HTML document.

    Parameters
    ----------
    title
        Page title.
    facts
        Key facts shown under the title (label → value), e.g. as-of date and horizon.
    map_fragment
        The rendered map, or ``None`` when it could not be built (``map_section`` explains).
    map_section
        The section holding the map (its ``body`` is shown above the map).
    sections
        The other sections, in order.
    footer
        Footer text (plain text).

    Returns
    -------
    str
        The HTML document.
    """
    all_sections = [map_section, *sections]
    toc = "".join(f"<a href='#{html.escape(s.id)}'>{html.escape(s.title)}</a>"
                  for s in all_sections)
    fact_html = " · ".join(f"{html.escape(k)}: <b>{html.escape(v)}</b>" for k, v in facts.items())
    head_extra = map_fragment.head if map_fragment else ""
    map_body = map_fragment.body if map_fragment else ""
    map_sec = Section(map_section.id, map_section.title, map_section.body + map_body,
                      map_section.status, map_section.notes)
    body = "\n".join(_section_html(s) for s in [map_sec, *sections])
    script = f"<script>\n{map_fragment.script}\n</script>" if map_fragment else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="routerisk">
<title>{html.escape(title)}</title>
{head_extra}
<style>{CSS}{OVERLAY_CSS}</style>
</head>
<body>
<header class="rr-top">
<h1>{html.escape(title)}</h1>
<div class="facts">{fact_html}</div>
<nav class="rr-toc">{toc}</nav>
</header>
<main>
{body}
</main>
<footer>{html.escape(footer)}</footer>
{script}
</body>
</html>
"""


@dataclass(frozen=True)
class MapFragment:
    """A rendered map split for inlining: ``head`` (CSS and Leaflet), ``body`` (the map
    ``div``), ``script`` (the JavaScript that builds it), and ``map_id`` (the ``div`` id,
    also the global JavaScript variable holding the ``L.Map``)."""

    head: str
    body: str
    script: str
    map_id: str


#: What :func:`map_fragment` removes from folium's rendered head.
_HEAD_DROP = (r"<script src=[^>]*></script>", r"<link [^>]*>", r"<meta name=\"viewport\"[^>]*>",
              r"<script>\s*L_NO_TOUCH = false;\s*L_DISABLE_3D = false;\s*</script>")


def map_fragment(m: folium.Map) -> MapFragment:
    """Render ``m`` into inlinable pieces with Leaflet embedded and no CDN links.

    Every ``<script src=...>`` / ``<link href=...>`` that folium adds by default (Leaflet,
    jQuery, Bootstrap, Font Awesome from CDNs) is dropped; the vendored Leaflet is inlined
    instead. Only the background tile URLs (if any) remain as network references.
    """
    fig = m.get_root()
    fig.render()
    # Drop from the rendered head: CDN scripts and stylesheets, the viewport tag, and the
    # map's own full-page styles (html, body {height: 100%}); the page lays out the map.
    header = fig.header.render()
    own_style = r"<style>\s*(?:html, body|#map\b|#" + re.escape(m.get_name()) + r")[^<]*</style>"
    for pattern in (*_HEAD_DROP, own_style):
        header = re.sub(pattern, "", header, flags=re.S)
    own = (f"<style>#{m.get_name()} {{position: relative; width: 100%; "
           f"height: {m.height[0]:g}{m.height[1]};}}</style>\n"
           "<script>L_NO_TOUCH = false; L_DISABLE_3D = false;</script>\n")
    head = f"<style>{leaflet_css()}</style>\n<script>{leaflet_js()}</script>\n" + own + header
    return MapFragment(head=head, body=fig.html.render(), script=fig.script.render(),
                       map_id=m.get_name())
