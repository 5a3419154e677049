"""Network damage as field tools report it: several links lost at once, the links whose
joint loss cuts the most fuel volume, and origin–destination losses to the regional towns.

- :func:`od_losses`: for each regional town (Kayes, Sikasso, Ségou, Mopti, Gao, Kidal,
  Tombouctou by default), the cheapest road from Bamako under the generalised cost, before
  and with a set of closed edges: ``ok``, ``detour`` (with the extra hours) or ``cut off``
  (no open road). This is the origin–destination loss table of Deltares ra2ce and of the
  Oxford/World Bank vulnerability assessments.
- :func:`worst_links`: the ``k`` road links whose joint loss cuts off the most import
  volume, ties broken by the volume-weighted extra hours of the detours. The search is
  greedy (at each step the link adding most to the loss, given the links already closed),
  which is not guaranteed to find the best set of ``k`` links."""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import networkx as nx
import pandas as pd

from routerisk.errors import GeocodeError, NodeNotFoundError, NoRouteError, SpecError
from routerisk.network.naming import link_label
from routerisk.supply.exposure import Baseline
from routerisk.supply.paths import (
    Edge,
    Link,
    cheapest_weight,
    link_index,
    link_of,
    path_metrics,
    shortest_path,
)

log = logging.getLogger(__name__)


#: The regional capitals whose access from Bamako is reported.
REGIONAL_TOWNS: tuple[str, ...] = ("Kayes", "Sikasso", "Ségou", "Mopti", "Gao", "Kidal",
                                   "Tombouctou")


def od_losses(G: nx.MultiDiGraph, closed: Collection[Edge], *, origin: str = "Bamako",
              towns: Sequence[str] = REGIONAL_TOWNS, country: str = "MLI", cost=None,
              gazetteer=None) -> pd.DataFrame:
    """Origin–destination losses from ``origin`` to each town under a set of closures.

    Returns
    -------
    pandas.DataFrame
        One row per town: ``town``, ``status`` (``ok``, ``detour``, ``cut off`` or ``not on
        the network``), ``cost_h`` and ``new_cost_h`` (generalised cost, h), ``extra_h``,
        ``length_km``, ``new_length_km``, ``note``.
    """
    from routerisk.supply.places import resolve_place

    weight = cheapest_weight(G, cost)
    src = resolve_place(G, origin, country=country, gazetteer=gazetteer)
    closed = set(closed)
    rows = []
    for town in towns:
        row = {"town": town, "status": "ok", "cost_h": math.nan, "new_cost_h": math.nan,
               "extra_h": math.nan, "length_km": math.nan, "new_length_km": math.nan,
               "note": ""}
        rows.append(row)
        try:
            dst = resolve_place(G, town, country=country, gazetteer=gazetteer)
            before = shortest_path(G, src.node, dst.node, weight=weight)
        except (GeocodeError, NodeNotFoundError, NoRouteError) as exc:
            row["status"], row["note"] = "not on the network", str(exc)
            continue
        m0 = path_metrics(G, before, weight=weight, cost=cost, towns=False, risk=False)
        row.update(cost_h=m0.cost_h, length_km=m0.length_km)
        if not closed.intersection(m0.edges):
            row.update(new_cost_h=m0.cost_h, new_length_km=m0.length_km, extra_h=0.0)
            continue
        try:
            after = shortest_path(G, src.node, dst.node, weight=weight, closed=closed)
        except NoRouteError:
            row["status"] = "cut off"
            continue
        m1 = path_metrics(G, after, weight=weight, closed=closed, cost=cost, towns=False,
                          risk=False)
        row.update(status="detour", new_cost_h=m1.cost_h, new_length_km=m1.length_km,
                   extra_h=m1.cost_h - m0.cost_h)
    return pd.DataFrame(rows)


@dataclass
class _Loss:
    share_cut: float
    extra_h: float


def _loss(G, base: Baseline, closed: set[Edge], weight) -> _Loss:
    """Import volume cut off and volume-weighted extra hours with ``closed`` edges."""
    cut = extra = 0.0
    for r in base.spec.routes:
        if r.share <= 0:
            continue
        m0 = base.metrics[r.name]
        if not closed.intersection(m0.edges):
            continue
        try:
            nodes = shortest_path(G, *base.ends(r.name), weight=weight, closed=closed)
        except NoRouteError:
            cut += r.share
            continue
        m1 = path_metrics(G, nodes, weight=weight, closed=closed, cost=base.cost, towns=False,
                          risk=False)
        extra += r.share * (m1.cost_h - m0.cost_h)
    return _Loss(cut, extra)


def worst_links(G: nx.MultiDiGraph, base: Baseline, *, k: int = 3,
                candidates: Collection[Link] | None = None, label: bool = True,
                gazetteer=None) -> pd.DataFrame:
    """The ``k`` links whose joint loss cuts off the most import volume (greedy).

    At each step every candidate link (default: the links of the import routes with a
    share, on the baseline and on the detours the links already closed force) is closed in
    addition to those chosen so far; the one cutting off the most volume is kept, ties
    broken by the volume-weighted extra hours (generalised cost).

    Returns
    -------
    pandas.DataFrame
        One row per step: ``step``, ``link``, ``label``, ``share_cut`` (cumulative share of
        import volume cut off), ``extra_hours_weighted`` (cumulative Σ share · Δh of the
        routes still arriving).
    """
    if not isinstance(k, int) or k < 1:
        raise SpecError(f"k must be an integer >= 1; got {k!r}")
    weight = cheapest_weight(G, base.cost)
    pieces = link_index(G)
    chosen: list[Link] = []
    closed: set[Edge] = set()
    rows = []
    for step in range(1, k + 1):
        if candidates is None:
            pool = {link_of(G, *e) for r in base.spec.routes if r.share > 0
                    for e in _current_edges(G, base, r.name, closed, weight)}
        else:
            pool = set(candidates)
        pool -= set(chosen)
        best = None
        for lk in sorted(pool, key=str):
            loss = _loss(G, base, closed | set(pieces[lk]), weight)
            key = (round(loss.share_cut, 12), loss.extra_h)
            if best is None or key > best[0]:
                best = (key, lk, loss)
        if best is None:
            break
        _, lk, loss = best
        chosen.append(lk)
        closed |= set(pieces[lk])
        rows.append({"step": step, "link": lk,
                     "label": link_label(G, lk, gazetteer=gazetteer) if label else "",
                     "share_cut": loss.share_cut, "extra_hours_weighted": loss.extra_h})
        log.info("worst links, step %d: %s (share cut %.3f)", step, lk, loss.share_cut)
    return pd.DataFrame(rows, columns=["step", "link", "label", "share_cut",
                                       "extra_hours_weighted"])


def _current_edges(G, base: Baseline, name: str, closed: set[Edge], weight) -> list[Edge]:
    m0 = base.metrics[name]
    if not closed.intersection(m0.edges):
        return m0.edges
    try:
        nodes = shortest_path(G, *base.ends(name), weight=weight, closed=closed)
    except NoRouteError:
        return []
    return path_metrics(G, nodes, weight=weight, closed=closed, cost=base.cost,
                        towns=False, risk=False).edges


def places_cut_off(od: pd.DataFrame) -> list[str]:
    """Towns of an :func:`od_losses` table left with no open road."""
    return od.loc[od["status"] == "cut off", "town"].tolist()
