"""The audit log's integration tests: a database of the platform's own tables (events, chain heads, the tree)."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.db import create_pool, migrate
from shared.settings import ServiceSettings
from tests.conftest import SettingsFactory


@pytest.fixture
async def pool(make_settings: SettingsFactory) -> AsyncIterator[asyncpg.Pool]:
    settings: ServiceSettings = make_settings(service_name="audit")
    pool = await create_pool(settings)
    await migrate(pool)
    yield pool
    await pool.close()
