"""The read side's queries alone, at a history size: a scratch database per size, loaded once, timed in-process.

    .venv/bin/python -m bench.read_queries --cases 2000 --cases 20000 [--requests 50] [--database-url URL] [--explain]
        [--prefix reads] [--only trend]

For each size a database `<prefix>_<size>` (`--prefix`, default `reads`) is made once: kept, and reused while it
holds that many cases in tables of this code's shape (another shape, e.g. before the summaries: made again; compare
two versions of the code with two prefixes). It gets the projections' migrations and one active generation, filled
with the tests' simulated county
(bench/county.py, `simulate(issues=size)`) applied through the real handlers
(services.projections.consumers), a batch of events per transaction. Then every query behind the dashboard's
reads (bench/reads.py) runs `--requests` times in a row on one connection in a repeatable-read transaction, as
the API runs it (readside.read), without HTTP, tokens or Kafka: p50/p99 per query, one JSON line per size.
`--explain` prints EXPLAIN (ANALYZE, BUFFERS) of the statements instead (auto_explain in the session).
"""

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg

from bench.reads import PAGE_SIZE
from bench.stats import percentile
from services.projections import consumers, generations, readside, report
from services.projections.assessment import load_assessment_policy
from services.projections.filters import CaseFilters, Figure, GroupBy, PeriodUnit, TallyGroupBy
from services.projections.main import MIGRATIONS
from services.projections.read_tables import accountability, assessment, closure, enforcement, timeline
from services.projections.read_tables.closure import Moment
from services.projections.scoring import items_of
from services.projections.settings import ProjectionsSettings
from shared.clock import SHANGHAI, now
from shared.db import init_connection, migrate

BATCH = 500
PAGE = PAGE_SIZE  # a drill-down's page as the dashboard opens it (bench/reads.py)


def _url(base: str, database: str) -> str:
    return base.rsplit("/", 1)[0] + "/" + database


async def load(base_url: str, cases: int, prefix: str = "reads") -> str:
    """The database of this size, made and filled unless it is already there."""
    from bench.county import simulate  # the tests' county: only when loading

    database = f"{prefix}_{cases}"
    url = _url(base_url, database)
    admin = await asyncpg.connect(base_url)
    try:
        exists = await admin.fetchval("select 1 from pg_database where datname = $1", database)
        if exists:
            probe = await asyncpg.connect(url)
            try:
                found = await generations.active(probe)
                # made by code with other tables (summaries): filled again
                current = found if found is not None and found.shape == generations.shape() else None
                have = await probe.fetchval(f"select count(*) from {current.schema}.issues") if current else 0
            except asyncpg.UndefinedTableError:  # a load that stopped half way
                have = 0
            finally:
                await probe.close()
            if have == cases:
                return url
            await admin.execute(f'drop database "{database}"')
        await admin.execute(f'create database "{database}"')
    finally:
        await admin.close()
    settings = ProjectionsSettings.model_construct(database_url=url)  # no broker: only its names are used
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2, init=init_connection)
    try:
        await migrate(pool, MIGRATIONS)
        generation = await generations.ensure_active(pool, settings)
        county = simulate(seed=11, issues=cases)
        handler = consumers.project(generation)
        started = time.monotonic()
        for start in range(0, len(county.envelopes), BATCH):
            async with pool.acquire() as conn, conn.transaction():
                await handler(conn, county.envelopes[start : start + BATCH])
        async with pool.acquire() as done:
            await done.execute(f"set search_path = {generation.search_path}")
            await done.execute("vacuum analyze")
        print(
            json.dumps(
                {"loaded": cases, "events": len(county.envelopes), "seconds": round(time.monotonic() - started, 1)}
            ),
            flush=True,
        )
    finally:
        await pool.close()
    return url


Query = Callable[[asyncpg.Connection], Awaitable[Any]]


