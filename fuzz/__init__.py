"""Schemathesis against the running stack, stateless and on real targets: `make fuzz` (python -m fuzz)."""
