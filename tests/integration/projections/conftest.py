"""A projections database of the test's own, and feeding events to a generation's handlers directly."""

from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.projections import consumers, generations
from services.projections.generations import Generation
from services.projections.main import MIGRATIONS
from services.projections.settings import ProjectionsSettings
from shared.db import create_pool, migrate
from shared.envelope import Envelope
from tests.conftest import SettingsFactory


@pytest.fixture
def settings(make_settings: SettingsFactory) -> ProjectionsSettings:
    settings: ProjectionsSettings = make_settings(ProjectionsSettings)
    return settings


@pytest.fixture
async def pool(settings: ProjectionsSettings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings)
    await migrate(pool, MIGRATIONS)
    yield pool
    await pool.close()


async def new_generation(pool: asyncpg.Pool, settings: ProjectionsSettings) -> Generation:
    async with pool.acquire() as conn, conn.transaction():
        return await generations.create(conn, settings, status="building")


async def feed(pool: asyncpg.Pool, generation: Generation, envelopes: list[Envelope], batch: int = 50) -> None:
    """Applies the events in this order, a batch per transaction, as the consumer runner would (without its inbox)."""
    apply = consumers.project(generation)
    for start in range(0, len(envelopes), batch):
        async with pool.acquire() as conn, conn.transaction():
            await apply(conn, envelopes[start : start + batch])
