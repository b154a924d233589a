"""The keys the tests' services run with: random, made once per test session, never the repository's
development keys (tokens are signed by the tests' issuer, tests/support/issuer.py). tests/conftest.py passes them
to every settings it builds (make_settings) and puts them in the environment, so a process a test starts, or code
that reads the environment as a service does, finds the same ones."""

import secrets
from functools import cache

from shared.stack_keys import GENERATORS, REQUIRED_KEYS


@cache
def session_keys() -> dict[str, str]:
    """CONTACT_KEYS for this test session (a METRICS_TOKEN only where a test sets one), and a
    KAFKA_PASSWORD for settings built without a broker (the `infrastructure` fixture puts the broker's admin's)."""
    return {name: GENERATORS[name]() for name in REQUIRED_KEYS} | {"KAFKA_PASSWORD": secrets.token_urlsafe(24)}
