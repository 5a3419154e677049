"""The analyst report: one self-contained HTML page with maps, charts and tables."""
