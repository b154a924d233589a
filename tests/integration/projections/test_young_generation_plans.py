"""A young generation's batches plan each statement for the tables as they are (consumers.enter), a grown one not."""

import asyncpg
import pytest

from services.projections import consumers
from services.projections.settings import ProjectionsSettings
from shared.consumer import Begin
from tests.integration.projections.conftest import new_generation


async def _plan_mode_of_a_batch(pool: asyncpg.Pool, enter: Begin) -> str:
    async with pool.acquire() as conn, conn.transaction():
        assert await enter(conn)
        mode: str = await conn.fetchval("select current_setting('plan_cache_mode')")
        return mode


async def test_batches_are_planned_anew_until_the_problems_were_analysed_at_the_threshold(
    pool: asyncpg.Pool, settings: ProjectionsSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers, "PLANNED_EACH_BATCH_BELOW", 20)
    generation = await new_generation(pool, settings)
    enter = consumers.enter(generation)
    assert await _plan_mode_of_a_batch(pool, enter) == "force_custom_plan"  # never analysed: reltuples -1

    async def problems_analysed(count: int) -> None:
        await pool.execute(
            f"""insert into "{generation.schema}".issues
                       (issue_id, origin, source, township, domain, title, reported_at)
                select 'i-' || n, 'intake', 'hotline_12369', '城关镇', 'quarrying_sand', '采砂', now()
                  from generate_series((select count(*) from "{generation.schema}".issues) + 1, $1) n""",
            count,
        )
        await pool.execute(f'analyze "{generation.schema}".issues')

    await problems_analysed(10)
    assert await _plan_mode_of_a_batch(pool, enter) == "force_custom_plan"
    await problems_analysed(30)
    assert await _plan_mode_of_a_batch(pool, enter) == "auto"
    async with pool.acquire() as conn:  # the setting was the batch's own
        assert await conn.fetchval("select current_setting('plan_cache_mode')") == "auto"


async def test_the_rebuilds_load_keeps_the_plans_as_postgresql_keeps_them(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    """The rebuild's consumers record facts only (derive_now=False): nothing to gain from planning each batch."""
    generation = await new_generation(pool, settings)
    assert await _plan_mode_of_a_batch(pool, consumers.enter(generation, plan_young=False)) == "auto"
