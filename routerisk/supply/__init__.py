"""Fuel supply on the road network: paths and weights, routing, import routes and their
exposure, scenarios, criticality. Imports every stage before it."""
