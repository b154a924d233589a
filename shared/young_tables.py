"""A service's young tables analysed as they grow, so that its statements are planned on what the tables hold.

A new install's tables start empty and are not analysed until autovacuum's first look, a minute or more after the
load starts (`autovacuum_naptime`). Until then PostgreSQL plans without statistics of their columns: a batch's
`= any($1)` of a hundred keys looks like a third of the table, so it reads the whole table, every batch, in time
linear in the table (and a generic plan made on the nearly empty table stays until the statistics change). On a
fresh stack at 500 reports/s the relays' outbox join, cases' "is this stream new" check and intake's case-progress
read ran 13–180 ms a call where they run under 1 ms on analysed tables (bench/README.md, "A fresh stack's plans").

So each service analyses its own tables while they are young, at their first rows and each time one has doubled
since its last analysis: the next plans see the keys' counts (an analysis also makes PostgreSQL plan the table's
prepared statements again). Past PLANNED_EACH_BATCH_BELOW rows autovacuum's own threshold (a tenth of the table)
keeps them current."""

import asyncio
import contextlib

import asyncpg
import structlog

from shared.db import PLANNED_EACH_BATCH_BELOW, Connection

log = structlog.get_logger()

# A never-analysed table (reltuples -1) is analysed once it holds this many rows: enough for its statistics to say
# something, few enough that the first minute's plans are made on them. Rows, not changes: a small table that churns
# (the outbox, the consumers' positions) does not grow, and its plans do not go stale.
FIRST_ANALYSIS_AFTER = 200


async def grown(conn: Connection) -> list[str]:
    """The young tables of this database that hold twice the rows of their last analysis (or, never analysed, their
    first FIRST_ANALYSIS_AFTER rows), as quoted names; only tables this role owns (or a role it belongs to): another's
    would be skipped by ANALYZE with a warning, every look."""
    rows = await conn.fetch(
        """select format('%I.%I', s.schemaname, s.relname) as name
             from pg_stat_user_tables s join pg_class c on c.oid = s.relid
            where c.reltuples < $1
              and s.n_live_tup >= greatest($2, 2 * c.reltuples)
              and s.schemaname not like 'pg\\_temp\\_%'
              and pg_has_role(c.relowner, 'USAGE')
            order by 1""",
        float(PLANNED_EACH_BATCH_BELOW),
        FIRST_ANALYSIS_AFTER,
    )
    return [row["name"] for row in rows]


async def analyse_grown(conn: Connection) -> list[str]:
    """Analyses the tables `grown` names; one another instance of the service is analysing already is skipped (it
    is being done)."""
    names = await grown(conn)
    for name in names:
        await conn.execute(f"analyze (skip_locked) {name}")
    return names


async def run_analyser(pool: asyncpg.Pool, stopping: asyncio.Event, every: float) -> None:
    """The background job: a look every `every` seconds until the service stops (one catalog query once the tables
    are grown)."""
    while not stopping.is_set():
        try:
            async with pool.acquire() as conn:
                if analysed := await analyse_grown(conn):
                    log.info("young_tables_analysed", tables=analysed)
        except Exception as exc:  # the job must outlive a lost connection; the next look tries again
            log.warning("young_tables_analysis_failed", error=repr(exc), retry_in=every)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)
