"""Waiting for projections to apply what was published, through its own API."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx

from services.projections import consumers, generations
from services.projections.read_tables.facts import BATCH, begin
from services.projections.settings import ProjectionsSettings
from shared.db import Connection, create_pool

T = TypeVar("T")


async def eventually(
    fetch: Callable[[], Awaitable[T]], ready: Callable[[T], bool], what: str, timeout: float = 30.0
) -> T:
    """Fetches until `ready` holds for what came back; fails naming `what` and the last value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not ready(value := await fetch()):
        assert asyncio.get_running_loop().time() < deadline, f"not reached in {timeout}s: {what}; last: {value}"
        await asyncio.sleep(0.2)
    return value


async def applied_events(client: httpx.AsyncClient) -> tuple[int, bool]:
    """How many records the active read models have applied in all, and whether no partition lags."""
    positions = (await client.get("/v1/read-models")).json()["positions"]
    partitions = [p for topic in positions.values() for p in topic.values()]
    return sum(p["applied_offset"] for p in partitions), all(p["lag"] == 0 for p in partitions)


async def caught_up(client: httpx.AsyncClient, events: int, timeout: float = 60.0) -> None:
    """Polls until the read models have applied `events` records and nothing lags."""
    await eventually(
        lambda: applied_events(client), lambda found: found[0] >= events and found[1], f"{events} events", timeout
    )


@contextlib.asynccontextmanager
async def active_generation(settings: ProjectionsSettings) -> AsyncIterator[Connection]:
    """A transaction on the active generation's tables."""
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn, conn.transaction():
            generation = await generations.active(conn)
            assert generation is not None
            await conn.execute("select set_config('search_path', $1, true)", generation.search_path)
            yield conn
    finally:
        await pool.close()


async def record_facts(settings: ProjectionsSettings, facts: list[tuple[str, str, int, dict[str, Any]]]) -> None:
    """Facts of cases' streams (type, case, stream version, payload) recorded and derived in the active generation,
    one batch, as the live consumer records and derives a batch (facts.load, consumers.derive)."""
    async with active_generation(settings) as conn:
        await begin(conn)
        types = await conn.fetchval(
            f"""with recorded as (
                    insert into facts (event_id, topic, type, schema_version, stream_id, stream_version,
                                       occurred_at, actor, correlation_id, payload, issue_ids)
                    select gen_random_uuid(), 'cases', t, 1, s, v, now(), 'test', 'c-public', p::jsonb, array[s]
                      from unnest($1::text[], $2::text[], $3::int[], $4::text[]) as f(t, s, v, p)
                    returning *)
                , batch as (insert into {BATCH} select * from recorded returning type)
                select array_agg(type) from batch""",
            [f[0] for f in facts],
            [f[1] for f in facts],
            [f[2] for f in facts],
            [json.dumps(f[3]) for f in facts],
        )
        await consumers.derive(conn, types)


async def set_status(settings: ProjectionsSettings, case_id: str, status: str) -> None:
    """The status NoticeStarted leaves a case in, once the closure procedure's fold (case_history_of) knows it."""
    async with active_generation(settings) as conn:
        await conn.execute("update issues set status = $2 where issue_id = $1", case_id, status)
