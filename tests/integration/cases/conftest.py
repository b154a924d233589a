"""Fixtures of the cases tests: settings with a fast deadline poller on this test's topics and database."""

import pytest

from services.cases.settings import CasesSettings
from tests.conftest import SettingsFactory


@pytest.fixture
def settings(make_settings: SettingsFactory, topics: list[str]) -> CasesSettings:
    settings: CasesSettings = make_settings(CasesSettings, deadline_poll_seconds=0.2)
    return settings
