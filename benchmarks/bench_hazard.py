"""Benchmark: score 1,000,000 road segments against 100,000 incidents.

Synthetic and seeded, over a Mali-sized extent (lon -12.2..4.2, lat 10.2..24.9, about
1.24 million km2):

- segments: 20,000 random-walk roads of 50 pieces each, every piece a 3-vertex polyline
  0.5-3 km long (1,000,000 pieces, ~1.75 million km of road);
- incidents: 100,000 over ten years, located the way ACLED locates them (its shares of
  geo_precision 1/2/3 are 67/30/3 %, at 1,087/720/34 distinct places for 5,885 events):
  67 % at one of 20,000 towns (2 km precision), 28 % at one of 3,000 "near X / part of a
  region" places (25 km), 3 % at one of 150 admin centroids (75 km), 2 % at unique
  jittered points (2 km); places cluster around 300 hot spots.

Two parts, each run in its own subprocess so that its peak memory (``ru_maxrss``) is its
own:

- ``ours``: ``HazardModel`` (default bandwidth 5 km, half-life 730 days, no tuning):
  project, aggregate incidents by place, exact point-to-polyline kernel sums with the grid
  index, rate per km per year;
- ``baseline``: plain geopandas: buffer each incident by its kernel reach, ``sjoin`` with
  the segments, exact ``distance`` per pair, kernel, ``groupby`` sum. Run on a subsample of
  incidents and extrapolated linearly (the full run would need hundreds of millions of
  pairs in memory); the output says so.

Usage: ``python benchmarks/bench_hazard.py [--segments N] [--incidents N]
[--baseline-incidents N]``. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

LON0, LON1, LAT0, LAT1 = -12.2, 4.2, 10.2, 24.9
SEED = 20250915


def make_segments(n_segments: int, seed: int = SEED):
    """Vertex arrays (lon, lat) and polyline index of ``n_segments`` 3-vertex pieces."""
    rng = np.random.default_rng(seed)
    per_road = 50
    n_roads = max(1, n_segments // per_road)
    n = n_roads * per_road
    km_lat = 1 / 110.6
    start_lon = rng.uniform(LON0, LON1, n_roads)
    start_lat = rng.uniform(LAT0, LAT1, n_roads)
    heading = rng.uniform(0, 2 * np.pi, n_roads)
    turns = rng.normal(0, 0.25, (n_roads, per_road)).cumsum(axis=1) + heading[:, None]
    step_km = rng.uniform(0.5, 3.0, (n_roads, per_road))
    km_lon = km_lat / np.cos(np.radians(start_lat))[:, None]
    dlon = np.cos(turns) * step_km * km_lon
    dlat = np.sin(turns) * step_km * km_lat
    end_lon = start_lon[:, None] + dlon.cumsum(axis=1)
    end_lat = start_lat[:, None] + dlat.cumsum(axis=1)
    beg_lon = end_lon - dlon
    beg_lat = end_lat - dlat
    mid_lon = (beg_lon + end_lon) / 2 + rng.normal(0, 0.1, dlon.shape) * step_km * km_lon
    mid_lat = (beg_lat + end_lat) / 2 + rng.normal(0, 0.1, dlat.shape) * step_km * km_lat
    lon = np.stack([beg_lon.ravel(), mid_lon.ravel(), end_lon.ravel()], axis=1).ravel()
    lat = np.stack([beg_lat.ravel(), mid_lat.ravel(), end_lat.ravel()], axis=1).ravel()
    index = np.repeat(np.arange(n), 3)
    return lon, lat, index, n


def make_incidents(n_incidents: int, seed: int = SEED + 1):
    """An incident frame in the routerisk layout (the columns the model reads)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    hot_lon = rng.uniform(LON0, LON1, 300)
    hot_lat = rng.uniform(LAT0, LAT1, 300)

    def places(n):
        which = rng.integers(0, 300, n)
        return (hot_lon[which] + rng.normal(0, 0.4, n), hot_lat[which] + rng.normal(0, 0.4, n))

    town_lon, town_lat = places(20_000)         # precise: the town itself
    near_lon, near_lat = places(3_000)          # "near X" / part of a region
    admin_lon = rng.uniform(LON0, LON1, 150)    # admin centroids
    admin_lat = rng.uniform(LAT0, LAT1, 150)
    kind = rng.choice(4, n_incidents, p=[0.67, 0.28, 0.03, 0.02])
    town = rng.integers(0, 20_000, n_incidents)
    near = rng.integers(0, 3_000, n_incidents)
    admin = rng.integers(0, 150, n_incidents)
    lon = np.choose(kind, [town_lon[town], near_lon[near], admin_lon[admin], town_lon[town]])
    lat = np.choose(kind, [town_lat[town], near_lat[near], admin_lat[admin], town_lat[town]])
    jitter = kind == 3
    lon[jitter] += rng.normal(0, 0.2, jitter.sum())
    lat[jitter] += rng.normal(0, 0.2, jitter.sum())
    precision = np.choose(kind, [2.0, 25.0, 75.0, 2.0])
    days = rng.integers(0, 3650, n_incidents)
    types = np.array(["clash", "ied", "convoy_ambush", "violence_against_civilians",
                      "attack_on_town", "kidnapping", "protest"])
    return pd.DataFrame({
        "date": pd.Timestamp("2015-01-01") + pd.to_timedelta(days, unit="D"),
        "latitude": lat, "longitude": lon, "location_precision_km": precision,
        "event_type": types[rng.integers(0, len(types), n_incidents)],
        "target": "unknown", "fatalities": rng.poisson(1.0, n_incidents),
    })


