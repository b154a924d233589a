"""The reads computed in one pass give exactly what the per-moment and per-case queries give."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import asyncpg

from bench.county import simulate
from services.projections import readside
from services.projections.filters import CaseFilters, Figure, GroupBy, TallyGroupBy
from services.projections.read_tables import accountability, closure
from services.projections.read_tables import enforcement as enforcement_figures
from services.projections.read_tables.closure import Moment
from services.projections.settings import ProjectionsSettings
from shared.clock import now
from shared.contracts.codes import Source
from shared.db import Connection
from tests.integration.projections.conftest import feed, new_generation


@asynccontextmanager
async def county_read(
    pool: asyncpg.Pool, settings: ProjectionsSettings, *, seed: int, issues: int, span_days: int
) -> AsyncIterator[tuple[Connection, datetime]]:
    """A simulated county fed to a new generation, and a read transaction on it as the API reads."""
    at = now()
    generation = await new_generation(pool, settings)
    await feed(pool, generation, simulate(seed=seed, issues=issues, now=at, span_days=span_days).envelopes)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await readside.enter(conn, generation)
        yield conn, at


TOWNSHIP = CaseFilters(township="城关镇")
# the groupings the changes are kept by per day (changes.GROUPINGS), in all and of one township
GROUPED = [(GroupBy.source, CaseFilters()), (None, CaseFilters()), (GroupBy.township, CaseFilters()), (None, TOWNSHIP)]
GROUPED += [(GroupBy.township, TOWNSHIP)]


async def test_the_trend_in_one_pass_equals_the_figures_as_of_each_moment(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    async with county_read(pool, settings, seed=23, issues=120, span_days=400) as (conn, at):
        units = [r["unit"] for r in await conn.fetch("select distinct unit from case_history where unit is not null")]
        # period ends, and the exact instants where figures change: state starts, deadlines, reports
        instants = {at - timedelta(days=d) for d in range(0, 420, 30)}
        for column, table in (("valid_from", "case_history"), ("deadline", "case_history"), ("reported_at", "issues")):
            instants |= {r[0] for r in await conn.fetch(f"select {column} from {table} where {column} is not null")}
        moments = sorted(m for m in instants if m <= at)
        selections = [
            (CaseFilters(), None),
            (CaseFilters(unit=units[0]), None),
            (CaseFilters(unit=""), None),
            (CaseFilters(township="城关镇"), None),
            (CaseFilters(source=Source.CENTRAL_INSPECTION), None),
            (CaseFilters(), units[1]),
        ]
        for filters, scope in selections:
            trend = await closure.trend(conn, filters, moments, assigned_to=scope)
            from_history = await closure.trend(conn, filters, moments, assigned_to=scope, summaries=False)
            each = [
                (await closure.rates(conn, filters, Moment(m, at), None, assigned_to=scope, summaries=False))[0]
                for m in moments
            ]
            assert trend == from_history == each, (filters, scope)
        # the figures per source and per township as of each moment (in all, and of one township), from the changes
        # kept on write and from the history
        for m in moments:
            for group_by, filters in GROUPED:
                summed = await closure.rates(conn, filters, Moment(m, at), group_by)
                from_history = await closure.rates(conn, filters, Moment(m, at), group_by, summaries=False)
                assert summed == from_history, (m, filters)
        # how many cases a drill-down lists, from the changes and counted from the cases, now and as of moments
        for when in [None, *moments[:: max(1, len(moments) // 12)]]:
            for figure in Figure:
                for filters in (CaseFilters(), CaseFilters(source=Source.CENTRAL_INSPECTION), TOWNSHIP):
                    listed, _ = await closure.cases(conn, filters, Moment(when, at), figure, limit=1, offset=0)
                    counted, _ = await closure.cases(
                        conn, filters, Moment(when, at), figure, limit=1, offset=0, summaries=False
                    )
                    assert listed == counted, (when, figure, filters)
        # now: from the changes, and from the state beside each case
        for group_by, filters in [*GROUPED, (GroupBy.source, CaseFilters(source=Source.CENTRAL_INSPECTION))]:
            summed = await closure.rates(conn, filters, Moment(None, at), group_by)
            assert summed == await closure.rates(conn, filters, Moment(None, at), group_by, summaries=False), filters
        assert len(await closure.rates(conn, CaseFilters(), Moment(None, at), GroupBy.township)) > 3
        assert trend[-1].total > 0 and any(c.overdue for c in trend) and any(c.closed for c in trend)


async def test_the_enforcement_figures_per_year_are_the_per_case_figures_added_up(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    async with county_read(pool, settings, seed=29, issues=80, span_days=700) as (conn, at):
        for year in (None, at.year - 1, at.year):
            for as_of in (None, at - timedelta(days=200)):
                per_case = await enforcement_figures.per_case_year(conn, year=year, as_of=as_of)
                per_year = await enforcement_figures.per_year(conn, year=year, as_of=as_of)
                years = {y for _, y in per_case}
                assert per_year == {
                    y: enforcement_figures.add([f for (_, yy), f in per_case.items() if yy == y]) for y in years
                }
            # now: the sums kept on write (enforcement_years) are the four tables' added up (as of a later moment)
            later = at + timedelta(days=1)
            for case_ids in (None, ["no-such-case"]):
                kept = await enforcement_figures.per_case_year(conn, year=year, as_of=None, case_ids=case_ids)
                assert kept == await enforcement_figures.per_case_year(conn, year=year, as_of=later, case_ids=case_ids)
            assert await enforcement_figures.per_year(conn, year=year, as_of=None) == (
                await enforcement_figures.per_year(conn, year=year, as_of=later)
            )
            for offset in (0, 7):
                now_page = await enforcement_figures.case_years(
                    conn, year=year, as_of=None, case_ids=None, limit=10, offset=offset
                )
                assert now_page == await enforcement_figures.case_years(
                    conn, year=year, as_of=later, case_ids=None, limit=10, offset=offset
                )
        assert sum(f.cases_filed for f in (await enforcement_figures.per_year(conn, year=None, as_of=None)).values())


async def test_the_accountability_tally_kept_on_write_is_the_items_counted(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    async with county_read(pool, settings, seed=31, issues=120, span_days=700) as (conn, at):
        later = at + timedelta(days=1)
        units = [r["unit"] for r in await conn.fetch("select distinct unit from escalations order by unit limit 2")]
        assert await conn.fetchval("select count(*) from measure_revocations") > 0
        for group_by in (None, *TallyGroupBy):
            for year in (None, at.year - 1, at.year):
                for scope in (None, *units):
                    kept = await accountability.tally(conn, group_by, year=year, as_of=None, assigned_to=scope)
                    counted = await accountability.tally(conn, group_by, year=year, as_of=later, assigned_to=scope)
                    assert kept == counted, (group_by, year, scope)
        assert any(t.revoked_measures for _, t in await accountability.tally(conn, None, year=None, as_of=None))
        # how many items a drill-down lists, kept and counted (a tally row's filters, revoked ones or not, a scope)
        kinds = [r["kind"] for r in await conn.fetch("select distinct kind from accountability_counts order by kind")]
        for year in (None, at.year):
            for unit, kind, scope in ((None, None, None), (units[0], None, None), (None, kinds[0], units[1])):
                for include_revoked in (False, True):
                    listed = [
                        (
                            await accountability.items(
                                conn,
                                year=year,
                                as_of=None,
                                unit=unit,
                                kind=kind,
                                include_revoked=include_revoked,
                                limit=5,
                                offset=0,
                                assigned_to=scope,
                                summaries=summaries,
                            )
                        )[0]
                        for summaries in (True, False)
                    ]
                    assert listed[0] == listed[1], (year, unit, kind, scope, include_revoked)
        _, every = await accountability.items(
            conn, year=None, as_of=None, unit=None, kind=None, include_revoked=True, limit=10_000, offset=0
        )
        assert any(r["revoked"] for r in every)
