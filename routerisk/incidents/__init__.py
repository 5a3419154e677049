"""Incidents: the schema, one reader per source (ACLED, UCDP, routerisk CSV/GeoJSON),
deduplication and combination. Imports only :mod:`routerisk.geo`."""
