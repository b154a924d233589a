"""The read models are the same under any interleaving of the topics and any repeats, and they are right."""

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from bench.county import County, simulate
from services.projections import timeline
from services.projections.assessment import load_assessment_policy
from services.projections.filters import CaseFilters, Figure, GroupBy, PeriodUnit, TallyGroupBy
from services.projections.generations import Generation
from services.projections.read_tables import accountability as accountability_tally
from services.projections.read_tables import assessment, closure
from services.projections.read_tables import enforcement as enforcement_figures
from services.projections.read_tables import timeline as timeline_table
from services.projections.read_tables.closure import Moment
from services.projections.read_tables.facts import TOPIC_OF, payload_of
from services.projections.settings import ProjectionsSettings
from shared.clock import SHANGHAI, now
from shared.contracts import accountability as acc
from shared.contracts import enforcement
from shared.envelope import Envelope
from tests.integration.projections.conftest import feed, new_generation

POLICY = load_assessment_policy()


def issue_ids_of(envelope: Envelope) -> list[str]:
    """The issues an event names itself (what facts' issue_ids holds, written here as the rule says)."""
    event = envelope.payload
    if TOPIC_OF[envelope.type] in ("intake", "cases"):
        return [envelope.stream_id]
    if isinstance(event, enforcement.EnforcementCaseOpened):
        return [event.issue_id] if event.issue_id else []
    if isinstance(event, acc.Escalation | acc.MeasureImposed):
        return sorted(set(event.case_ids))
    return []


async def snapshot(pool: asyncpg.Pool, generation: Generation, county: County, at: datetime) -> dict[Any, Any]:
    """Every query's full answer, at now and at several earlier moments."""
    return await answers(pool, generation, county.envelopes, at)


async def answers(
    pool: asyncpg.Pool, generation: Generation, envelopes: list[Envelope], at: datetime
) -> dict[Any, Any]:
    """Every query's full answer about these events' issues and years, at `at` and at earlier moments."""
    moments = [None, at - timedelta(days=400), at - timedelta(days=200), at - timedelta(days=30)]
    years = sorted({e.occurred_at.astimezone(SHANGHAI).year for e in envelopes})
    issue_ids = sorted({i for e in envelopes for i in issue_ids_of(e)})
    out: dict[Any, Any] = {}
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute("select set_config('search_path', $1, true)", generation.search_path)
        for as_of in moments:
            moment = Moment(as_of, at)
            for group_by in [None, *GroupBy]:
                for unit in PeriodUnit if group_by is GroupBy.period else [PeriodUnit.month]:
                    out["rates", as_of, group_by, unit] = await closure.rates(
                        conn, CaseFilters(), moment, group_by, unit
                    )
            for figure in Figure:
                total, rows = await closure.cases(conn, CaseFilters(), moment, figure, limit=10_000, offset=0)
                out["cases", as_of, figure] = (total, [dict(r) for r in rows])
            for year in [None, *years]:
                for tally_by in [None, *TallyGroupBy]:
                    out["tally", as_of, year, tally_by] = await accountability_tally.tally(
                        conn, tally_by, year=year, as_of=as_of
                    )
                _, items = await accountability_tally.items(
                    conn, year=year, as_of=as_of, unit=None, kind=None, include_revoked=True, limit=10_000, offset=0
                )
                out["items", as_of, year] = [dict(r) for r in items]
                out["enforcement", as_of, year] = await enforcement_figures.per_case_year(conn, year=year, as_of=as_of)
                out["offenders", as_of, year] = [
                    dict(r) for r in await enforcement_figures.repeat_offenders(conn, year=year, as_of=as_of)
                ]
            for year in years:
                ranked = await assessment.ranking(conn, POLICY, year=year, as_of=as_of, now=at)
                out["assessment", as_of, year] = ranked
                for _, score in ranked:
                    found = await assessment.unit_score(conn, POLICY, year=year, as_of=as_of, now=at, unit=score.unit)
                    out["assessment items", as_of, year, score.unit] = found
        for issue_id in issue_ids:
            events = await timeline_table.events(conn, issue_id)
            out["timeline", issue_id] = [dict(r) for r in events]
            out["described", issue_id] = [timeline.describe(payload_of(r["type"], r["payload"])) for r in events]
        # the summaries kept on write too: the same whatever the batches were (a day's changes that add up to
        # nothing leave no row, as a rebuild that saw them in one batch never writes one)
        for table in (
            "issues",
            "case_history",
            "escalations",
            "measures",
            "measure_revocations",
            "penalties",
            "state_changes",
            "daily_changes",
            "township_daily_changes",
            "accountability_counts",
            "enforcement_years",
            "public_cases",
            "assessment_facts",
            "assessment_counts",
        ):
            out["table", table] = [dict(r) for r in await conn.fetch(f"select * from {table} t order by t")]
    return out


def with_repeats(envelopes: list[Envelope], rng: random.Random, share: float = 0.4) -> list[Envelope]:
    """The events shuffled across topics, with a share of them delivered again at random places."""
    out = envelopes + rng.sample(envelopes, int(len(envelopes) * share))
    rng.shuffle(out)
    return out


def topic_by_topic(envelopes: list[Envelope], order: list[str]) -> list[Envelope]:
    """One whole topic after the other: e.g. every Closed before any IssueReported."""
    return sorted(envelopes, key=lambda e: order.index(TOPIC_OF[e.type]))


