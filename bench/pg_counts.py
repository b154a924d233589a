"""What PostgreSQL did for a window of load, per service database: commits, rows written per table, WAL bytes, and
(when the server loaded pg_stat_statements: `PG_STAT_STATEMENTS=1 make up`) the statements run.

`PgCounts(config).start()` before the load, `await counts.stop()` after it: the differences of the cumulative
statistics views (`pg_stat_database`, `pg_stat_user_tables`, `pg_stat_wal`, `pg_stat_statements`). The statistics
collector publishes them with a delay of up to a second (`stats_fetch_consistency`, the stats writer), so `stop`
waits one second first. Other clients of the same server count too: run it on a stack of its own.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bench.config import BenchConfig
from shared.settings import dsn_for

DATABASES = ("intake", "cases", "enforcement", "accountability", "projections")

_TABLES = """select relname, n_tup_ins, n_tup_upd, n_tup_del from pg_stat_user_tables"""
_COMMITS = """select xact_commit from pg_stat_database where datname = current_database()"""
_WAL = """select wal_bytes::bigint, wal_records, wal_fpi from pg_stat_wal"""
_CHECKPOINTS = """select checkpoints_timed, checkpoints_req from pg_stat_bgwriter"""
_STATEMENTS = """select coalesce(sum(calls), 0)::bigint from pg_stat_statements where dbid =
                 (select oid from pg_database where datname = current_database())"""


@dataclass
class Snapshot:
    commits: dict[str, int] = field(default_factory=dict)
    statements: dict[str, int] = field(default_factory=dict)
    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # database.table → inserted, updated, deleted
    wal_bytes: int = 0
    wal_records: int = 0
    wal_fpi: int = 0  # full-page images: a page's first change after a checkpoint writes the whole page to the WAL
    # checkpoints begun (by time, and requested: by the WAL's volume or a command); commits wait behind their fsyncs
    checkpoints: tuple[int, int] = (0, 0)


async def snapshot(config: BenchConfig, *, statements: bool) -> Snapshot:
    shot = Snapshot()
    for database in DATABASES:
        conn = await asyncpg.connect(dsn_for(config.database_url, database))
        try:
            await conn.execute("select pg_stat_clear_snapshot()")
            shot.commits[database] = int(await conn.fetchval(_COMMITS))
            if statements:
                shot.statements[database] = int(await conn.fetchval(_STATEMENTS))
            for row in await conn.fetch(_TABLES):
                shot.rows[f"{database}.{row['relname']}"] = {
                    "inserted": row["n_tup_ins"],
                    "updated": row["n_tup_upd"],
                    "deleted": row["n_tup_del"],
                }
            wal = await conn.fetchrow(_WAL)
            assert wal is not None
            shot.wal_bytes, shot.wal_records, shot.wal_fpi = (
                int(wal[k]) for k in ("wal_bytes", "wal_records", "wal_fpi")
            )
            timed, requested = await conn.fetchrow(_CHECKPOINTS) or (0, 0)
            shot.checkpoints = (int(timed), int(requested))
        finally:
            await conn.close()
    return shot


async def enable_statements(config: BenchConfig) -> bool:
    """Creates the pg_stat_statements extension in each service database when the server loaded it (else False)."""
    for database in DATABASES:
        conn = await asyncpg.connect(dsn_for(config.database_url, database))
        try:
            loaded = await conn.fetchval("select current_setting('shared_preload_libraries')")
            if "pg_stat_statements" not in loaded:
                return False
            await conn.execute("create extension if not exists pg_stat_statements")
        except asyncpg.PostgresError:
            return False
        finally:
            await conn.close()
    return True


def per_report(before: Snapshot, after: Snapshot, reports: int) -> dict[str, Any]:
    """The differences divided by the reports: commits and statements per database, rows written per table (only the
    tables that changed), WAL bytes and records."""

    def each(mapping_after: dict[str, int], mapping_before: dict[str, int]) -> dict[str, float]:
        return {k: round((v - mapping_before.get(k, 0)) / reports, 2) for k, v in mapping_after.items()}

    rows: dict[str, dict[str, float]] = {}
    for table, counts in after.rows.items():
        old = before.rows.get(table, {})
        diff = {k: round((v - old.get(k, 0)) / reports, 2) for k, v in counts.items()}
        if any(diff.values()):
            rows[table] = diff
    commits = each(after.commits, before.commits)
    statements = each(after.statements, before.statements)
    return {
        "reports": reports,
        "commits": {**commits, "total": round(sum(commits.values()), 2)},
        "statements": {**statements, "total": round(sum(statements.values()), 2)} if statements else {},
        "rows_written": rows,
        "rows_written_total": round(sum(sum(r.values()) for r in rows.values()), 2),
        "wal_bytes": round((after.wal_bytes - before.wal_bytes) / reports),
        "wal_records": round((after.wal_records - before.wal_records) / reports, 1),
        "wal_fpi": round((after.wal_fpi - before.wal_fpi) / reports, 2),
        "checkpoints": {
            "timed": after.checkpoints[0] - before.checkpoints[0],
            "requested": after.checkpoints[1] - before.checkpoints[1],
        },
    }


class PgCounts:
    def __init__(self, config: BenchConfig) -> None:
        self._config = config
        self._before: Snapshot | None = None
        self._statements = False

    async def start(self) -> "PgCounts":
        self._statements = await enable_statements(self._config)
        if self._statements:
            conn = await asyncpg.connect(dsn_for(self._config.database_url, DATABASES[0]))
            try:
                await conn.execute("select pg_stat_statements_reset()")
            finally:
                await conn.close()
        self._before = await snapshot(self._config, statements=self._statements)
        return self

    async def stop(self, reports: int) -> dict[str, Any]:
        assert self._before is not None
        await asyncio.sleep(1.0)
        counts = per_report(self._before, await snapshot(self._config, statements=self._statements), max(reports, 1))
        if self._statements:
            counts["top_statements"] = await top_statements(self._config, max(reports, 1))
        return counts


async def top_statements(config: BenchConfig, reports: int, limit: int = 25) -> list[dict[str, Any]]:
    """The statements that took the most time since the reset, per report, with their database and calls."""
    conn = await asyncpg.connect(dsn_for(config.database_url, DATABASES[0]))
    try:
        rows = await conn.fetch(
            """select d.datname, s.calls, s.total_exec_time, s.rows,
                      left(regexp_replace(s.query, '\\s+', ' ', 'g'), 160) as query
                 from pg_stat_statements s join pg_database d on d.oid = s.dbid
                where d.datname = any($1::text[])
                order by s.total_exec_time desc limit $2""",
            list(DATABASES),
            limit,
        )
    finally:
        await conn.close()
    return [
        {
            "database": r["datname"],
            "per_report": round(r["calls"] / reports, 2),
            "ms_per_report": round(r["total_exec_time"] / reports, 3),
            "query": r["query"],
        }
        for r in rows
    ]
