"""A service's young tables analysed as they grow (shared/young_tables.py), on the real PostgreSQL: which tables are
analysed and when, and that a plan made on the empty table is made again afterwards."""

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.db import PLANNED_EACH_BATCH_BELOW, create_pool
from shared.young_tables import FIRST_ANALYSIS_AFTER, analyse_grown, grown
from tests.conftest import SettingsFactory


@pytest.fixture
async def pool(make_settings: SettingsFactory) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(make_settings(service_name="young"))
    # Autovacuum off for the test's tables: only the service's job analyses them.
    await pool.execute(
        """create table growing (id int primary key, k text not null) with (autovacuum_enabled = false);
           create index on growing (k);
           create table churning (id int primary key) with (autovacuum_enabled = false);
           create table grown_up (id int primary key) with (autovacuum_enabled = false);"""
    )
    yield pool
    await pool.close()


async def add(pool: asyncpg.Pool, table: str, first: int, last: int) -> None:
    await pool.execute(
        f"insert into {table} select n{', n::text' if table == 'growing' else ''} from generate_series($1::int, $2) n",
        first,
        last,
    )


async def grown_once_counted(pool: asyncpg.Pool, table: str, live: int) -> list[str]:
    """`grown` once the statistics count `live` rows in `table` (a session sends its counts at a transaction's end,
    within a second)."""
    for _ in range(100):
        await pool.execute("select pg_stat_force_next_flush()")
        if await pool.fetchval("select n_live_tup from pg_stat_user_tables where relname = $1", table) == live:
            async with pool.acquire() as conn:
                return await grown(conn)
        await asyncio.sleep(0.05)
    counted = await pool.fetchval("select n_live_tup from pg_stat_user_tables where relname = $1", table)
    raise AssertionError(f"the statistics never counted {live} rows in {table}: {counted}")


async def test_a_table_is_analysed_at_its_first_rows_and_again_each_time_it_doubles_until_it_is_grown(
    pool: asyncpg.Pool,
) -> None:
    await add(pool, "growing", 1, FIRST_ANALYSIS_AFTER - 1)
    assert await grown_once_counted(pool, "growing", FIRST_ANALYSIS_AFTER - 1) == []  # one row short

    await add(pool, "growing", FIRST_ANALYSIS_AFTER, FIRST_ANALYSIS_AFTER)
    assert await grown_once_counted(pool, "growing", FIRST_ANALYSIS_AFTER) == ["public.growing"]
    async with pool.acquire() as conn:
        assert await analyse_grown(conn) == ["public.growing"]
    assert await pool.fetchval("select reltuples from pg_class where relname = 'growing'") == FIRST_ANALYSIS_AFTER
    assert await grown_once_counted(pool, "growing", FIRST_ANALYSIS_AFTER) == []

    await add(pool, "growing", FIRST_ANALYSIS_AFTER + 1, 2 * FIRST_ANALYSIS_AFTER - 1)
    assert await grown_once_counted(pool, "growing", 2 * FIRST_ANALYSIS_AFTER - 1) == []  # not yet doubled
    await add(pool, "growing", 2 * FIRST_ANALYSIS_AFTER, 2 * FIRST_ANALYSIS_AFTER)
    assert await grown_once_counted(pool, "growing", 2 * FIRST_ANALYSIS_AFTER) == ["public.growing"]

    # Analysed at PLANNED_EACH_BATCH_BELOW rows or more, a table is autovacuum's again, however it grows.
    await add(pool, "grown_up", 1, PLANNED_EACH_BATCH_BELOW)
    await grown_once_counted(pool, "grown_up", PLANNED_EACH_BATCH_BELOW)  # counted before the analysis resets the count
    await pool.execute("analyze grown_up")
    await add(pool, "grown_up", PLANNED_EACH_BATCH_BELOW + 1, 3 * PLANNED_EACH_BATCH_BELOW)
    assert await grown_once_counted(pool, "grown_up", 3 * PLANNED_EACH_BATCH_BELOW) == ["public.growing"]


async def test_a_small_table_that_churns_is_not_analysed(pool: asyncpg.Pool) -> None:
    """The outbox and the consumers' positions: rows come and go, the table does not grow, no plan goes stale."""
    for round_ in range(5):
        await add(pool, "churning", 1, FIRST_ANALYSIS_AFTER // 2)
        assert await grown_once_counted(pool, "churning", FIRST_ANALYSIS_AFTER // 2) == [], round_
        await pool.execute("delete from churning")
        assert await grown_once_counted(pool, "churning", 0) == [], round_
    assert await pool.fetchval("select reltuples from pg_class where relname = 'churning'") == -1  # never analysed


async def test_a_generic_plan_made_on_the_empty_table_is_made_again_after_the_analysis(pool: asyncpg.Pool) -> None:
    """What the job is for: PostgreSQL keeps the plan it made on the empty table (a prepared statement run more than
    five times) until the table's statistics change; the analysis changes them."""
    async with pool.acquire() as conn:
        lookup = await conn.prepare("select id from growing where k = any($1::text[])")

        async def plan() -> str:
            rows = await conn.fetch(f"explain execute {lookup.get_name()}('{{1,2}}')")
            return "\n".join(row[0] for row in rows)

        for _ in range(6):
            await lookup.fetch(["1", "2"])
        made_on_empty = await plan()
        await add(pool, "growing", 1, 5_000)
        assert await plan() == made_on_empty  # the table grew, the plan did not change

        assert await grown_once_counted(pool, "growing", 5_000) == ["public.growing"]
        assert await analyse_grown(conn) == ["public.growing"]
        replanned = await plan()
    assert replanned != made_on_empty, made_on_empty
    assert "Index" in replanned and "Seq Scan" not in replanned, replanned
