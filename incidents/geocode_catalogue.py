"""Recompute the coordinates of the curated catalogue from the OSM gazetteer.

Every row of ``incidents/catalogue.csv`` has a *recipe* here that says how its point was
placed from gazetteer names (see ``incidents/README.md``, "How each row was geocoded"):

- :class:`Town`: the gazetteer point of a named town;
- :class:`Midpoint`: the great-circle midpoint of two gazetteer towns (a road stretch
  "from Zégoua to Sikasso", or an area "outside of Kayes and Nioro du Sahel");
- :class:`Offset`: a point at a stated distance and bearing from a gazetteer town, for a
  place missing from the gazetteer;
- :class:`Across`: a point across a border from a gazetteer town, for an unnamed site the
  article puts in the neighbouring country ("less than 50 kilometers" from Akabar, "in
  Niger").

Usage::

    python incidents/geocode_catalogue.py            # report rows whose coordinates differ
    python incidents/geocode_catalogue.py --write    # rewrite latitude/longitude in place

Exit code 0 when every row matches its recipe (or after ``--write``), 1 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from routerisk.geo.gazetteer import candidates, geocode, load_gazetteer
from routerisk.geo.sphere import great_circle_km

#: The catalogue beside this script.
CATALOGUE = Path(__file__).resolve().with_name("catalogue.csv")
#: Mean Earth radius (km), the one the gazetteer's haversine uses.
EARTH_RADIUS_KM = 6371.0088
#: Decimal places written for latitude/longitude (1e-5 degree is about 1 m).
DECIMALS = 5


@dataclass(frozen=True)
class Town:
    """The gazetteer point of one named place."""

    name: str
    country: str = "MLI"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name,)


@dataclass(frozen=True)
class Midpoint:
    """The great-circle midpoint of two gazetteer places."""

    a: str
    b: str
    country: str = "MLI"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.a, self.b)


@dataclass(frozen=True)
class Offset:
    """A point ``distance_km`` from a gazetteer place along ``bearing_deg`` (0 = north).

    ``missing`` names the place the row is about, which the gazetteer lacks in ``country``.
    """

    anchor: str
    bearing_deg: float
    distance_km: float
    missing: str
    country: str = "MLI"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.anchor,)


@dataclass(frozen=True)
class Across:
    """A point ``distance_km`` from a gazetteer place along ``bearing_deg``, inside the
    neighbouring country ``into`` (ISO3), for a site the article does not name."""

    anchor: str
    bearing_deg: float
    distance_km: float
    into: str
    country: str = "MLI"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.anchor,)


Recipe = Town | Midpoint | Offset | Across

#: How each catalogue row is located, by incident_id.
RECIPES: dict[str, Recipe] = {
    # 2025, western Mali (seeds/000, seeds/003)
    "RR-2025-07-01-KAYES": Town("Kayes"),
    "RR-2025-07-01-NIORO-DU-SAHEL": Town("Nioro du Sahel"),
    "RR-2025-07-01-DIBOLI": Town("Diboli"),
    "RR-2025-08-KAYES-BLOCKADE": Town("Kayes"),
    "RR-2025-08-NIORO-DU-SAHEL-BLOCKADE": Town("Nioro du Sahel"),
    "RR-2025-08-FARABOUGOU": Town("Sokolo"),
    "RR-2025-09-14-CONVOY-KAYES-NIORO": Midpoint("Kayes", "Nioro du Sahel"),
    "RR-2025-09-01-ZEGOUA-SIKASSO-TANKERS": Midpoint("Zégoua", "Sikasso"),
    "RR-2025-09-01-SYNACOR-STOPPAGE": Town("Zégoua"),
    "RR-2025-DIAFARABE-BLOCKADE": Town("Diafarabé"),
    "RR-2025-LERE-BLOCKADE": Town("Léré"),
    "RR-2025-KAYES-PASSENGER-ABDUCTIONS": Town("Kayes"),
    "RR-2025-NIORO-DU-SAHEL-PASSENGER-ABDUCTIONS": Town("Nioro du Sahel"),
    "RR-2020-FARABOUGOU-LIBERATION": Town("Sokolo"),
    # 2012-2013, central Mali (seeds/002)
    "RR-2013-01-10-KONNA": Town("Konna"),
    "RR-2013-01-SEVARE-AIRPORT": Town("Sévaré"),
    # 2017-2018, north, north-east and centre (seeds/001)
    "RR-2017-10-NIGER-NEAR-AKABAR": Across("Akabar", 160.0, 25.0, into="NER"),
    "RR-2018-03-28-BANDIAGARA": Town("Bandiagara"),
    "RR-2018-04-01-AKABAR": Town("Akabar"),
    "RR-2018-04-02-AKABAR": Town("Akabar"),
    "RR-2018-04-05-KIDAL": Town("Kidal"),
    "RR-2018-04-05-DIOURA": Town("Dioura"),
    "RR-2018-04-06-GAO": Town("Gao"),
    # 2022, north-east (seeds/004)
    "RR-2022-03-MENAKA-NMLA": Town("Ménaka"),
    "RR-2022-03-MENAKA-MASSACRE": Town("Ménaka"),
    "RR-2022-03-21-GAO-REGION": Town("Gao"),
}


def destination(lat: float, lon: float, bearing_deg: float,
                distance_km: float) -> tuple[float, float]:
    """Point ``distance_km`` from (lat, lon) along the initial bearing (sphere), in degrees."""
    phi1, lam1, theta = map(math.radians, (lat, lon, bearing_deg))
    delta = distance_km / EARTH_RADIUS_KM
    phi2 = math.asin(math.sin(phi1) * math.cos(delta)
                     + math.cos(phi1) * math.sin(delta) * math.cos(theta))
    lam2 = lam1 + math.atan2(math.sin(theta) * math.sin(delta) * math.cos(phi1),
                             math.cos(delta) - math.sin(phi1) * math.sin(phi2))
    return math.degrees(phi2), (math.degrees(lam2) + 540.0) % 360.0 - 180.0


def midpoint(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float]:
    """Great-circle midpoint of two points, in degrees."""
    phi1, lam1, phi2, lam2 = map(math.radians, (lat1, lon1, lat2, lon2))
    bx = math.cos(phi2) * math.cos(lam2 - lam1)
    by = math.cos(phi2) * math.sin(lam2 - lam1)
    phi = math.atan2(math.sin(phi1) + math.sin(phi2),
                     math.hypot(math.cos(phi1) + bx, by))
    lam = lam1 + math.atan2(by, math.cos(phi1) + bx)
    return math.degrees(phi), (math.degrees(lam) + 540.0) % 360.0 - 180.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (the gazetteer's haversine)."""
    return float(great_circle_km(lat1, lon1, lat2, lon2))


