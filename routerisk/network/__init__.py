"""Road graphs: graph I/O, OSM building, segmentation, corridors and place naming on a
graph. Imports only :mod:`routerisk.geo`."""
