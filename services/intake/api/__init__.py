"""Intake's routes, one module per resource, each exporting `router`."""
