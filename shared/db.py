"""The service's own PostgreSQL database: created if missing, migrated in order, pooled."""

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import asyncpg
import structlog
from asyncpg.pool import PoolConnectionProxy

from shared.settings import ServiceSettings, dsn_for

log = structlog.get_logger()

# What a query runs on: a connection of its own, or one the pool lends (asyncpg's types tell them apart).
if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Connection = asyncpg.Connection | PoolConnectionProxy

PLATFORM_MIGRATIONS = Path(__file__).parent / "migrations"

# Any constant works; it only has to be the same in every instance of a service.
MIGRATION_LOCK = 7_301_001

# A table last analysed below this many rows (or never: reltuples -1) is young: asyncpg prepares each statement, and
# after five runs PostgreSQL keeps a generic plan made on the nearly empty table until autovacuum's first analyze (a
# minute or more). Statements on young tables are planned for their own arguments instead (`plan_cache_mode =
# force_custom_plan`): projections' young generations (services/projections/consumers.py `enter`) and the chain heads'
# lookup (shared/audit/continuity.py). Every service also analyses its young tables as they grow
# (shared/young_tables.py), which makes PostgreSQL plan their statements again.
PLANNED_EACH_BATCH_BELOW = 10_000


async def ensure_database(settings: ServiceSettings) -> None:
    """Create the service's database on the server if it is not there yet."""
    conn = await asyncpg.connect(dsn_for(settings.database_url, "postgres"))
    try:
        exists = await conn.fetchval("select 1 from pg_database where datname = $1", settings.database)
        if not exists:
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):  # another instance created it in between
                await conn.execute(f'create database "{settings.database}"')
    finally:
        await conn.close()


def json_text(value: object) -> str:
    """A value as the json and jsonb columns store it (the pool's codec, and queries that send JSON as text)."""
    return json.dumps(value, ensure_ascii=False)


async def init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(type_name, encoder=json_text, decoder=json.loads, schema="pg_catalog")


async def keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset of a connection given back: nothing beyond asyncpg's own (a transaction left open is rolled
    back first). asyncpg's default sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release, a round trip per borrow (28 of the closed loop's 117 statements), for session state no pooled connection
    here keeps: settings are set for their transaction only (`set_config(…, true)`), cursors live in their transaction,
    listeners have connections of their own (the relay, cases' openings), and the two session locks taken on a pooled
    connection (migrations, the rebuild) are released by their holders; temporary tables outlive RESET ALL anyway."""


async def create_pool(settings: ServiceSettings) -> asyncpg.Pool:
    await ensure_database(settings)
    pool = await asyncpg.create_pool(
        settings.database_dsn,
        min_size=1,
        max_size=settings.database_pool_size,
        init=init_connection,
        reset=keep_session,
    )
    assert pool is not None
    return pool


async def migrate(pool: asyncpg.Pool, *folders: Path) -> list[str]:
    """Apply the numbered SQL files of each folder that are not yet recorded, in order.

    The platform's own tables come first. An advisory lock keeps two instances that
    start together from applying the same file twice.
    """
    applied: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("select pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            await conn.execute(
                """create table if not exists schema_migrations (
                       name text primary key,
                       applied_at timestamptz not null default now())"""
            )
            done = {r["name"] for r in await conn.fetch("select name from schema_migrations")}
            for folder in (PLATFORM_MIGRATIONS, *folders):
                for path in sorted(folder.glob("*.sql")):
                    name = f"{folder.parent.name}/{path.name}"
                    if name in done:
                        continue
                    async with conn.transaction():
                        await conn.execute(path.read_text(encoding="utf-8"))
                        await _after_migration(name, conn)
                        await conn.execute("insert into schema_migrations (name) values ($1)", name)
                    applied.append(name)
        finally:
            await conn.execute("select pg_advisory_unlock($1)", MIGRATION_LOCK)
    if applied:
        log.info("migrations_applied", migrations=applied)
    return applied


async def _after_migration(name: str, conn: Connection) -> None:
    """What runs right after a migration, in its transaction, where SQL cannot do the work."""
    if name == "shared/003_event_chain.sql":  # imported here: the audit package imports this module
        from shared.audit.backfill import chain_stored_events

        chained = await chain_stored_events(conn)
        log.info("events_chained", events=chained)
