"""Routes of accountability, one module per resource: `measures`, a unit's record (`units`) and the `policy`."""
