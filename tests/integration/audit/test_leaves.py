"""The audit log's appender on the real PostgreSQL: concurrent writers' events become leaves once, in a stable order.

The writers insert rows themselves (any 32 bytes as their hashes: the leaves' order is what is tested here).
"""

import asyncio
import hashlib
import random
import uuid
from datetime import UTC, datetime

import asyncpg

from shared.audit import leaves as audit_leaves
from shared.audit.merkle import TILE, inclusion_proof, subtree_root, tile_roots
from shared.db import create_pool, migrate
from shared.settings import ServiceSettings
from tests.conftest import SettingsFactory

INSERT = """insert into events (event_id, stream_id, stream_version, type, schema_version, occurred_at,
                                correlation_id, actor, payload, prev_hash, hash)
            values ($1, $2, $3, 'Test', 1, $4, 'c', 'test', '{}', $5, $5)"""


async def write(pool: asyncpg.Pool, writer: int, rounds: int, committed: set[uuid.UUID]) -> None:
    """Transactions of one to three events, some held open a while (so they commit after later ones), some rolled
    back (their events must never become leaves)."""
    rng = random.Random(writer)
    for n in range(rounds):
        ids = [uuid.uuid4() for _ in range(rng.randint(1, 3))]
        async with pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            for version, event_id in enumerate(ids, start=1):
                await conn.execute(
                    INSERT,
                    event_id,
                    f"w{writer}-{n}",
                    version,
                    datetime.now(UTC),
                    hashlib.sha256(event_id.bytes).digest(),
                )
            await asyncio.sleep(rng.choice((0, 0, 0.01, 0.05)))
            if rng.random() < 0.1:
                await tx.rollback()
            else:
                await tx.commit()
                committed.update(ids)


async def test_events_of_concurrent_writers_become_leaves_once_in_an_order_that_never_changes(
    pool: asyncpg.Pool,
) -> None:
    committed: set[uuid.UUID] = set()
    seen: list[list[uuid.UUID]] = []
    writers = asyncio.gather(*(write(pool, w, 40, committed) for w in range(6)))

    async def append_meanwhile() -> None:
        async with pool.acquire() as conn:
            while not writers.done():
                await audit_leaves.place(conn, batch=7)
                seen.append(
                    [r["event_id"] for r in await conn.fetch("select event_id from audit_leaves order by position")]
                )
                await asyncio.sleep(0.005)

    await asyncio.gather(writers, append_meanwhile())
    async with pool.acquire() as conn:
        await audit_leaves.place_all(conn)
        rows = await conn.fetch("select position, event_id, hash from audit_leaves order by position")
        frontier = await audit_leaves.frontier(conn)
        leaf_hashes = await audit_leaves.leaf_hashes(conn, frontier.size)

    final = [r["event_id"] for r in rows]
    assert [r["position"] for r in rows] == list(range(len(rows)))
    assert len(final) == len(set(final)) and set(final) == committed
    assert all(view == final[: len(view)] for view in seen), "a placed leaf moved or one was inserted before it"
    assert sum(1 for view in seen if 0 < len(view) < len(final)) > 3, "the appender placed leaves while writers ran"
    assert frontier.size == len(final)
    assert frontier.root() == subtree_root(leaf_hashes)
    # The tiles written as leaves were placed give the proofs built from every leaf.
    async with pool.acquire() as conn:
        tiles = [r["root"] for r in await conn.fetch("select root from audit_tiles order by tile")]
        assert len(final) > TILE + 3 and tiles == tile_roots(leaf_hashes)
        for index in (0, TILE + 3, len(final) - 1):
            sparse, stored = await audit_leaves.proof_inputs(conn, len(final), index)
            expected = inclusion_proof(leaf_hashes, index, len(final))
            assert inclusion_proof(sparse, index, len(final), stored) == expected


async def test_two_appenders_never_place_an_event_twice(pool: asyncpg.Pool) -> None:
    committed: set[uuid.UUID] = set()
    await write(pool, 1, 30, committed)

    async def appender() -> int:
        async with pool.acquire() as conn:
            placed = 0
            for _ in range(20):
                placed += await audit_leaves.place(conn, batch=3)
            return placed

    counts = await asyncio.gather(appender(), appender(), appender())
    async with pool.acquire() as conn:
        await audit_leaves.place_all(conn)
        placed = await conn.fetchval("select count(*) from audit_leaves")
    assert placed == len(committed) and sum(counts) <= placed


