"""An enforcement service running in this process on the test's own topics and database."""

from collections.abc import AsyncIterator

import pytest

from services.enforcement.main import create_app
from services.enforcement.settings import EnforcementSettings
from tests.conftest import SettingsFactory
from tests.integration.enforcement.support import Enforcement
from tests.support.service import running


@pytest.fixture
async def enforcement(make_settings: SettingsFactory, topics: list[str]) -> AsyncIterator[Enforcement]:
    settings = make_settings(EnforcementSettings)
    async with running(create_app(settings)) as client:
        yield Enforcement(settings, client)


@pytest.fixture(scope="module")
async def shared_enforcement(module_settings: SettingsFactory) -> AsyncIterator[Enforcement]:
    """One enforcement service for a module's tests that each open cases of their own and read no topic."""
    settings = module_settings(EnforcementSettings)
    async with running(create_app(settings)) as client:
        yield Enforcement(settings, client)
