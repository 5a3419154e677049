"""Offline geocoder over the OSM gazetteer of West African place names.

Matching is accent-, case- and punctuation-insensitive and looks at both ``name`` and
``name_en``. Among matches it prefers the requested country, then bigger place classes
(city > town > village > ...), then larger population. When two distinct places remain
equally good and far apart, it reports the ambiguity instead of guessing."""

from __future__ import annotations

import difflib
import logging
import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from routerisk.config import GAZETTEER_FILE, GAZETTEER_GULF_FILE, shared_file
from routerisk.errors import GeocodeError, ValidationError
from routerisk.geo.sphere import great_circle_km

logger = logging.getLogger(__name__)


#: Rank of OSM ``place`` classes, biggest first.
PLACE_RANK = {
    "city": 0, "town": 1, "village": 2, "suburb": 3, "locality": 4,
    "hamlet": 5, "isolated_dwelling": 6,
}


#: Candidates closer than this are the same place mapped twice (e.g. border towns).
SAME_PLACE_KM = 5.0


_COORD_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Place:
    """A resolved place: name, WGS84 coordinates and where it came from."""

    name: str
    lat: float
    lon: float
    country_iso3: str
    place_class: str
    population: float | None
    osm_node_id: int | None


def normalize_name(text: str) -> str:
    """Fold a place name for matching: no accents, lower case, single spaces.

    >>> normalize_name("  Ségou ") == normalize_name("SEGOU")
    True
    """
    return normalize_names([text])[0]


def normalize_names(texts) -> list[str]:
    """:func:`normalize_name` of every text, folded together (one pass over their joined
    text; each comes out exactly as alone).

    The texts are joined with NUL, which no step changes or crosses: decomposition and
    case folding work character by character (NUL blocks the reordering of accents), the
    pattern of separators does not match it, and it is not stripped. A text holding a NUL
    itself is folded alone.
    """
    texts = [str(t) for t in texts]
    if len(texts) > 1 and any(_SEP in t for t in texts):
        return [normalize_names([t])[0] for t in texts]
    plain = [t if t.isascii() else _strip_accents(t) for t in texts]
    folded = _FOLD_RE.sub(" ", _SEP.join(plain).casefold())
    return [folded.strip()] if len(texts) == 1 else [t.strip() for t in folded.split(_SEP)]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_FOLD_RE = re.compile(r"[\s\-'’_.]+")
_SEP = "\x00"


#: Columns a gazetteer CSV must have.
GAZETTEER_COLUMNS: tuple[str, ...] = ("country_iso3", "osm_node_id", "lat", "lon", "name",
                                      "name_en", "place", "population")


def _read_one(path: str) -> pd.DataFrame:
    """One gazetteer CSV, its columns and coordinates checked (errors name the file)."""
    try:
        df = pd.read_csv(path, dtype={"country_iso3": str, "name": str, "name_en": str,
                                      "place": str})
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ValidationError(path, [f"not a readable gazetteer CSV ({exc})"[:300]]) from None
    missing = [c for c in GAZETTEER_COLUMNS if c not in df.columns]
    if missing:
        raise ValidationError(path, [f"missing column '{c}'; a gazetteer CSV has the columns "
                                     f"{', '.join(GAZETTEER_COLUMNS)}" for c in missing])
    bad = []
    for col, lo, hi in (("lat", -90, 90), ("lon", -180, 180)):
        values = pd.to_numeric(df[col], errors="coerce")
        for i in values.index[~values.between(lo, hi)][:10]:
            bad.append(f"row {i + 1}, '{col}': must be a number from {lo} to {hi}; got "
                       f"{df.at[i, col]!r}")
        df[col] = values
    if bad:
        raise ValidationError(path, bad)
    return df


@lru_cache(maxsize=4)
def _load(paths: tuple[str, ...]) -> pd.DataFrame:
    frames = [_read_one(p) for p in paths]
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df = df.drop_duplicates(subset=["country_iso3", "osm_node_id"]).reset_index(drop=True)
    df["key"] = normalize_names(df["name"].fillna("").tolist())
    df["key_en"] = normalize_names(df["name_en"].fillna("").tolist())
    df["rank"] = df["place"].map(PLACE_RANK).fillna(len(PLACE_RANK)).astype(int)
    df["population"] = pd.to_numeric(df["population"], errors="coerce")
    return df