async def test_any_interleaving_of_the_topics_with_repeats_gives_identical_read_models(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    at = now()
    county = simulate(seed=11, issues=40, now=at)
    rng = random.Random(5)
    orders = {
        "as published": county.envelopes,
        "reversed": list(reversed(county.envelopes)),
        "accountability, enforcement, cases, intake": topic_by_topic(
            county.envelopes, ["accountability", "enforcement", "cases", "intake"]
        ),
        "shuffled with repeats (1)": with_repeats(county.envelopes, rng),
        "shuffled with repeats (2)": with_repeats(county.envelopes, rng),
        "every event twice, reversed": list(reversed(county.envelopes)) + county.envelopes,
    }
    snapshots = {}
    for name, envelopes in orders.items():
        generation = await new_generation(pool, settings)
        await feed(pool, generation, envelopes)
        snapshots[name] = await snapshot(pool, generation, county, at)
    # as the live consumer sees them at a trickle: each event its own batch
    generation = await new_generation(pool, settings)
    await feed(pool, generation, county.envelopes, batch=1)
    snapshots["as published, one event per batch"] = await snapshot(pool, generation, county, at)

    reference = snapshots["as published"]
    assert reference["rates", None, None, PeriodUnit.month][0].total == len(county.issues)
    for name, found in snapshots.items():
        differing = [key for key in reference if reference[key] != found[key]]
        assert not differing, f"{name}: differs from the published order in {differing[:5]}"


async def test_the_figures_match_what_happened_to_each_case_at_every_moment(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    at = now()
    county = simulate(seed=3, issues=60, now=at)
    generation = await new_generation(pool, settings)
    await feed(pool, generation, with_repeats(county.envelopes, random.Random(9)))
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select set_config('search_path', $1, true)", generation.search_path)
        for as_of in [None, at - timedelta(days=300), at - timedelta(days=90), at - timedelta(days=7)]:
            rows = await closure.rates(conn, CaseFilters(), Moment(as_of, at), GroupBy.source)
            found = {
                r.key: {
                    "total": r.total,
                    "closed": r.closed,
                    "on_schedule": r.on_schedule,
                    "overdue": r.overdue,
                    "reopened": r.reopened,
                }
                for r in rows
            }
            assert found == county.figures(as_of or at, "source"), f"as of {as_of}"
            by_township = await closure.rates(conn, CaseFilters(), Moment(as_of, at), GroupBy.township)
            assert {r.key: r.closed for r in by_township} == {
                k: v["closed"] for k, v in county.figures(as_of or at, "township").items()
            }

        per_case = await enforcement_figures.per_case_year(conn, year=None, as_of=None)
        totals = enforcement_figures.add(list(per_case.values()))
        assert totals.fines_issued_fen == sum(e.amount_fen for e in county.payloads(enforcement.PenaltyIssued))
        assert totals.cases_filed == len(county.of_type(enforcement.EnforcementCaseOpened))
        assert totals.persons_detained == sum(len(e.persons) for e in county.payloads(enforcement.DetentionOrdered))

        tally = (await accountability_tally.tally(conn, None, year=None, as_of=None))[0][1]
        revoked = {e.measure_id for e in county.payloads(acc.MeasureRevoked)}
        kept = Counter(e.measure.value for e in county.payloads(acc.MeasureImposed) if e.measure_id not in revoked)
        assert tally.warnings == len(county.of_type(acc.WarningIssued))
        assert tally.summons == len(county.of_type(acc.SummonsIssued))
        assert tally.criticism_notices == len(county.of_type(acc.CriticismNoticeIssued)) + kept["criticism_notice"]
        assert tally.admonishment_talk == kept["admonishment_talk"]
        assert tally.warning_talk == kept["warning_talk"]
        assert tally.revoked_measures == len(revoked)


async def test_a_case_closed_before_its_report_arrives_counts_once_it_is_known(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    at = now()
    county = simulate(seed=21, issues=30, now=at)
    closed = next(i for i in county.issues if i.standing_at(at) == "closed")
    own = [e for e in county.envelopes if e.stream_id == closed.issue_id]
    generation = await new_generation(pool, settings)

    cases_events = [e for e in own if TOPIC_OF[e.type] == "cases" and e.type != "CaseOpened"]
    await feed(pool, generation, list(reversed(cases_events)))
    assert await total_and_closed(pool, generation, at) == (0, 0)  # nothing says yet what the problem is
    await feed(pool, generation, [e for e in own if e.type == "IssueReported"])
    assert await total_and_closed(pool, generation, at) == (1, 1)
    await feed(pool, generation, own)
    assert await total_and_closed(pool, generation, at) == (1, 1)


async def test_a_case_whose_report_never_reaches_intake_events_counts_from_its_opening(
    pool: asyncpg.Pool, settings: ProjectionsSettings
) -> None:
    # CaseOpened carries its copy of the problem (a case opened from the province's inbound, say): it feeds both the
    # problem's record and the case's history, in one batch with the case's later events.
    at = now()
    county = simulate(seed=21, issues=30, now=at)
    closed = next(i for i in county.issues if i.standing_at(at) == "closed")
    cases_events = [e for e in county.envelopes if e.stream_id == closed.issue_id and TOPIC_OF[e.type] == "cases"]
    assert cases_events[0].type == "CaseOpened"
    generation = await new_generation(pool, settings)
    await feed(pool, generation, cases_events)
    assert await total_and_closed(pool, generation, at) == (1, 1)


async def total_and_closed(pool: asyncpg.Pool, generation: Generation, at: datetime) -> tuple[int, int]:
    """The closure rate's total and closed problems as of now, in all."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("select set_config('search_path', $1, true)", generation.search_path)
        row = (await closure.rates(conn, CaseFilters(), Moment(None, at), None))[0]
        return row.total, row.closed
