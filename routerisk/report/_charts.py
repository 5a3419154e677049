"""Static charts of the report (matplotlib → PNG bytes), each a pure function of plain frames.

The PNGs are embedded in the page as ``data:`` URIs so the report prints and travels as one
file. Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot state, no
GUI backend).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from routerisk.model.calibration import mu_from_p
from routerisk.report._map import P_COLOURS, p_class_labels, p_colour

DPI = 110
_GRID = {"color": "#dddddd", "linewidth": 0.6}


def to_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight",
                metadata={"Software": None})
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    """A ``data:image/png;base64,...`` URI of PNG bytes."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def risk_profile_chart(profile: pd.DataFrame, towns: pd.DataFrame, *, title: str,
                       horizon_days: int) -> bytes:
    """Risk along a corridor: per-segment P(disruption) and the pieces' cumulative P as if
    independent, against km.

    Parameters
    ----------
    profile
        One row per segment in route order with ``km_start``, ``km_end`` (km from the origin)
        and ``p_disrupt`` (over the horizon).
    towns
        Waypoints with ``name`` and ``km`` (km from the origin), drawn as vertical lines.
    title
        Chart title (the corridor name).
    horizon_days
        Horizon of the probabilities, for the axis label.

    Returns
    -------
    bytes
        PNG image.
    """
    fig = Figure(figsize=(9.0, 3.4))
    ax = fig.add_subplot()
    p = profile["p_disrupt"].to_numpy(dtype=float)
    km0 = profile["km_start"].to_numpy(dtype=float)
    km1 = profile["km_end"].to_numpy(dtype=float)
    ax.bar(km0, p, width=km1 - km0, align="edge", color=[p_colour(x) for x in p],
           edgecolor="none", label="segment P(disruption)")
    ax.set_xlim(0, float(km1.max()) if len(km1) else 1.0)
    ax.set_ylim(0, max(float(np.nanmax(p)) * 1.15 if len(p) else 0.0, 1e-3))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.set_xlabel("km from origin")
    ax.set_ylabel(f"segment P, {horizon_days} d")
    ax.grid(axis="y", **_GRID)
    ax2 = ax.twinx()
    cumulative = 1.0 - np.exp(-np.cumsum(mu_from_p(p)))
    ax2.plot(np.r_[0.0, km1], np.r_[0.0, cumulative], color="#3f007d", linewidth=1.8,
             label="pieces as if independent, so far")
    ax2.set_ylim(0, max(float(cumulative[-1]) * 1.1 if len(cumulative) else 0.0, 1e-3))
    ax2.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax2.set_ylabel("cumulative P, as if independent", color="#3f007d")
    xmax = float(km1.max()) if len(km1) else 1.0
    placed = stagger_labels([float(k) for k in towns["km"]], [str(n) for n in towns["name"]],
                            span=xmax, width_px=_axes_width_px(fig, ax))
    for (_, town), level in zip(towns.iterrows(), placed, strict=True):
        ax.axvline(float(town["km"]), color="#555555", linewidth=0.8, linestyle="--")
        if level is None:
            continue
        ax.annotate(str(town["name"]), xy=(float(town["km"]), 1.0),
                    xycoords=("data", "axes fraction"), xytext=(0, 3 + _LEVEL_PT * level),
                    textcoords="offset points", fontsize=_TOWN_PT, ha="center", va="bottom",
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"})
    n_levels = 1 + max((lv for lv in placed if lv is not None), default=0)
    ax.set_title(title, loc="left", fontsize=11, pad=8 + _LEVEL_PT * n_levels)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    return to_png(fig)


#: Font size (pt) of the town labels of a profile, and the height of one label row (pt).
_TOWN_PT, _LEVEL_PT = 8.0, 11.0
#: Most rows of staggered town labels; a label that fits on none is left out (its dashed
#: line stays).
MAX_LABEL_LEVELS = 3


def _axes_width_px(fig: Figure, ax: object) -> float:
    return float(ax.get_position().width * fig.get_figwidth() * DPI)  # type: ignore[attr-defined]


def stagger_labels(positions: list[float], names: list[str], *, span: float, width_px: float,
                   max_levels: int = MAX_LABEL_LEVELS, gap_px: float = 6.0
                   ) -> list[int | None]:
    """Rows for labels centred on ``positions`` (data units over ``span``) so none overlap.

    Each label takes its text width (estimated from its length at :data:`_TOWN_PT`); it goes
    on the lowest row where it clears the labels already there, or is left out (``None``)
    when no row of ``max_levels`` has room (e.g. Kati beside Bamako, Kidira beside Diboli).

    Returns
    -------
    list
        Row (0 = nearest the axes) or ``None`` per label, in the order given.
    """
    px_per_unit = width_px / span if span > 0 else 1.0
    char_px = 0.6 * _TOWN_PT * DPI / 72.0
    ends: list[float] = []          # right end (px) of the last label on each row
    out: list[int | None] = [None] * len(positions)
    for i in sorted(range(len(positions)), key=lambda j: positions[j]):
        half = len(names[i]) * char_px / 2.0 + 2.0
        centre = positions[i] * px_per_unit
        for level in range(max_levels):
            if level == len(ends):
                ends.append(-np.inf)
            if centre - half >= ends[level] + gap_px:
                ends[level] = centre + half
                out[i] = level
                break
    return out


def share_bar_chart(frame: pd.DataFrame, *, label: str, columns: dict[str, str],
                    title: str, colours: dict[str, str] | None = None) -> bytes:
    """Horizontal grouped bars of shares (0–1) per row, e.g. fuel volume cut off per scenario.

    Parameters
    ----------
    frame
        One row per bar group.
    label
        Column holding the group label (scenario or route name).
    columns
        Share columns to draw (column → legend label), each in [0, 1].
    title
        Chart title.
    colours
        Optional colour per column.

    Returns
    -------
    bytes
        PNG image.
    """
    n, k = len(frame), len(columns)
    fig = Figure(figsize=(8.0, max(1.6, 0.24 * n * max(k, 1) + 1.0)))
    ax = fig.add_subplot()
    y = np.arange(n)
    height = 0.8 / max(k, 1)
    palette = ["#1f78b4", "#e31a1c", "#ff7f00", "#33a02c", "#6a3d9a"]
    for i, (col, name) in enumerate(columns.items()):
        vals = pd.to_numeric(frame[col], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        colour = (colours or {}).get(col, palette[i % len(palette)])
        bars = ax.barh(y + (i - (k - 1) / 2) * height, vals, height=height * 0.92,
                       color=colour, label=name)
        for bar, v in zip(bars, vals, strict=True):
            ax.annotate(f"{v * 100:.1f} %", xy=(bar.get_width(), bar.get_y() + height / 2),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(y, [str(s) for s in frame[label]], fontsize=9)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    top = float(np.nanmax([pd.to_numeric(frame[c], errors="coerce").max() for c in columns]
                          or [0.0]))
    ax.set_xlim(0, max(min(top * 1.2, 1.05), 0.05))
    ax.grid(axis="x", **_GRID)
    ax.set_title(title, loc="left", fontsize=11)
    if k > 1:
        ax.legend(fontsize=8, frameon=False, loc="lower right")
    return to_png(fig)


def reliability_chart(reliability: pd.DataFrame, *, title: str) -> bytes:
    """Reliability diagram: mean predicted probability vs observed frequency per bin.

    Parameters
    ----------
    reliability
        One row per bin with ``predicted`` and ``observed`` (both in [0, 1]), optionally
        ``n`` (segments in the bin, sets the marker size) and ``model`` (one line per model).
    title
        Chart title.

    Returns
    -------
    bytes
        PNG image.
    """
    fig = Figure(figsize=(5.2, 4.6))
    ax = fig.add_subplot()
    rel = reliability.copy()
    if "model" not in rel.columns:
        rel["model"] = "model"
    top = float(np.nanmax(rel[["predicted", "observed"]].to_numpy(dtype=float))) if len(rel) \
        else 1.0
    top = min(1.0, max(top * 1.08, 0.02))
    ax.plot([0, top], [0, top], color="#999999", linestyle="--", linewidth=1,
            label="perfectly calibrated")
    palette = ["#e31a1c", "#1f78b4", "#33a02c", "#6a3d9a"]
    for i, (name, grp) in enumerate(rel.groupby("model", sort=False)):
        colour = palette[i % len(palette)]
        sizes = None
        if "n" in grp.columns:
            n = grp["n"].to_numpy(dtype=float)
            sizes = 12 + 40 * n / max(float(n.max()), 1.0)
        ax.plot(grp["predicted"], grp["observed"], color=colour, linewidth=1.4,
                label=str(name))
        ax.scatter(grp["predicted"], grp["observed"], s=sizes, color=colour, zorder=3)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    fmt = FuncFormatter(lambda v, _: f"{v * 100:.0f} %")
    ax.xaxis.set_major_formatter(fmt)
    ax.yaxis.set_major_formatter(fmt)
    ax.set_xlabel("predicted probability (bin mean)")
    ax.set_ylabel("observed frequency")
    ax.grid(**_GRID)
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return to_png(fig)


def coverage_chart(monthly: pd.DataFrame, coverage: list[dict], *, as_of: str,
                   title: str, gaps: Sequence[tuple[str, str]] = ()) -> bytes:
    """Incidents per month per source, with each source's systematic coverage shaded.

    Parameters
    ----------
    monthly
        Index: month (first day, Timestamp); one column of counts per source (the curated
        reports in a column of their own).
    coverage
        Coverage entries (``source``, ``start``, ``end``): shaded spans, one band per source.
    as_of
        Forecast date, drawn as a vertical line.
    title
        Chart title.
    gaps
        Uncovered periods (start, end), hatched.

    Returns
    -------
    bytes
        PNG image.
    """
    fig = Figure(figsize=(9.0, 3.6))
    ax = fig.add_subplot()
    palette = {"ACLED": "#1f78b4", "UCDP": "#33a02c", "curated": "#e31a1c"}
    others = ["#6a3d9a", "#ff7f00", "#b15928"]
    x = pd.DatetimeIndex(monthly.index) if len(monthly) else pd.DatetimeIndex([])
    bottom = np.zeros(len(monthly))
    cols = sorted(monthly.columns, key=lambda c: (c != "curated", str(c)))
    for i, col in enumerate(cols):
        y = monthly[col].to_numpy(dtype=float)
        ax.bar(x, y, width=28, bottom=bottom, align="edge", linewidth=0,
               color=palette.get(str(col), others[i % len(others)]),
               label=f"{col} ({int(y.sum()):,})")
        bottom += y
    ax.set_yscale("symlog", linthresh=1.0)
    for i, c in enumerate(coverage):
        colour = palette.get(c["source"], others[i % len(others)])
        ax.axvspan(pd.Timestamp(c["start"]), pd.Timestamp(c["end"]), color=colour,
                   alpha=0.08, label=f"{c['source']} covers {c['start']} … {c['end']}")
    for g0, g1 in gaps:
        ax.axvspan(pd.Timestamp(g0), pd.Timestamp(g1), facecolor="none", edgecolor="#e31a1c",
                   hatch="//", linewidth=0, alpha=0.5, label=f"no systematic source {g0} … {g1}")
    ax.axvline(pd.Timestamp(as_of), color="#333333", linestyle="--", linewidth=1,
               label=f"as of {as_of}")
    ax.set_ylabel("incidents per month")
    ax.grid(axis="y", **_GRID)
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1),
              ncol=3)
    return to_png(fig)


def static_map(segments: pd.DataFrame, *, bounds: list[list[float]],
               corridors: pd.DataFrame | None = None, places: pd.DataFrame | None = None,
               borders: pd.DataFrame | None = None, labels: pd.DataFrame | None = None,
               title: str = "", label_zoom: int = 6) -> bytes:
    """The risk map as a static image (for print and PDF): road pieces coloured by P, the
    corridors' halo and names, town and port labels shown up to ``label_zoom`` and the
    border crossings.

    Parameters
    ----------
    segments
        Road pieces with ``p_disrupt`` and LineString ``geometry`` (WGS84).
    bounds
        ``[[south, west], [north, east]]`` of the view.
    corridors
        Corridor lines (drawn as a purple halo).
    places
        Labels from :func:`routerisk.report._orient.place_labels` (``name, lat, lon, kind,
        min_zoom``).
    borders
        Border crossings (``lat, lon``, ``located``).
    labels
        Corridor label points (``name, lat, lon``).
    """
    from matplotlib.collections import LineCollection

    (south, west), (north, east) = bounds
    pad_x, pad_y = 0.04 * (east - west), 0.04 * (north - south)
    fig = Figure(figsize=(10.0, 7.2))
    ax = fig.add_subplot()
    ax.set_facecolor("#eef2f5")
    if corridors is not None and len(corridors):
        lines = [np.asarray(g.coords) for geom in corridors.geometry
                 for g in getattr(geom, "geoms", [geom])]
        ax.add_collection(LineCollection(lines, colors="#3f007d", linewidths=6, alpha=0.25,
                                         capstyle="round"))
    order = np.argsort(segments["p_disrupt"].to_numpy(dtype=float))
    seg = segments.iloc[order]
    ax.add_collection(LineCollection(
        [np.asarray(g.coords) for g in seg.geometry],
        colors=[p_colour(float(p)) for p in seg["p_disrupt"]], linewidths=1.6))
    if borders is not None and len(borders):
        b = borders[borders["located"]] if "located" in borders else borders
        ax.scatter(b["lon"], b["lat"], marker="D", s=22, color="#b10026",
                   edgecolors="white", linewidths=0.6, zorder=4)
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    if places is not None and len(places):
        inside = places[(places["min_zoom"] <= label_zoom)
                        & places["lon"].between(west, east) & places["lat"].between(south, north)]
        for row in inside.itertuples():
            port = row.kind == "port"
            ax.plot(row.lon, row.lat, marker="s" if port else "o", ms=4 if port else 2.5,
                    color="#08306b" if port else "#333333", zorder=5)
            ax.annotate(row.name, (row.lon, row.lat), xytext=(3, 2), textcoords="offset points",
                        fontsize=8.5 if row.kind != "town" else 7.5,
                        fontweight="bold" if row.kind != "town" else "normal",
                        color="#08306b" if port else "#222222", path_effects=halo, zorder=6)
    if labels is not None:
        for row in labels.itertuples():
            ax.annotate(row.name, (row.lon, row.lat), xytext=(0, 8), textcoords="offset points",
                        fontsize=8.5, fontstyle="italic", fontweight="bold", color="#3f007d",
                        ha="center", path_effects=halo, zorder=7)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, linewidth=3, label=lab)
               for c, lab in zip(P_COLOURS, p_class_labels(), strict=True)]
    handles += [Line2D([], [], color="#3f007d", alpha=0.35, linewidth=6, label="seed corridor"),
                Line2D([], [], color="#b10026", marker="D", linestyle="none", markersize=5,
                       label="border crossing"),
                Line2D([], [], color="#08306b", marker="s", linestyle="none", markersize=5,
                       label="port")]
    ax.legend(handles=handles, loc="lower left", fontsize=7.5, framealpha=0.9,
              title="P(disruption)", title_fontsize=8)
    ax.set_xlim(west - pad_x, east + pad_x)
    ax.set_ylim(south - pad_y, north + pad_y)
    ax.set_aspect(1.0 / np.cos(np.radians((south + north) / 2.0)))
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    return to_png(fig)