def load_gazetteer(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load the gazetteer (cached).

    Parameters
    ----------
    path
        Explicit CSV path (that file alone); default: the two shared OSM gazetteers read
        together, ``osm/places_west_africa_osm2019.csv`` (Mali, Senegal, Gambia, Côte
        d'Ivoire, Guinea, Mauritania, Burkina Faso) and ``osm/places_gulf_niger_osm2019.csv``
        (Ghana, Togo, Benin, Niger), both found through
        :func:`routerisk.config.shared_file`.

    Returns
    -------
    pandas.DataFrame
        Columns ``country_iso3, osm_node_id, lat, lon, name, name_en, place, population``
        plus the folded match keys ``key``, ``key_en`` and the class ``rank``.
    """
    if path is not None:
        resolved = shared_file(GAZETTEER_FILE, path=path, what="OSM gazetteer",
                               option="--gazetteer")
        return _load((str(Path(resolved).resolve()),))
    files = [shared_file(rel, what="OSM gazetteer", option="--gazetteer")
             for rel in (GAZETTEER_FILE, GAZETTEER_GULF_FILE)]
    return _load(tuple(str(Path(f).resolve()) for f in files))




_NAME_INDEX: dict[int, tuple] = {}


def _name_index(gaz: pd.DataFrame) -> dict[str, list[int]]:
    """Folded name (``key`` and ``key_en``) → row positions, built once per gazetteer frame
    (a lookup instead of a scan of the whole table per name)."""
    import weakref

    cached = _NAME_INDEX.get(id(gaz))
    if cached is not None and cached[0]() is gaz and cached[1] == len(gaz):
        return cached[2]
    index: dict[str, list[int]] = {}
    for col in ("key", "key_en"):
        for pos, key in enumerate(gaz[col].tolist()):
            if key:
                index.setdefault(key, []).append(pos)
    for key, rows in index.items():
        if len(rows) > 1:  # in order and once each, whichever column matched
            index[key] = sorted(set(rows))
    key_id = id(gaz)
    try:
        ref = weakref.ref(gaz, lambda _: _NAME_INDEX.pop(key_id, None))
    except TypeError:  # not weak-referenceable: index without caching
        return index
    _NAME_INDEX[key_id] = (ref, len(gaz), index)
    return index


def candidates(name: str, *, country: str | None = None,
               gazetteer: pd.DataFrame | None = None) -> pd.DataFrame:
    """All gazetteer rows matching ``name``, best first.

    Ordering: requested country first, then place class, then population (descending).
    """
    gaz = load_gazetteer() if gazetteer is None else gazetteer
    rows = _name_index(gaz).get(normalize_name(name), [])
    hits = gaz.iloc[rows].copy()
    hits["other_country"] = 0 if country is None else (hits["country_iso3"] != country.upper())
    hits["neg_pop"] = -hits["population"].fillna(0)
    return hits.sort_values(["other_country", "rank", "neg_pop"], kind="stable")


def near_matches(name: str, *, n: int = 5, gazetteer: pd.DataFrame | None = None) -> list[str]:
    """Up to ``n`` gazetteer names that look like ``name`` (for error messages)."""
    gaz = load_gazetteer() if gazetteer is None else gazetteer
    big = gaz[gaz["rank"] <= PLACE_RANK["village"]]
    keys = pd.unique(big["key"])
    close = difflib.get_close_matches(normalize_name(name), list(keys), n=n, cutoff=0.75)
    out = []
    for k in close:
        row = big[big["key"] == k].sort_values("rank").iloc[0]
        out.append(f"{row['name']} ({row['country_iso3']}, {row['place']})")
    return out


def geocode(name: str, *, country: str | None = None,
            gazetteer: pd.DataFrame | None = None) -> Place:
    """Resolve a place name (or a ``"lat,lon"`` string) to a :class:`Place`.

    Parameters
    ----------
    name
        Place name, any accents or case, or ``"lat,lon"`` in decimal degrees.
    country
        ISO3 code of the preferred country (e.g. ``"MLI"``).
    gazetteer
        A frame from :func:`load_gazetteer`; default: the shared gazetteer.

    Raises
    ------
    GeocodeError
        When nothing matches (the message lists near matches), or when two distinct places
        are equally good candidates (the message lists them and suggests ``country``).
    """
    m = _COORD_RE.match(str(name))
    if m:
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise GeocodeError(f"'{name}': latitude must be in [-90, 90] and longitude in "
                               f"[-180, 180] (format 'lat,lon')")
        return Place(f"{lat:.5f},{lon:.5f}", lat, lon, "", "coordinates", None, None)
    gaz = load_gazetteer() if gazetteer is None else gazetteer
    hits = candidates(name, country=country, gazetteer=gaz)
    if hits.empty:
        near = near_matches(name, gazetteer=gaz)
        hint = f"; did you mean: {', '.join(near)}?" if near else ""
        raise GeocodeError(f"unknown place '{name}' (not in the OSM gazetteer){hint}")
    best = hits.iloc[0]
    tied = hits[(hits["other_country"] == best["other_country"]) & (hits["rank"] == best["rank"])]
    if len(tied) > 1 and not (best["population"] > 0 and
                              (tied["population"].fillna(0) < best["population"]).sum()
                              == len(tied) - 1):
        dist = great_circle_km(best["lat"], best["lon"], tied["lat"].to_numpy(),
                               tied["lon"].to_numpy())
        far = tied[dist > SAME_PLACE_KM]
        if len(far):
            listed = "; ".join(
                f"{r['name']} ({r['country_iso3']}, {r['place']}, {r['lat']:.4f},{r['lon']:.4f})"
                for _, r in tied.head(6).iterrows())
            raise GeocodeError(f"ambiguous place '{name}': {len(tied)} equally good matches: "
                               f"{listed}; give a country or 'lat,lon'")
    if country is not None and best["other_country"]:
        logger.warning("'%s' is not in the gazetteer for %s; using %s (%s)", name,
                       country.upper(), best["name"], best["country_iso3"])
    return Place(str(best["name"] if best["key"] == normalize_name(name) or
                     not isinstance(best["name_en"], str) else best["name_en"]),
                 float(best["lat"]), float(best["lon"]), str(best["country_iso3"]),
                 str(best["place"]),
                 None if pd.isna(best["population"]) else float(best["population"]),
                 int(best["osm_node_id"]))

