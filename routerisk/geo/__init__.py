"""Geometry on the sphere and the plane: great circles, the projection, the grid index,
and the gazetteer of place names. Imports no other stage."""
