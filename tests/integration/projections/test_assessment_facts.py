"""The assessment facts kept on write (assessment_facts, and their counts in assessment_counts for the ranking now)
give the scores the case events folded at the read give: the ranking and every unit's items, for every year, now and
as of past moments, under two policies, with objections."""

import dataclasses
import json
import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import asyncpg

from bench.county import simulate
from services.projections import readside, scoring
from services.projections.assessment import AssessmentPolicy, Kind, load_assessment_policy
from services.projections.read_tables import assessment
from services.projections.read_tables.sql import Params
from services.projections.settings import ProjectionsSettings
from shared.clock import SHANGHAI, now
from shared.db import Connection
from tests.integration.projections.conftest import feed, new_generation

POLICIES = {
    "shipped": load_assessment_policy(),
    "another": dataclasses.replace(
        load_assessment_policy(),
        per_event={**load_assessment_policy().per_event, Kind.DISCIPLINE_REFERRAL: Decimal("1.5")},
        overdue_day=Decimal("0.25"),
        overdue_days_cap=3,
        on_time_closure=Decimal("0.3"),
        bonus_cap=Decimal(2),
        objection_types=("ObjectionReceived",),
    ),
}
_ENDING = ("ClosureRequested", "Closed", "DeadlineExtended", "Reassigned", "Reopened")
_CASE_TYPES = ("DeadlineMissed", "ClosureRejected", *_ENDING)


def folded_sql(p: Params, policy: AssessmentPolicy, *, year: int, at: datetime) -> str:
    """The reference: the scored facts folded from the events at the read, as the assessment was first counted (one
    pass over every case event of these types up to the moment)."""
    start, end = assessment.year_bounds(year)
    at_, start_, end_ = p(at), p(start), p(end)
    types = p([*_CASE_TYPES, *policy.objection_types])
    ending = ", ".join(f"'{t}'" for t in _ENDING)
    return f"""with ev as materialized (
                select event_id, topic, type, stream_id, stream_version, occurred_at, payload ->> 'unit' as unit,
                       (payload ->> 'deadline')::timestamptz as deadline,
                       coalesce(payload ->> 'case_id', stream_id) as case_id
                  from facts
                 where type = any({types}::text[]) and occurred_at <= {at_}
            ), cases as (
                select event_id, type, stream_id, stream_version, occurred_at, unit, deadline,
                       min(case when type in ({ending}) then occurred_at end) over (
                           partition by stream_id order by stream_version
                           rows between 1 following and unbounded following) as ended_at,
                       max(case when type = 'ClosureRequested' then stream_version end) over (
                           partition by stream_id order by stream_version) as request_version,
                       max(case when type = 'ClosureRequested' then occurred_at end) over (
                           partition by stream_id order by stream_version) as requested_at
                  from ev where topic = 'cases'
            ), verdicts as (
                select event_id, case_id, occurred_at, rejected, unit,
                       max(case when not rejected then occurred_at end) over (
                           partition by case_id order by occurred_at, rejected, event_id) as objected_at,
                       max(case when rejected then occurred_at end) over (
                           partition by case_id order by occurred_at, rejected, event_id
                           rows between unbounded preceding and 1 preceding) as previous_rejection_at
                  from (select event_id, stream_id as case_id, occurred_at, true as rejected, unit from ev
                         where topic = 'cases' and type = 'ClosureRejected'
                        union all
                        select event_id, case_id, occurred_at, false, unit
                          from ev where type <> all({p(list(_CASE_TYPES))}::text[])) o
            ), scored as (
                select event_id, unit, '{Kind.OVERDUE_CASE.value}' as kind, array[stream_id] as case_ids, occurred_at,
                       greatest(0, floor(extract(epoch from coalesce(ended_at, {at_}) - deadline) / 86400))::int
                           as days_late
                  from cases where type = 'DeadlineMissed'
                union all
                select event_id, unit,
                       case when objected_at is not null
                             and (previous_rejection_at is null or objected_at >= previous_rejection_at)
                            then '{Kind.OBJECTION_UPHELD.value}' else '{Kind.CLOSURE_REJECTED.value}' end,
                       array[case_id], occurred_at, 0
                  from verdicts where rejected
                union all
                select c.event_id, c.unit, '{Kind.ON_TIME_CLOSURE.value}', array[c.stream_id],
                       c.occurred_at, 0
                  from cases c
                  left join case_history h on h.issue_id = c.stream_id and h.stream_version = c.request_version
                 where c.type = 'Closed' and c.request_version is not null
                   and (h.deadline is null or c.requested_at <= h.deadline)
                union all
                select event_id, unit, kind, case_ids, occurred_at, 0 from escalations where occurred_at <= {at_}
            )
            select event_id::text as event_id, unit, kind, case_ids, occurred_at, days_late from scored
             where occurred_at >= {start_} and occurred_at < {end_} and coalesce(unit, '') <> ''"""