def queries(first_issue: str, at: Any, busiest_unit: str = "") -> dict[str, Query]:
    """Each read of bench/reads.py, by the name it has there, as the routes call the read tables."""
    month_ago = at - timedelta(days=30)
    everything = CaseFilters()
    year = at.astimezone(SHANGHAI).year
    policy = load_assessment_policy()  # the shipped 绩效考核 policy, as a service without ASSESSMENT_POLICY reads it

    async def trend(conn: asyncpg.Connection) -> Any:
        from services.projections.api.closure import trend_points

        return await trend_points(conn, everything, None, PeriodUnit.month, at, assigned_to=None)

    async def enforcement_stats(conn: asyncpg.Connection) -> Any:
        await enforcement.per_year(conn, year=None, as_of=None)
        return await enforcement.repeat_offenders(conn, year=None, as_of=None)

    async def assessment_items(conn: asyncpg.Connection) -> Any:
        # as the route does: the ranking (for the unit's rank), then the first page of the busiest unit's facts
        await assessment.ranking(conn, policy, year=year, as_of=None, now=at)
        _, facts = await assessment.unit_facts_page(
            conn, policy, year=year, at=at, unit=busiest_unit, limit=PAGE, offset=0
        )
        return [item for fact in facts for item in items_of(fact, policy)]

    async def enforcement_cases(conn: asyncpg.Connection) -> Any:
        _, keys = await enforcement.case_years(conn, year=None, as_of=None, case_ids=None, limit=PAGE, offset=0)
        on_page = sorted({case for case, _ in keys})
        await enforcement.per_case_year(conn, year=None, as_of=None, case_ids=on_page)
        return await enforcement.case_details(conn, on_page)

    return {
        "floor": lambda c: c.fetchval("select 1"),  # a round trip: what the machine's load adds to every query
        "rates_source": lambda c: closure.rates(c, everything, Moment(None, at), GroupBy.source),
        "rates_township": lambda c: closure.rates(c, everything, Moment(None, at), GroupBy.township),
        "trend": trend,
        "first_case": lambda c: closure.cases(c, everything, Moment(None, at), Figure.ALL, limit=1, offset=0),
        "overdue": lambda c: closure.cases(
            c, everything, Moment(None, at), Figure.OVERDUE, limit=30, offset=0, overdue_first=True
        ),
        "accountability": lambda c: accountability.tally(c, TallyGroupBy.unit, year=None, as_of=None),
        "enforcement": enforcement_stats,
        "assessment": lambda c: assessment.ranking(c, policy, year=year, as_of=None, now=at),
        "work_summary": lambda c: report.gather(c, policy, year=year, as_of=None, now=at),
        "as_of": lambda c: closure.rates(c, CaseFilters(as_of=month_ago), Moment(month_ago, at), GroupBy.source),
        "drill_closed": lambda c: closure.cases(c, everything, Moment(None, at), Figure.CLOSED, limit=PAGE, offset=0),
        "drill_overdue_all": lambda c: closure.cases(
            c, everything, Moment(None, at), Figure.OVERDUE, limit=PAGE, offset=0, overdue_first=True
        ),
        "drill_accountability": lambda c: accountability.items(
            c, year=None, as_of=None, unit=None, kind=None, include_revoked=False, limit=PAGE, offset=0
        ),
        "drill_enforcement": enforcement_cases,
        "assessment_as_of": lambda c: assessment.ranking(
            c, policy, year=month_ago.astimezone(SHANGHAI).year, as_of=month_ago, now=at
        ),
        "drill_assessment": assessment_items,
        "timeline": lambda c: timeline.events(c, first_issue),
    }


def _print_plan(message: str) -> None:
    """A statement's plan from auto_explain, without its text, if it took more than a millisecond."""
    head, _, plan = message.partition("\n")
    if float(head.split()[1]) < 1.0:
        return
    lines = plan.split("\n")
    body = lines[next((n for n, line in enumerate(lines) if "  (cost=" in line), 0) :]
    print(head, *(line[:200] for line in body if "Buffers:" not in line), sep="\n", flush=True)


async def measure(url: str, requests: int, *, explain: bool, only: list[str] | None = None) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    await init_connection(conn)
    out: dict[str, Any] = {}
    try:
        generation = await generations.active(conn)
        assert generation is not None
        await conn.execute(f"set search_path = {generation.search_path}")
        out["cases"] = await conn.fetchval("select count(*) from issues")
        out["facts"] = await conn.fetchval("select count(*) from facts")
        first = await conn.fetchval("select issue_id from issues order by reported_at, issue_id limit 1")
        busiest = await conn.fetchval(
            "select unit from issues where unit <> '' group by unit order by count(*) desc limit 1"
        )
        if explain:
            await conn.execute("load 'auto_explain'")
            await conn.execute("set auto_explain.log_min_duration = 0")
            await conn.execute("set auto_explain.log_analyze = on")
            await conn.execute("set auto_explain.log_buffers = on")
            await conn.execute("set client_min_messages = log")
            await conn.execute("set auto_explain.log_level = log")
            conn.add_log_listener(lambda _c, message: _print_plan(message.message))
        at = now()
        for name, query in queries(first, at, busiest or "").items():
            if only and name not in only:
                continue
            if explain:
                print(f"===== {name}", flush=True)
            latencies = []
            for _ in range(1 if explain else requests):
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    started = time.monotonic()
                    await readside.enter(conn, generation)
                    await query(conn)
                    latencies.append(time.monotonic() - started)
            out[name] = {
                "p50_ms": round((percentile(latencies, 50) or 0) * 1000, 1),
                "p99_ms": round((percentile(latencies, 99) or 0) * 1000, 1),
            }
    finally:
        await conn.close()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, action="append", required=True)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:55432/postgres")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--prefix", default="reads", help="the scratch databases' names: <prefix>_<cases>")
    parser.add_argument("--only", action="append", default=None, help="measure only these queries")
    args = parser.parse_args()
    for size in sorted(args.cases):
        url = await load(args.database_url, size, args.prefix)
        figures = await measure(url, args.requests, explain=args.explain, only=args.only)
        print(json.dumps({"size": size, **figures}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
