"""Generations of the read models (读模型版本): each a complete set of tables in its own schema.

A generation is built by its own consumer group from offset 0 of every topic. The API answers from
the one `active` generation; a rebuild fills a `building` one beside it and then switches in one
transaction, so a reader sees either the old figures or the new ones, never a mix.
"""

import functools
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import structlog

from shared.db import Connection
from shared.settings import ServiceSettings

log = structlog.get_logger()

DDL = Path(__file__).parent / "read_models.sql"
# The read side's indexes: not part of the shape (a generation without them answers the same, slower).
INDEXES = Path(__file__).parent / "read_indexes.sql"

# The version of read_models.sql, raised with every change of its tables (tests/unit/projections/
# test_generations.py holds the two together). A service rebuilds an active generation of a lower version by itself
# (`live.py`); one of a higher version was made by a newer instance beside it (a rolling upgrade) and is left alone.
VERSION = 6

# Serialises creating, switching and dropping generations between instances and the rebuild command.
_GENERATIONS_LOCK = 7_305_001


@dataclass(frozen=True)
class Generation:
    number: int
    schema: str
    consumer: str
    group_id: str
    status: str
    shape: str = ""  # the fingerprint of read_models.sql it was built with
    version: int = 0  # VERSION of the code that built it

    @property
    def current(self) -> bool:
        """Built by this code's read_models.sql: every query of this code finds its tables and columns."""
        return self.shape == shape()

    @property
    def older(self) -> bool:
        """Built by an older read_models.sql: this code rebuilds it."""
        return self.version < VERSION

    @property
    def search_path(self) -> str:
        # the generation's tables first; the platform's (inbox, consumer_positions) stay reachable
        return f"{self.schema}, public"


@functools.cache
def shape() -> str:
    """A fingerprint of the read models' tables: a generation built with another shape needs a rebuild."""
    return hashlib.sha256(DDL.read_bytes()).hexdigest()[:16]


def _generation(row: asyncpg.Record) -> Generation:
    return Generation(
        number=row["generation"],
        schema=row["schema_name"],
        consumer=row["consumer"],
        group_id=row["group_id"],
        status=row["status"],
        shape=row["shape"],
        version=row["version"],
    )


async def active(conn: Connection) -> Generation | None:
    row = await conn.fetchrow("select * from read_model_generations where status = 'active'")
    return _generation(row) if row else None


async def get(conn: Connection, number: int) -> Generation | None:
    row = await conn.fetchrow("select * from read_model_generations where generation = $1", number)
    return _generation(row) if row else None


async def create(conn: Connection, settings: ServiceSettings, *, status: str) -> Generation:
    """A new generation with empty tables and a consumer group that has never read anything. In a transaction."""
    await conn.execute("select pg_advisory_xact_lock($1)", _GENERATIONS_LOCK)
    number = await conn.fetchval("select coalesce(max(generation), 0) + 1 from read_model_generations")
    generation = Generation(
        number=number,
        schema=f"read_models_g{number}",
        # The first generation keeps the consumer's original name, so its metrics keep their label.
        consumer="read-models" if number == 1 else f"read-models-g{number}",
        # A group id never used before makes the consumer start at offset 0 of every partition.
        group_id=f"{settings.topic_prefix}{settings.service_name}.read-models.g{number}.{uuid.uuid4().hex[:8]}",
        status=status,
        shape=shape(),
        version=VERSION,
    )
    await conn.execute(f'create schema "{generation.schema}"')
    await conn.execute("select set_config('search_path', $1, true)", generation.search_path)
    await conn.execute(DDL.read_text(encoding="utf-8"))
    await conn.execute(INDEXES.read_text(encoding="utf-8"))
    await conn.execute("select set_config('search_path', 'public', true)")
    await conn.execute(
        """insert into read_model_generations
                  (generation, schema_name, consumer, group_id, status, shape, version, activated_at)
           values ($1, $2, $3, $4, $5, $6, $7, case when $5 = 'active' then now() end)""",
        generation.number,
        generation.schema,
        generation.consumer,
        generation.group_id,
        status,
        generation.shape,
        generation.version,
    )
    log.info("read_models_generation_created", generation=number, status=status)
    return generation


async def ensure_active(pool: asyncpg.Pool, settings: ServiceSettings) -> Generation:
    """The active generation; on a service's first start, an empty one that its consumer fills from offset 0."""
    async with pool.acquire() as conn:
        found = await active(conn)
        if found is not None:
            return found
        async with conn.transaction():
            await conn.execute("select pg_advisory_xact_lock($1)", _GENERATIONS_LOCK)
            found = await active(conn)
            return found if found is not None else await create(conn, settings, status="active")


async def analyze(pool: asyncpg.Pool, generation: Generation) -> None:
    """Statistics for a generation's tables before it answers: a rebuilt one has none until autovacuum comes by,
    and the figures' plans (which index, which join) are chosen from them."""
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            "select tablename from pg_tables where schemaname = $1 order by tablename", generation.schema
        )
        for row in tables:
            await conn.execute(f'analyze "{generation.schema}"."{row["tablename"]}"')


async def activate(pool: asyncpg.Pool, generation: Generation, *, replayed_events: int, seconds: float) -> None:
    """The switch: from now on every reader gets this generation; the one before is retired."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select pg_advisory_xact_lock($1)", _GENERATIONS_LOCK)
        await conn.execute(
            "update read_model_generations set status = 'retired', retired_at = now() where status = 'active'"
        )
        updated = await conn.execute(
            """update read_model_generations
                  set status = 'active', activated_at = now(), replayed_events = $2, replay_seconds = $3
                where generation = $1 and status = 'building'""",
            generation.number,
            replayed_events,
            seconds,
        )
        if updated != "UPDATE 1":
            raise RuntimeError(f"generation {generation.number} is no longer being built; not switching")
    log.info("read_models_switched", generation=generation.number, replayed_events=replayed_events)


async def drop(pool: asyncpg.Pool, *, statuses: tuple[str, ...]) -> list[int]:
    """Drops the schemas of the generations in these states (retired ones after a switch, abandoned builds)."""
    dropped: list[int] = []
    async with pool.acquire() as conn:
        numbers = await conn.fetch(
            "select generation from read_model_generations where status = any($1::text[]) order by generation",
            list(statuses),
        )
        for row in numbers:
            async with conn.transaction():
                await conn.execute("select pg_advisory_xact_lock($1)", _GENERATIONS_LOCK)
                # Marking it first waits for the consumer batches writing into it (they hold a share lock on the row),
                # and every later batch sees 'dropped' and leaves the schema alone.
                target = await conn.fetchrow(
                    """update read_model_generations set status = 'dropped'
                        where generation = $1 and status = any($2::text[]) returning schema_name, consumer""",
                    row["generation"],
                    list(statuses),
                )
                if target is None:
                    continue
                await conn.execute(f'drop schema if exists "{target["schema_name"]}" cascade')
                await conn.execute("delete from consumer_positions where consumer = $1", target["consumer"])
                await conn.execute("delete from inbox where consumer = $1", target["consumer"])
                await conn.execute("delete from stream_heads where consumer = $1", target["consumer"])
                await conn.execute("delete from chain_partitions where consumer = $1", target["consumer"])
            dropped.append(row["generation"])
    if dropped:
        log.info("read_models_dropped", generations=dropped)
    return dropped
