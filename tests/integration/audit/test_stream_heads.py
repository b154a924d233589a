"""The consumers' chain check on the real PostgreSQL: how the heads of a batch's streams are looked up while
`stream_heads` is young (shared/audit/continuity.py)."""

import hashlib

import asyncpg
from aiokafka.structs import ConsumerRecord

from shared.audit import continuity
from shared.audit.chain import GENESIS, HASH_HEADER, PREV_HASH_HEADER
from shared.db import PLANNED_EACH_BATCH_BELOW

LOOKUP = "select stream_id, stream_version, hash from stream_heads%"
SET_MODE = continuity._PLAN_CACHE_MODE  # forcing custom plans, and setting back what was


def first_event_of(stream: str, offset: int) -> ConsumerRecord[bytes, bytes]:
    """A record opening `stream`'s chain (its links only: the test checks no content)."""
    headers = [
        ("ce_subject", stream.encode()),
        ("ce_streamversion", b"1"),
        (PREV_HASH_HEADER, GENESIS.hex().encode()),
        (HASH_HEADER, hashlib.sha256(stream.encode()).hexdigest().encode()),
    ]
    return ConsumerRecord("t", 0, offset, 0, 0, None, b"{}", None, 0, 2, headers)


async def test_the_heads_are_looked_up_with_a_plan_for_each_batch_until_the_table_is_analysed(
    pool: asyncpg.Pool,
) -> None:
    """A generic plan made while the table is young reads every head of the topic: it is not used until the table has
    been analysed at PLANNED_EACH_BATCH_BELOW rows or more."""
    await pool.execute("alter table stream_heads set (autovacuum_enabled = false)")  # young for as long as the test
    await pool.execute(
        """insert into stream_heads select 'c', 't', 'old-' || n, 1, '\\x00' from generate_series(1, $1) n""",
        PLANNED_EACH_BATCH_BELOW * 2,
    )

    async def batches(first: int, count: int) -> tuple[int, int, int]:
        async with pool.acquire() as conn:
            for n in range(first, first + count):
                async with conn.transaction():
                    records = [first_event_of(f"new-{n}-{i}", n * 10 + i) for i in range(3)]
                    assert await continuity.check_batches(conn, "c", "t", {0: records}, ()) == {}
            plans = await conn.fetchrow(
                """select generic_plans, custom_plans,
                          (select custom_plans + generic_plans from pg_prepared_statements where statement = $2) forced
                     from pg_prepared_statements where statement like $1""",
                LOOKUP,
                SET_MODE,
            )
        assert plans is not None
        return plans["generic_plans"], plans["custom_plans"], plans["forced"]

    assert await batches(0, 8) == (0, 8, 16)
    assert await pool.fetchval("select count(*) from stream_heads where stream_id like 'new-%'") == 24
    # analysed: the lookup is left to PostgreSQL's own choice, which plans on the table's statistics
    await pool.execute("analyze stream_heads")
    generic, custom, forced = await batches(8, 8)
    assert (generic + custom, forced) == (16, 16)
