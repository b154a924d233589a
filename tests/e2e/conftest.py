"""Fixtures of the browser tests."""

from collections.abc import Iterator

import pytest
from playwright.async_api import expect

from tests.support.workbench import TIMEOUT_MS


@pytest.fixture
def patient_assertions() -> Iterator[None]:
    """Assertions wait as long as the pages' actions (a sign-in and a round through Kafka take seconds on 2 cores);
    Playwright's default again afterwards. A workbench test module asks for it with `pytestmark`."""
    expect.set_options(timeout=TIMEOUT_MS)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default
