"""A service's young tables analysed as they grow (shared/young_tables.py), on the real PostgreSQL: which tables are
analysed and when, and that a plan made on the empty table is made again afterwards."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from shared.db import PLANNED_EACH_BATCH_BELOW, Connection, create_pool
from shared.young_tables import FIRST_ANALYSIS_AFTER, analyse_grown, grown
from tests.conftest import SettingsFactory


@pytest.fixture
async def conn(make_settings: SettingsFactory) -> AsyncIterator[Connection]:
    """One connection for the whole test: a session sends its statistics at a transaction's end, and another
    session's only when it has been idle a while."""
    pool = await create_pool(make_settings(service_name="young"))
    # Autovacuum off for the test's tables: only the service's job analyses them.
    await pool.execute(
        """create table growing (id int primary key, k text not null) with (autovacuum_enabled = false);
           create index on growing (k);
           create table churning (id int primary key) with (autovacuum_enabled = false);
           create table grown_up (id int primary key) with (autovacuum_enabled = false);"""
    )
    async with pool.acquire() as conn:
        yield conn
    await pool.close()


async def add(conn: Connection, table: str, first: int, last: int) -> None:
    await conn.execute(
        f"insert into {table} select n{', n::text' if table == 'growing' else ''} from generate_series($1::int, $2) n",
        first,
        last,
    )


async def grown_once_counted(conn: Connection, table: str, live: int) -> list[str]:
    """`grown` once the statistics count `live` rows in `table` (a session sends its counts at a transaction's end,
    within a second)."""
    for _ in range(100):
        await conn.execute("select pg_stat_force_next_flush()")
        if await conn.fetchval("select n_live_tup from pg_stat_user_tables where relname = $1", table) == live:
            return await grown(conn)
        await asyncio.sleep(0.05)
    counted = await conn.fetchval("select n_live_tup from pg_stat_user_tables where relname = $1", table)
    raise AssertionError(f"the statistics never counted {live} rows in {table}: {counted}")


async def test_a_table_is_analysed_at_its_first_rows_and_again_each_time_it_doubles_until_it_is_grown(
    conn: Connection,
) -> None:
    await add(conn, "growing", 1, FIRST_ANALYSIS_AFTER - 1)
    assert await grown_once_counted(conn, "growing", FIRST_ANALYSIS_AFTER - 1) == []  # one row short

    await add(conn, "growing", FIRST_ANALYSIS_AFTER, FIRST_ANALYSIS_AFTER)
    assert await grown_once_counted(conn, "growing", FIRST_ANALYSIS_AFTER) == ["public.growing"]
    assert await analyse_grown(conn) == ["public.growing"]
    assert await conn.fetchval("select reltuples from pg_class where relname = 'growing'") == FIRST_ANALYSIS_AFTER
    assert await grown_once_counted(conn, "growing", FIRST_ANALYSIS_AFTER) == []

    await add(conn, "growing", FIRST_ANALYSIS_AFTER + 1, 2 * FIRST_ANALYSIS_AFTER - 1)
    assert await grown_once_counted(conn, "growing", 2 * FIRST_ANALYSIS_AFTER - 1) == []  # not yet doubled
    await add(conn, "growing", 2 * FIRST_ANALYSIS_AFTER, 2 * FIRST_ANALYSIS_AFTER)
    assert await grown_once_counted(conn, "growing", 2 * FIRST_ANALYSIS_AFTER) == ["public.growing"]

    # Analysed at PLANNED_EACH_BATCH_BELOW rows or more, a table is autovacuum's again, however it grows.
    await add(conn, "grown_up", 1, PLANNED_EACH_BATCH_BELOW)
    await grown_once_counted(conn, "grown_up", PLANNED_EACH_BATCH_BELOW)  # counted before the analysis resets the count
    await conn.execute("analyze grown_up")
    await add(conn, "grown_up", PLANNED_EACH_BATCH_BELOW + 1, 3 * PLANNED_EACH_BATCH_BELOW)
    assert await grown_once_counted(conn, "grown_up", 3 * PLANNED_EACH_BATCH_BELOW) == ["public.growing"]


async def test_a_small_table_that_churns_is_not_analysed(conn: Connection) -> None:
    """The outbox and the consumers' positions: rows come and go, the table does not grow, no plan goes stale."""
    for round_ in range(5):
        await add(conn, "churning", 1, FIRST_ANALYSIS_AFTER // 2)
        assert await grown_once_counted(conn, "churning", FIRST_ANALYSIS_AFTER // 2) == [], round_
        await conn.execute("delete from churning")
        assert await grown_once_counted(conn, "churning", 0) == [], round_
    assert await conn.fetchval("select reltuples from pg_class where relname = 'churning'") == -1  # never analysed


async def test_a_batch_lookup_reads_the_whole_table_until_the_analysis_and_the_index_after(conn: Connection) -> None:
    """What the job is for: without statistics of its columns PostgreSQL takes a batch's `= any($1)` of a hundred
    keys for a third of the table and reads all of it, every batch (the relays' outbox join, cases' new streams,
    intake's case progress on a fresh stack); the analysis gives it the keys' count, and the statement is planned
    again on it."""
    await add(conn, "growing", 1, 50_000)
    keys = ",".join(str(n) for n in range(1, 101))
    lookup = await conn.prepare("select id from growing where k = any($1::text[])")

    async def plan() -> str:
        rows = await conn.fetch(f"explain execute {lookup.get_name()}('{{{keys}}}')")
        return "\n".join(row[0] for row in rows)

    before = await plan()
    assert before.startswith("Seq Scan on growing"), before
    assert await grown_once_counted(conn, "growing", 50_000) == ["public.growing"]
    assert await analyse_grown(conn) == ["public.growing"]
    after = await plan()
    assert "Index Scan" in after and "Seq Scan" not in after, after