def _tiny_graph():
    import networkx as nx
    import shapely

    G = nx.MultiDiGraph(crs="epsg:4326")
    G.add_node(0, x=-8.0, y=12.6)
    G.add_node(1, x=-7.9, y=12.6)
    G.add_edge(0, 1, 0, geometry=shapely.LineString([(-8.0, 12.6), (-7.9, 12.6)]),
               length=11_000.0)
    return G


def part_ours(n_segments: int, n_incidents: int) -> dict:
    from routerisk.geo.grid import Polylines
    from routerisk.geo.projection import lonlat_to_km
    from routerisk.model.hazard import HazardModel

    lon, lat, index, n = make_segments(n_segments)
    incidents = make_incidents(n_incidents)
    t0 = time.perf_counter()
    x, y = lonlat_to_km(lon, lat)
    lines = Polylines.from_arrays(x, y, index, n)
    length_km = lines.lengths_km()
    t1 = time.perf_counter()
    # hyper-parameters fixed (no tuning): the fit only prepares the incident sources
    model = HazardModel(tune=False).fit(incidents, as_of="2025-01-01", G=_tiny_graph())
    t2 = time.perf_counter()
    mass = model._mass(lines)
    rate = model.rate_from_mass(mass, length_km)
    t3 = time.perf_counter()
    return {"wall_s": t3 - t0, "project_s": t1 - t0, "prepare_s": t2 - t1,
            "score_s": t3 - t2, "segments": n, "incidents": n_incidents,
            "sources": int(len(model.source_x_)), "bandwidth_km": model.bandwidth_km_,
            "nonzero_segments": int((mass > 0).sum()), "rate_sum": float(rate.sum()),
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def part_baseline(n_segments: int, n_incidents: int, n_sample: int) -> dict:
    import geopandas as gpd
    import pandas as pd
    import shapely

    from routerisk.geo.projection import lonlat_to_km, projection_crs
    from routerisk.model.kernels import DEFAULT_SEVERITY, kernel_values

    lon, lat, index, n = make_segments(n_segments)
    incidents = make_incidents(n_incidents)
    rng = np.random.default_rng(7)
    sample = incidents.iloc[np.sort(rng.choice(len(incidents), n_sample, replace=False))]
    crs = projection_crs()
    bw, half_life = 5.0, 730.0
    t0 = time.perf_counter()
    x, y = lonlat_to_km(lon, lat)
    segs = gpd.GeoDataFrame({"seg": np.arange(n)},
                            geometry=shapely.linestrings(np.column_stack([x, y]),
                                                         indices=index), crs=crs)
    _ = segs.sindex
    t1 = time.perf_counter()
    ix, iy = lonlat_to_km(sample["longitude"].to_numpy(), sample["latitude"].to_numpy())
    h = np.sqrt(bw ** 2 + sample["location_precision_km"].to_numpy() ** 2)
    age = (pd.Timestamp("2025-01-01") - sample["date"]).dt.days.to_numpy()
    w = DEFAULT_SEVERITY.weights(sample) * np.exp(-np.log(2) * age / half_life)
    pts = gpd.GeoDataFrame({"w": w, "h": h}, geometry=gpd.points_from_xy(ix, iy), crs=crs)
    buf = pts.copy()
    buf["geometry"] = pts.buffer(3 * h)
    joined = gpd.sjoin(buf, segs, predicate="intersects", how="inner")
    d = segs.geometry.values[joined["seg"].to_numpy()].distance(
        pts.geometry.values[joined.index.to_numpy()])
    joined["k"] = joined["w"] * kernel_values(np.asarray(d), joined["h"].to_numpy(), bw)
    mass = joined.groupby("seg")["k"].sum()
    t2 = time.perf_counter()
    per_incident = (t2 - t1) / n_sample
    return {"setup_s": t1 - t0, "sample_s": t2 - t1, "sample_incidents": n_sample,
            "pairs_in_sample": int(len(joined)), "segments_hit": int(len(mass)),
            "extrapolated_wall_s": (t1 - t0) + per_incident * n_incidents,
            "extrapolated_pairs": int(len(joined) * n_incidents / n_sample),
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _run_part(args: argparse.Namespace, part: str) -> dict:
    cmd = [sys.executable, __file__, "--part", part, "--segments", str(args.segments),
           "--incidents", str(args.incidents), "--baseline-incidents",
           str(args.baseline_incidents)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--segments", type=int, default=1_000_000)
    p.add_argument("--incidents", type=int, default=100_000)
    p.add_argument("--baseline-incidents", type=int, default=1_000,
                   help="incidents the geopandas baseline really runs on (extrapolated)")
    p.add_argument("--part", choices=["ours", "baseline"], default=None)
    args = p.parse_args()
    if args.part == "ours":
        print(json.dumps(part_ours(args.segments, args.incidents)))
        return
    if args.part == "baseline":
        print(json.dumps(part_baseline(args.segments, args.incidents,
                                       args.baseline_incidents)))
        return
    ours = _run_part(args, "ours")
    base = _run_part(args, "baseline")
    speedup = base["extrapolated_wall_s"] / ours["wall_s"]
    print(f"segments {ours['segments']:,}  incidents {ours['incidents']:,}  "
          f"(bandwidth {ours['bandwidth_km']:g} km, Gaussian kernel to 3 widths)")
    print()
    print(f"routerisk HazardModel   wall {ours['wall_s']:6.2f} s   peak RSS "
          f"{ours['maxrss_mb'] / 1024:5.2f} GB")
    print(f"    project {ours['project_s']:.2f} s, prepare incidents {ours['prepare_s']:.2f} s "
          f"({ours['sources']:,} distinct places), kernel sums + rates "
          f"{ours['score_s']:.2f} s; {ours['nonzero_segments']:,} segments within reach")
    print(f"geopandas baseline      wall {base['extrapolated_wall_s']:6.1f} s   peak RSS "
          f"{base['maxrss_mb'] / 1024:5.2f} GB   (EXTRAPOLATED)")
    print(f"    ran buffer + sjoin + distance + groupby on {base['sample_incidents']:,} of "
          f"{ours['incidents']:,} incidents: {base['sample_s']:.2f} s, "
          f"{base['pairs_in_sample']:,} pairs; setup (segments, index) {base['setup_s']:.2f} "
          f"s; time extrapolated linearly in incidents (~{base['extrapolated_pairs']:,} "
          f"pairs in a full run); peak memory is the subsample run's, a full run needs "
          f"far more")
    print()
    print(f"speed-up {speedup:.1f}x  (targets: < 10 s, < 4 GB, >= 5x)")


if __name__ == "__main__":
    main()
