"""The study-area and violence filters every incident source goes through: what is dropped
is counted in ``attrs["filtered"]``, never silently."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np

from routerisk.config import STUDY_BBOX, STUDY_REGION_MARGIN_DEG
from routerisk.errors import ValidationError
from routerisk.incidents.schema import VIOLENT_TYPES

logger = logging.getLogger(__name__)

#: Reason counted in ``attrs["filtered"]`` for incidents far outside the study area.
OUTSIDE_REGION = "far outside the study area"


#: A bounding box (lon_min, lat_min, lon_max, lat_max) in WGS84 degrees.
BBox = tuple[float, float, float, float]


def filter_incidents(frame: gpd.GeoDataFrame, *, violent_only: bool = False,
                     bbox: BBox | None = None, filtered: dict[str, int] | None = None,
                     study_region: bool = True,
                     ) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Drop non-violent types and rows outside ``bbox``; count what is dropped, by reason.

    Parameters
    ----------
    frame
        An incident frame.
    violent_only
        Keep only :data:`routerisk.incidents.schema.VIOLENT_TYPES`; each dropped type is counted as
        ``"non-violent type: <type>"``.
    bbox
        ``(lon_min, lat_min, lon_max, lat_max)`` in degrees; rows outside count as
        ``"outside bbox"``.
    filtered
        Counts so far, added to (not modified).
    study_region
        Without ``bbox``, drop rows more than :data:`routerisk.config.STUDY_REGION_MARGIN_DEG`
        degrees outside :data:`routerisk.config.STUDY_BBOX` (counted as
        :data:`OUTSIDE_REGION`, and warned about); ``False`` for data from elsewhere.

    Returns
    -------
    (frame, filtered)
        The kept rows (index reset) and the counts, reason → number of rows.
    """
    counts = dict(filtered or {})
    keep = np.ones(len(frame), dtype=bool)
    if study_region and bbox is None and len(frame):
        m = STUDY_REGION_MARGIN_DEG
        x0, y0, x1, y1 = STUDY_BBOX
        far = ~(frame["longitude"].between(x0 - m, x1 + m)
                & frame["latitude"].between(y0 - m, y1 + m)).to_numpy()
        n_far = int(far.sum())
        if n_far:
            key = OUTSIDE_REGION
            counts[key] = counts.get(key, 0) + n_far
            first = frame.loc[far].iloc[0]
            logger.warning("%s: %d incident(s) more than %g degrees outside the study area "
                           "left out (first: %s at %.4f, %.4f)",
                           frame.attrs.get("source_file", "incidents"), n_far, m,
                           first["incident_id"], first["latitude"], first["longitude"])
        keep &= ~far
    if bbox is not None:
        x0, y0, x1, y1 = (float(v) for v in bbox)
        if not (x0 <= x1 and y0 <= y1):
            raise ValidationError("bbox", [f"bbox must be (lon_min, lat_min, lon_max, lat_max) "
                                           f"with min <= max; got {tuple(bbox)}"])
        inside = (frame["longitude"].between(x0, x1) & frame["latitude"].between(y0, y1))
        out = int((~inside).sum())
        if out:
            counts["outside bbox"] = counts.get("outside bbox", 0) + out
        keep &= inside.to_numpy()
    if violent_only:
        violent = frame["event_type"].isin(VIOLENT_TYPES).to_numpy()
        dropped = frame.loc[keep & ~violent, "event_type"].value_counts()
        for kind, n in sorted(dropped.items()):
            key = f"non-violent type: {kind}"
            counts[key] = counts.get(key, 0) + int(n)
        keep &= violent
    out_frame = frame.loc[keep].reset_index(drop=True)
    out_frame.attrs = dict(frame.attrs)
    return out_frame, counts
