"""A fresh generation's first minute: projections' batches on one kept connection, from empty read tables.

    .venv/bin/python -m bench.first_minute --database-url postgresql://postgres@127.0.0.1:56031/postgres
    .venv/bin/python -m bench.first_minute --no-autovacuum     # the same with no analyze of the generation at all

A new generation (as on a fresh stack) is fed the county's events in time order, in batches, as fast as it applies
them, on one connection kept throughout as the live consumer keeps its own (`shared/consumer.py`), so the statements
asyncpg prepares on it keep whatever plans PostgreSQL made for them. Every few seconds it prints the batches' mean and
longest time and what `update issues … from case_history` (`closure.current_states`) took per call
(pg_stat_statements, needed on the server: `PG_STAT_STATEMENTS=1 infra/postgres.sh start`), and at the end when
autovacuum first analysed the generation's tables. It makes its own database (`bench_first_minute`) and drops it.
"""

import argparse
import json
import time

import asyncpg
import uvloop

from bench.history import county_of
from services.projections import consumers, generations
from services.projections.main import MIGRATIONS
from services.projections.settings import ProjectionsSettings
from shared.db import create_pool, migrate
from shared.settings import LOCAL_DATABASE_URL, dsn_for

DATABASE = "bench_first_minute"

_CURRENT_STATES = """
select calls, round((total_exec_time / calls)::numeric, 2) as mean_ms, round(max_exec_time::numeric, 1) as max_ms
  from pg_stat_statements
 where query like 'update issues i%' and dbid = (select oid from pg_database where datname = current_database())"""


async def run(database_url: str, *, events: int, batch: int, seconds: float, autovacuum: bool) -> None:
    admin = await asyncpg.connect(dsn_for(database_url, "postgres"))
    try:
        await admin.execute(f'drop database if exists "{DATABASE}" with (force)')
    finally:
        await admin.close()
    # Only the database is used: no broker, no tokens.
    settings = ProjectionsSettings(
        database_url=database_url, database_name=DATABASE, kafka_username="unused", kafka_password="unused"
    )
    pool = await create_pool(settings)
    try:
        await migrate(pool, MIGRATIONS)
        await pool.execute("create extension if not exists pg_stat_statements")
        async with pool.acquire() as conn, conn.transaction():
            generation = await generations.create(conn, settings, status="active")
        tables = [
            r["tablename"]
            for r in await pool.fetch("select tablename from pg_tables where schemaname = $1", generation.schema)
        ]
        if not autovacuum:
            for table in tables:
                await pool.execute(f'alter table "{generation.schema}"."{table}" set (autovacuum_enabled = false)')
        envelopes = sorted(county_of(events), key=lambda e: e.occurred_at)
        apply = consumers.project(generation)
        await pool.execute("select pg_stat_statements_reset()")
        started = window_start = time.monotonic()
        times: list[float] = []
        async with pool.acquire() as conn:
            for start in range(0, len(envelopes), batch):
                began = time.monotonic()
                async with conn.transaction():
                    await apply(conn, envelopes[start : start + batch])
                times.append(time.monotonic() - began)
                if time.monotonic() - window_start >= 5:
                    row = await pool.fetchrow(_CURRENT_STATES)
                    line = {
                        "s": round(time.monotonic() - started),
                        "events": start + batch,
                        "batch_ms_mean": round(1000 * sum(times) / len(times), 1),
                        "batch_ms_max": round(1000 * max(times), 1),
                        "current_states": {k: float(v) for k, v in row.items()} if row else None,
                    }
                    print(json.dumps(line, ensure_ascii=False), flush=True)
                    await pool.execute("select pg_stat_statements_reset()")
                    times, window_start = [], time.monotonic()
                if time.monotonic() - started > seconds:
                    break
        analysed = await pool.fetch(
            """select relname, last_autoanalyze, n_live_tup from pg_stat_user_tables
                where schemaname = $1 and relname in ('issues', 'case_history')""",
            generation.schema,
        )
        for row in analysed:
            print(f"{row['relname']}: {row['n_live_tup']} rows, first analysed by autovacuum {row['last_autoanalyze']}")
    finally:
        await pool.close()
        admin = await asyncpg.connect(dsn_for(database_url, "postgres"))
        try:
            await admin.execute(f'drop database if exists "{DATABASE}" with (force)')
        finally:
            await admin.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.first_minute", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=LOCAL_DATABASE_URL)
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--no-autovacuum", action="store_true")
    args = parser.parse_args(argv)
    uvloop.run(
        run(
            args.database_url,
            events=args.events,
            batch=args.batch,
            seconds=args.seconds,
            autovacuum=not args.no_autovacuum,
        )
    )


if __name__ == "__main__":
    main()