async def folded(conn: Connection, policy: AssessmentPolicy, *, year: int, at: datetime) -> list[scoring.Score]:
    """The reference ranking: every fact folded at the read, every unit that held a case in the year, scored."""
    p = Params()
    rows = await conn.fetch(folded_sql(p, policy, year=year, at=at), *p.values)
    facts = [
        scoring.Fact(r["unit"], Kind(r["kind"]), r["event_id"], tuple(r["case_ids"]), r["occurred_at"], r["days_late"])
        for r in rows
    ]
    start, end = assessment.year_bounds(year)
    units = await conn.fetch(
        """select distinct unit from case_history where unit is not null and unit <> ''
            and valid_from < least($1::timestamptz, $2::timestamptz) and (valid_to is null or valid_to > $3)""",
        end,
        at,
        start,
    )
    return scoring.scores([r["unit"] for r in units], facts, policy)


async def write_objections(conn: Connection, rng: random.Random) -> int:
    """Objections (公示异议) to cases that failed a verification: before it, at the same instant, between two, after;
    on the case's stream (the test's own topic 'cases', like test_task_forces_and_assessment) or naming it."""
    # at the very instant of a case's failed verification that another one follows: that next one upholds it
    twice = await conn.fetch(
        """select stream_id, min(occurred_at) as first from facts where type = 'ClosureRejected'
            group by stream_id having count(*) > 1 order by stream_id limit 20"""
    )
    for n, r in enumerate(twice):
        await conn.execute(
            """insert into facts (event_id, topic, type, schema_version, stream_id, stream_version, occurred_at,
                                  actor, correlation_id, payload, issue_ids)
               values ($1, 'cases', 'ObjectionReceived', 1, $2, 2000 + $3, $4, 'test', $2, '{}'::jsonb, array[$2])""",
            uuid.uuid4(),
            r["stream_id"],
            n,
            r["first"],
        )
    rejections = await conn.fetch(
        """select stream_id, occurred_at from facts where type = 'ClosureRejected' and stream_id <> all($1::text[])
            order by occurred_at, event_id""",
        [r["stream_id"] for r in twice],
    )
    written = len(twice)
    for n, r in enumerate(rng.sample(list(rejections), k=min(len(rejections), 60))):
        offset = [timedelta(days=-3), timedelta(0), timedelta(hours=-1), timedelta(days=2)][n % 4]
        own_stream = n % 3 == 0
        await conn.execute(
            """insert into facts (event_id, topic, type, schema_version, stream_id, stream_version, occurred_at,
                                  actor, correlation_id, payload, issue_ids)
               values ($1, 'cases', $2, 1, $3, 1000 + $4, $5, 'test', $6, $7::jsonb, array[$6])""",
            uuid.uuid4(),
            "ObjectionReceived" if n % 5 else "ObjectionFiled",
            f"objection-{n}" if own_stream else r["stream_id"],
            n,
            r["occurred_at"] + offset,
            r["stream_id"],
            json.dumps({"case_id": r["stream_id"]} if own_stream else {"text": "整改不到位"}),
        )
        written += 1
    return written


async def test_the_facts_kept_on_write_score_as_the_events_folded_at_the_read(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    at = now()
    generation = await new_generation(pool, settings)
    await feed(pool, generation, simulate(seed=37, issues=300, now=at, span_days=700).envelopes)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select set_config('search_path', $1, true)", generation.search_path)
        assert await write_objections(conn, random.Random(3)) > 10
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await readside.enter(conn, generation)
        kinds = {r["kind"] for r in await conn.fetch("select distinct kind from assessment_facts")}
        assert kinds == {Kind.OVERDUE_CASE.value, Kind.CLOSURE_REJECTED.value, Kind.ON_TIME_CLOSURE.value}
        # now, every 37 days back, and the instants a figure changes: facts, ends of lateness, a day after deadlines
        rng = random.Random(7)
        instants = [r[0] for r in await conn.fetch("select occurred_at from assessment_facts")]
        instants += [r[0] for r in await conn.fetch("select ended_at from assessment_facts where ended_at is not null")]
        deadlines = await conn.fetch("select deadline from assessment_facts where deadline is not null")
        instants += [r[0] + timedelta(days=1, microseconds=d) for r in deadlines for d in (-1, 0)]
        moments = [at, *(at - timedelta(days=37 * k) for k in range(1, 20))] + rng.sample(instants, k=40)
        upheld = 0
        for moment in sorted(m for m in moments if m <= at):
            for year in {moment.astimezone(SHANGHAI).year, moment.astimezone(SHANGHAI).year - 1}:
                for name, policy in POLICIES.items():
                    expected = await folded(conn, policy, year=year, at=moment)
                    without_items = list(
                        zip(scoring.ranks(expected), [dataclasses.replace(s, items=()) for s in expected], strict=True)
                    )
                    # as of the moment from the facts; now (without as_of) from the counts kept on write
                    for as_of in [moment, None] if moment == at else [moment]:
                        ranked = await assessment.ranking(conn, policy, year=year, as_of=as_of, now=moment)
                        assert ranked == without_items, f"{name}, {year} as of {as_of} (now {moment})"
                        if as_of is None or moment == moments[5] or rng.random() < 0.1:  # drill-downs, sometimes
                            for rank, score in ranked:
                                found = await assessment.unit_score(
                                    conn, policy, year=year, as_of=as_of, now=moment, unit=score.unit
                                )
                                assert found == (rank, next(s for s in expected if s.unit == score.unit))
                    upheld += sum(s.deductions.get(Kind.OBJECTION_UPHELD, 0) for s in expected)
        assert upheld > 0, "no objection was upheld: the comparison says nothing about them"