async def test_an_event_row_deleted_and_restored_is_not_placed_twice(pool: asyncpg.Pool) -> None:
    committed: set[uuid.UUID] = set()
    await write(pool, 2, 5, committed)
    async with pool.acquire() as conn:
        await audit_leaves.place_all(conn)
        row = await conn.fetchrow("select * from events limit 1")
        assert row is not None
        await conn.execute("delete from events where event_id = $1", row["event_id"])
        # Restored by a later transaction, so with a later xid (a Record iterates over its values: keys() is needed).
        columns = [c for c in row.keys() if c != "xid"]  # noqa: SIM118
        values = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        await conn.execute(f"insert into events ({', '.join(columns)}) values ({values})", *[row[c] for c in columns])
        await write(pool, 3, 2, committed)
        await audit_leaves.place_all(conn)
        placed = await conn.fetch("select event_id from audit_leaves order by position")
    assert sorted(r["event_id"] for r in placed) == sorted(committed)


async def test_a_transaction_held_open_in_another_database_does_not_hold_placing_back_one_here_does(
    pool: asyncpg.Pool, make_settings: SettingsFactory
) -> None:
    base: ServiceSettings = make_settings()
    other_settings: ServiceSettings = make_settings(database_name=f"{base.database_name}_other")
    other = await create_pool(other_settings)
    await migrate(other)
    held_here = uuid.uuid4()
    try:
        async with other.acquire() as elsewhere, pool.acquire() as here:
            # another service's database on the same server: a writing transaction left open
            elsewhere_tx = elsewhere.transaction()
            await elsewhere_tx.start()
            await elsewhere.execute(INSERT, uuid.uuid4(), "elsewhere", 1, datetime.now(UTC), bytes(32))
            committed = uuid.uuid4()
            async with pool.acquire() as conn:
                await conn.execute(INSERT, committed, "s-1", 1, datetime.now(UTC), bytes(32))
            async with pool.acquire() as conn:
                assert await audit_leaves.place(conn) == 1, "placed, though a transaction elsewhere is older"

            # one in this database: what committed after it waits until it ends, and nothing is skipped
            here_tx = here.transaction()
            await here_tx.start()
            await here.execute(INSERT, held_here, "s-2", 1, datetime.now(UTC), bytes(32))
            later = uuid.uuid4()
            async with pool.acquire() as conn:
                await conn.execute(INSERT, later, "s-3", 1, datetime.now(UTC), bytes(32))
                assert await audit_leaves.place(conn) == 0
            await here_tx.commit()
            await elsewhere_tx.rollback()
        async with pool.acquire() as conn:
            assert await audit_leaves.place(conn) == 2
            placed = [r["event_id"] for r in await conn.fetch("select event_id from audit_leaves order by position")]
    finally:
        await other.close()
    assert placed == [committed, held_here, later]


async def test_placing_on_demand_waits_for_a_round_holding_the_tree_and_for_transactions_running_at_the_call(
    pool: asyncpg.Pool,
) -> None:
    """What an on-demand checkpoint signs covers every event committed before it was asked for."""
    async with pool.acquire() as round_, pool.acquire() as writer:
        # a writer's transaction is running (it took its transaction id first) when a later one commits an event
        writer_tx = writer.transaction()
        await writer_tx.start()
        running = uuid.uuid4()
        await writer.execute(INSERT, running, "d-1", 1, datetime.now(UTC), bytes(32))
        committed = uuid.uuid4()
        await pool.execute(INSERT, committed, "d-2", 1, datetime.now(UTC), bytes(32))
        # and a background round holds the tree's row
        round_tx = round_.transaction()
        await round_tx.start()
        await round_.execute("select * from audit_tree for update")
        async with pool.acquire() as conn:
            on_demand = asyncio.create_task(audit_leaves.place_all(conn))
            await asyncio.sleep(0.3)
            assert not on_demand.done(), "answered while a transaction older than the committed event ran"
            await writer_tx.commit()
            await asyncio.sleep(0.3)
            assert not on_demand.done(), "answered while the tree was held"
            await round_tx.commit()
            assert await asyncio.wait_for(on_demand, 5) == 2
        placed = [r["event_id"] for r in await pool.fetch("select event_id from audit_leaves order by position")]
    assert placed == [running, committed]


async def test_placing_on_demand_stops_waiting_for_a_transaction_held_open_and_places_what_is_below_it(
    pool: asyncpg.Pool,
) -> None:
    before = uuid.uuid4()
    await pool.execute(INSERT, before, "h-1", 1, datetime.now(UTC), bytes(32))
    async with pool.acquire() as held:
        held_tx = held.transaction()
        await held_tx.start()
        await held.execute(INSERT, uuid.uuid4(), "h-2", 1, datetime.now(UTC), bytes(32))
        await pool.execute(INSERT, uuid.uuid4(), "h-3", 1, datetime.now(UTC), bytes(32))
        async with pool.acquire() as conn:
            assert await asyncio.wait_for(audit_leaves.place_all(conn, settle=0.2), 5) == 1
        await held_tx.rollback()
    assert [r["event_id"] for r in await pool.fetch("select event_id from audit_leaves")] == [before]
