"""Fixtures of the cases tests: settings with a fast deadline poller, and a way to report a problem on Kafka."""

from collections.abc import Awaitable, Callable

import pytest

from services.cases.settings import CasesSettings
from tests.integration.cases.support import report_issue

Report = Callable[..., Awaitable[str]]


@pytest.fixture
def settings(make_settings, topics) -> CasesSettings:  # type: ignore[no-untyped-def]
    return make_settings(CasesSettings, deadline_poll_seconds=0.2)


@pytest.fixture
def report(settings: CasesSettings) -> Report:
    """Produces an IssueReported on this test's intake topic, as intake would; returns the issue id."""

    async def produce(**fields: object) -> str:
        return await report_issue(settings, **fields)

    return produce
