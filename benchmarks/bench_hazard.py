"""Benchmark: score 1,000,000 road segments against 100,000 incidents, against geopandas.

Synthetic and seeded, over a Mali-sized extent (lon -12.2..4.2, lat 10.2..24.9, about
1.24 million km2):

- segments: 20,000 random-walk roads of 50 pieces each, every piece a 3-vertex polyline
  0.5-3 km long (1,000,000 pieces, ~1.75 million km of road);
- incidents: 100,000 over ten years, located the way ACLED locates them (its shares of
  geo_precision 1/2/3 are 67/30/3 %, at 1,087/720/34 distinct places for 5,885 events):
  67 % at one of 20,000 towns (2 km precision), 28 % at one of 3,000 "near X / part of a
  region" places (25 km), 3 % at one of 150 admin centroids (75 km), 2 % at unique
  jittered points (2 km); places cluster around 300 hot spots.

Both sides run in full, each in its own subprocess (so its peak memory is its own), and
compute the same thing:

- ``ours``: routerisk's kernel engine (``routerisk.model.kernels.kernel_sum``, the grid index
  behind the hazard model's kernel-mass features) at bandwidth 5 km and half-life 730 days:
  incidents merged into places (``routerisk.model.features.IncidentHistory``), then the
  kernel mass per km of every segment (exact point-to-polyline kernel sums, grid index);
- ``baseline``: the same preparation (timed again in its process), then
  plain geopandas on its result: incidents grouped by place exactly as routerisk groups
  them (projected position rounded to 1e-6 km and precision; decayed severity weights
  summed), ``sjoin(predicate="dwithin")`` of the places with the segments at each place's
  kernel reach, exact ``distance`` per pair, kernel, ``groupby`` sum, rate.

The two rate vectors are compared: equal within rtol 1e-5 (routerisk's kernel blocks run in
float32 relative to each block, sums within 1e-6), or, for a segment where a place lies
within 1e-5 (relative) of the kernel's truncation distance, between the baseline's rates
with such pairs left out and put in. The script prints how many segments needed the
bracket and exits non-zero when any rate is outside both.

Usage: ``python benchmarks/bench_hazard.py [--segments N] [--incidents N]``.
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


class _Kernel:
    """The fixed kernel benchmarked (one of the model's mass features, per km)."""

    bandwidth_km_ = 5.0
    half_life_days_ = 730.0
    kernel = "gaussian"
    scale_ = 1.0
    baseline_rate_per_km_yr_ = 0.0


def _fit(incidents):
    from routerisk.model.features import IncidentHistory
    from routerisk.model.kernels import DEFAULT_SEVERITY, validate_incidents

    t0 = time.perf_counter()
    hist = IncidentHistory.from_frame(validate_incidents(incidents), DEFAULT_SEVERITY)
    model = _Kernel()
    model.history = hist
    return model, time.perf_counter() - t0


AS_OF = "2025-01-01"

#: Relative margin around the kernel's truncation distance used by the equality check.
EDGE = 1e-5


def part_ours(n_segments: int, n_incidents: int, out: str) -> dict:
    import pandas as pd

    from routerisk.geo.grid import Polylines
    from routerisk.geo.projection import lonlat_to_km
    from routerisk.model.kernels import kernel_sum, spread_km

    lon, lat, index, n = make_segments(n_segments)
    incidents = make_incidents(n_incidents)
    model, fit_s = _fit(incidents)
    t0 = time.perf_counter()
    x, y = lonlat_to_km(lon, lat)
    lines = Polylines.from_arrays(x, y, index, n)
    length_km = lines.lengths_km()
    hist = model.history
    age = (pd.Timestamp(AS_OF).value / 86_400e9) - hist.incident_day
    w = np.bincount(hist.incident_source, weights=hist.incident_weight * (age > 0)
                    * np.exp(-np.log(2.0) * np.maximum(age, 0) / model.half_life_days_),
                    minlength=len(hist.source_x))
    h = spread_km(hist.source_precision_km, model.bandwidth_km_, True)
    mass = kernel_sum(lines, hist.source_x, hist.source_y, w, h, model.bandwidth_km_)
    rate = mass / length_km
    score_s = time.perf_counter() - t0
    np.save(out, rate)
    return {"fit_s": fit_s, "score_s": score_s, "wall_s": fit_s + score_s, "segments": n,
            "incidents": n_incidents, "sources": int(len(model.history.source_x)),
            "bandwidth_km": model.bandwidth_km_, "half_life_days": model.half_life_days_,
            "nonzero_segments": int((mass > 0).sum()),
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def part_baseline(n_segments: int, n_incidents: int, out: str) -> dict:
    import geopandas as gpd
    import pandas as pd
    import shapely

    from routerisk.geo.projection import lonlat_to_km, projection_crs
    from routerisk.model.kernels import DEFAULT_SEVERITY, KERNELS, kernel_values

    lon, lat, index, n = make_segments(n_segments)
    incidents = make_incidents(n_incidents)
    model, fit_s = _fit(incidents)
    bw, half_life = model.bandwidth_km_, model.half_life_days_
    crs = projection_crs()
    t0 = time.perf_counter()
    x, y = lonlat_to_km(lon, lat)
    segs = gpd.GeoDataFrame(geometry=shapely.linestrings(np.column_stack([x, y]),
                                                         indices=index), crs=crs)
    inc = incidents[incidents["date"] < pd.Timestamp(AS_OF)]
    ix, iy = lonlat_to_km(inc["longitude"].to_numpy(), inc["latitude"].to_numpy())
    age = (pd.Timestamp(AS_OF) - inc["date"]).dt.total_seconds().to_numpy() / 86_400
    w = DEFAULT_SEVERITY.weights(inc) * np.exp(-np.log(2.0) * np.maximum(age, 0) / half_life)
    places = (pd.DataFrame({"x": np.round(ix, 6), "y": np.round(iy, 6),
                            "p": inc["location_precision_km"].to_numpy(float), "w": w})
              .groupby(["x", "y", "p"], sort=False, as_index=False)["w"].sum())
    h = np.sqrt(bw ** 2 + places["p"].to_numpy() ** 2)
    pts = gpd.GeoDataFrame({"w": places["w"].to_numpy(), "h": h},
                           geometry=gpd.points_from_xy(places["x"], places["y"]), crs=crs)
    support = KERNELS[model.kernel][1]
    joined = gpd.sjoin(pts, segs, predicate="dwithin", distance=support * h * (1 + EDGE),
                       how="inner")
    seg = joined["index_right"].to_numpy()
    d = np.asarray(shapely.distance(segs.geometry.values[seg],
                                    pts.geometry.values[joined.index]))
    hp, wp = joined["h"].to_numpy(), joined["w"].to_numpy()
    inside = d / hp < support
    k = wp * kernel_values(d, hp, bw, model.kernel) * inside
    mass = np.bincount(seg, weights=k, minlength=n)
    length_km = shapely.length(segs.geometry.values)
    score_s = time.perf_counter() - t0

    def rate_of(m):
        return (model.scale_ * m + model.baseline_rate_per_km_yr_ * length_km) / length_km

    # bracket for the check: pairs within EDGE (relative) of the kernel's truncation distance
    # may fall either side of it in routerisk's float32 blocks
    profile = KERNELS[model.kernel][0]
    k_all = wp * (bw / hp) * profile(d / hp)
    lo = np.bincount(seg, weights=k_all * (d / hp < support * (1 - EDGE)), minlength=n)
    hi = np.bincount(seg, weights=k_all * (d / hp < support * (1 + EDGE)), minlength=n)
    np.save(out, np.stack([rate_of(mass), rate_of(lo), rate_of(hi)]))
    return {"fit_s": fit_s, "score_s": score_s, "wall_s": fit_s + score_s,
            "places": int(len(places)), "pairs": int(len(joined)),
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _run_part(args: argparse.Namespace, part: str, out: str) -> dict:
    cmd = [sys.executable, __file__, "--part", part, "--segments", str(args.segments),
           "--incidents", str(args.incidents), "--out", out]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"part {part} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    import tempfile
    from pathlib import Path

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--segments", type=int, default=1_000_000)
    p.add_argument("--incidents", type=int, default=100_000)
    p.add_argument("--part", choices=["ours", "baseline"], default=None)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.part == "ours":
        print(json.dumps(part_ours(args.segments, args.incidents, args.out)))
        return
    if args.part == "baseline":
        print(json.dumps(part_baseline(args.segments, args.incidents, args.out)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-hazard-") as tmp:
        ours = _run_part(args, "ours", str(Path(tmp) / "ours.npy"))
        base = _run_part(args, "baseline", str(Path(tmp) / "base.npy"))
        a = np.load(Path(tmp) / "ours.npy")
        b, b_lo, b_hi = np.load(Path(tmp) / "base.npy")
    tol = 1e-5
    same = np.isclose(a, b, rtol=tol, atol=0.0)
    bracketed = (a >= b_lo * (1 - tol)) & (a <= b_hi * (1 + tol))
    equal = bool(np.all(same | bracketed))
    # relative difference; 0 where both are 0, infinite where only the baseline is 0
    rel = np.divide(np.abs(a - b), np.abs(b), out=np.where(a == b, 0.0, np.inf),
                    where=b != 0)
    worst = float(rel.max())
    print(f"segments {ours['segments']:,}  incidents {ours['incidents']:,} at "
          f"{ours['sources']:,} distinct places; bandwidth {ours['bandwidth_km']:g} km, "
          f"half-life {ours['half_life_days']:g} days (Gaussian kernel to 3 widths)")
    print()
    print(f"routerisk kernel_sum   wall {ours['wall_s']:7.2f} s = preparation "
          f"{ours['fit_s']:.2f} s + scoring {ours['score_s']:.2f} s; peak RSS "
          f"{ours['maxrss_mb'] / 1024:.2f} GB; {ours['nonzero_segments']:,} segments in reach")
    print(f"geopandas baseline     wall {base['wall_s']:7.2f} s = preparation "
          f"{base['fit_s']:.2f} s + sjoin(dwithin) scoring {base['score_s']:.2f} s; peak RSS "
          f"{base['maxrss_mb'] / 1024:.2f} GB; {base['places']:,} places, "
          f"{base['pairs']:,} place-segment pairs (full run)")
    print()
    print(f"outputs equal: {'yes' if equal else 'NO'} - {int(same.sum()):,} of {len(a):,} "
          f"rates within rtol {tol:g}; the other {int((~same).sum()):,} differ only by "
          f"place-segment pairs within {EDGE:g} (relative) of the kernel's truncation "
          f"distance (3 widths), which float32 blocks may put either side: "
          f"{int((~same & bracketed).sum()):,} of them inside that bracket; largest relative "
          f"difference {worst:.1e}")
    print(f"speed-up with the preparation in both: {base['wall_s'] / ours['wall_s']:.1f}x; "
          f"scoring alone: {base['score_s'] / ours['score_s']:.1f}x")
    if not equal:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
