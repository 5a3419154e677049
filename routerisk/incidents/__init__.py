"""Incidents: the schema, one reader per source (ACLED, UCDP, routerisk CSV/GeoJSON),
deduplication and combination. Imports only :mod:`routerisk.geo`."""

#: The incident file formats every reader entry point accepts.
FORMATS: tuple[str, ...] = ("routerisk", "acled", "ucdp")