def in_gazetteer(name: str, country: str, gazetteer: pd.DataFrame) -> bool:
    """True when ``name`` has a gazetteer entry in ``country`` (ISO3)."""
    hits = candidates(name, country=country, gazetteer=gazetteer)
    return bool((hits["country_iso3"] == country).any())


def locate(recipe: Recipe, gazetteer: pd.DataFrame) -> tuple[float, float]:
    """(latitude, longitude) of a recipe, rounded to :data:`DECIMALS`."""
    if isinstance(recipe, Town):
        p = geocode(recipe.name, country=recipe.country, gazetteer=gazetteer)
        lat, lon = p.lat, p.lon
    elif isinstance(recipe, Midpoint):
        a = geocode(recipe.a, country=recipe.country, gazetteer=gazetteer)
        b = geocode(recipe.b, country=recipe.country, gazetteer=gazetteer)
        lat, lon = midpoint(a.lat, a.lon, b.lat, b.lon)
    elif isinstance(recipe, Across):
        a = geocode(recipe.anchor, country=recipe.country, gazetteer=gazetteer)
        lat, lon = destination(a.lat, a.lon, recipe.bearing_deg, recipe.distance_km)
    else:
        if in_gazetteer(recipe.missing, recipe.country, gazetteer):
            raise ValueError(f"{recipe.missing} is in the gazetteer for {recipe.country}: "
                             "use Town instead of an offset")
        a = geocode(recipe.anchor, country=recipe.country, gazetteer=gazetteer)
        lat, lon = destination(a.lat, a.lon, recipe.bearing_deg, recipe.distance_km)
    return round(lat, DECIMALS), round(lon, DECIMALS)


def read_rows(path: Path = CATALOGUE) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of the catalogue, as text."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def differences(rows: list[dict[str, str]],
                gazetteer: pd.DataFrame) -> list[tuple[str, tuple[float, float] | None,
                                                         tuple[float, float] | None]]:
    """Rows whose coordinates do not match their recipe: (id, in file, recomputed)."""
    out = []
    seen = set()
    for row in rows:
        rid = row["incident_id"]
        seen.add(rid)
        recipe = RECIPES.get(rid)
        given = (float(row["latitude"]), float(row["longitude"]))
        if recipe is None:
            out.append((rid, given, None))
            continue
        want = locate(recipe, gazetteer)
        if abs(given[0] - want[0]) > 1e-5 or abs(given[1] - want[1]) > 1e-5:
            out.append((rid, given, want))
    out.extend((rid, None, locate(RECIPES[rid], gazetteer)) for rid in RECIPES if rid not in seen)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE)
    parser.add_argument("--gazetteer", default=None, help="gazetteer CSV (default: shared)")
    parser.add_argument("--write", action="store_true",
                        help="rewrite latitude/longitude of the catalogue in place")
    args = parser.parse_args(argv)
    gaz = load_gazetteer(args.gazetteer)
    header, rows = read_rows(args.catalogue)
    diffs = differences(rows, gaz)
    if args.write:
        missing = [rid for rid, given, _ in diffs if given is None]
        unknown = [rid for rid, _, want in diffs if want is None]
        if missing or unknown:
            print(f"cannot write: rows without a recipe: {unknown}; recipes without a row: "
                  f"{missing}", file=sys.stderr)
            return 1
        for row in rows:
            lat, lon = locate(RECIPES[row["incident_id"]], gaz)
            row["latitude"], row["longitude"] = f"{lat:.{DECIMALS}f}", f"{lon:.{DECIMALS}f}"
        with open(args.catalogue, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {len(rows)} rows ({len(diffs)} changed) to {args.catalogue}")
        return 0
    for rid, given, want in diffs:
        if want is None:
            print(f"{rid}: no recipe in geocode_catalogue.RECIPES")
        elif given is None:
            print(f"{rid}: recipe without a catalogue row")
        else:
            print(f"{rid}: file {given}, gazetteer {want}")
    print(f"{len(rows)} rows, {len(diffs)} differ from the gazetteer recipes")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
