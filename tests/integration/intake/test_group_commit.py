"""成批提交: reports that arrive together are written in one transaction, and each is answered only after COMMIT."""

import asyncio
import signal
import uuid
from typing import Any

import asyncpg
import pytest

from services.intake.commands import Report
from services.intake.duplicates import Outcome
from services.intake.group_commit import GroupCommit
from services.intake.handlers import Intake, Receipt, Submission
from services.intake.main import create_app
from services.intake.settings import IntakeSettings
from shared.audit.verify import verify_store
from shared.contracts.codes import Domain, Source
from shared.contracts.intake import Channel, Location
from shared.db import init_connection
from shared.eventstore import Metadata
from tests.support.service import ServiceProcess, free_port, serving, staff_client

HERE = Location(address="城关镇河西村", lat=30.12, lon=114.31)
META = Metadata(actor="operator-1", correlation_id="group-commit-test")


def submission(title: str, *, location: Location | None = None, ref: str | None = None) -> Submission:
    report = Report(
        source=Source.HOTLINE_12369,
        channel=Channel.API,
        title=title,
        description="群众反映附近有环境问题",
        township="城关镇",
        domain=Domain.WATER,
        location=location,
        batch="2026-12" if ref else None,
        external_ref=ref,
    )
    return Submission(report=report)


async def in_one_batch(reports: GroupCommit, *submissions: Submission) -> list[Receipt | BaseException]:
    """Submitted in the same turn of the loop: the writer, started by the first, finds them all queued."""
    return await asyncio.gather(*(reports.receive(s, META) for s in submissions), return_exceptions=True)


async def count(conn: asyncpg.Connection, table: str) -> int:
    return int(await conn.fetchval(f"select count(*) from {table}"))


async def counts(settings: IntakeSettings, *tables: str) -> dict[str, int]:
    """The rows of each table in intake's database, read on a connection of its own."""
    conn = await asyncpg.connect(settings.database_dsn)
    try:
        return {table: await count(conn, table) for table in tables}
    finally:
        await conn.close()


async def test_one_batch_at_one_place_opens_one_issue_and_links_the_others(settings: IntakeSettings) -> None:
    async with serving(create_app(settings)) as (_, state):
        reports: GroupCommit = state["deps"].reports
        answers = await in_one_batch(reports, *(submission(f"第{n}位群众", location=HERE) for n in range(6)))
        receipts = [a for a in answers if isinstance(a, Receipt)]
        assert len(receipts) == 6
        assert len({r.issue_id for r in receipts}) == 1
        assert [r.outcome for r in receipts] == [Outcome.NEW] + [Outcome.LINKED] * 5
        assert [r.version for r in receipts] == [1, 2, 3, 4, 5, 6]


async def test_one_reference_twice_in_a_batch_is_one_issue_and_a_resend(settings: IntakeSettings) -> None:
    async with serving(create_app(settings)) as (_, state):
        reports: GroupCommit = state["deps"].reports
        first, again, other = await in_one_batch(
            reports, submission("交办一", ref="交办-1"), submission("交办一", ref="交办-1"), submission("交办二")
        )
        assert isinstance(first, Receipt) and isinstance(again, Receipt) and isinstance(other, Receipt)
        assert (first.outcome, again.outcome, other.outcome) == (Outcome.NEW, Outcome.ALREADY_RECEIVED, Outcome.NEW)
        assert again.issue_id == first.issue_id and again.report_id == first.report_id
        assert await counts(settings, "events", "issue_references") == {"events": 2, "issue_references": 1}


async def test_a_report_that_fails_in_a_batch_fails_alone(
    settings: IntakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(create_app(settings)) as (_, state):
        intake: Intake = state["deps"].intake
        reports: GroupCommit = state["deps"].reports
        record = intake.record

        async def record_but_refuse_the_bad_one(conn: Any, sub: Submission, report_id: uuid.UUID, meta: Any) -> Any:
            if sub.report.title == "坏":
                raise RuntimeError("this report cannot be recorded")
            return await record(conn, sub, report_id, meta)

        monkeypatch.setattr(intake, "record", record_but_refuse_the_bad_one)
        good, bad, near, other = await in_one_batch(
            reports,
            submission("好", ref="交办-2"),
            submission("坏", location=HERE),
            submission("近", location=HERE),
            submission("另一个"),
        )
        assert isinstance(bad, RuntimeError)
        assert isinstance(good, Receipt) and isinstance(near, Receipt) and isinstance(other, Receipt)
        assert {good.outcome, near.outcome, other.outcome} == {Outcome.NEW}
        assert await counts(settings, "reports", "issue_index", "events") == {
            "reports": 3,
            "issue_index": 3,
            "events": 3,
        }


async def test_a_report_answered_202_is_stored_even_if_intake_is_killed_right_after(settings: IntakeSettings) -> None:
    """The answer comes after COMMIT: SIGKILL straight after the 202 loses nothing the reporter was told."""
    process = ServiceProcess("services.intake", settings.model_copy(update={"port": free_port()}))
    process.start()
    try:
        await process.wait_ready()
        async with staff_client(base_url=process.url) as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        "/v1/reports",
                        json={
                            "source": "hotline_12369",
                            "title": f"第{n}份",
                            "description": "群众反映附近有环境问题",
                            "township": "城关镇",
                            "domain": "water",
                        },
                    )
                    for n in range(12)
                )
            )
        process.stop(signal.SIGKILL)
    finally:
        process.stop()
    assert [a.status_code for a in answers] == [202] * 12
    conn = await asyncpg.connect(settings.database_dsn)
    await init_connection(conn)
    try:
        stored = {r["stream_id"] for r in await conn.fetch("select stream_id from events")}
        assert {a.json()["issue_id"] for a in answers} <= stored
        assert await count(conn, "reports") == 12
    finally:
        await conn.close()


async def test_two_intake_processes_keep_the_duplicate_rules_between_their_batches(settings: IntakeSettings) -> None:
    """Two processes on one database, each writing batches: one place is one issue, one reference one report."""
    processes = [ServiceProcess("services.intake", settings.model_copy(update={"port": free_port()})) for _ in "ab"]
    for process in processes:
        process.start()
    try:
        await asyncio.gather(*(process.wait_ready() for process in processes))
        here = {"address": "城关镇河西村", "lat": 30.12, "lon": 114.31}
        body = {
            "source": "hotline_12369",
            "description": "群众反映附近有环境问题",
            "township": "城关镇",
            "domain": "water",
        }
        clients = [staff_client(base_url=process.url) for process in processes]
        try:
            answers = await asyncio.gather(
                *(
                    clients[n % 2].post("/v1/reports", json={**body, "title": f"第{n}位", "location": here})
                    for n in range(10)
                ),
                *(
                    clients[n % 2].post(
                        "/v1/reports", json={**body, "title": "交办", "batch": "2026-12", "external_ref": "交办-9"}
                    )
                    for n in range(10)
                ),
            )
        finally:
            for client in clients:
                await client.aclose()
    finally:
        for process in processes:
            process.stop()
    assert [a.status_code for a in answers] == [202] * 20
    by_place, by_reference = [a.json() for a in answers[:10]], [a.json() for a in answers[10:]]
    assert len({a["issue_id"] for a in by_place}) == 1
    assert sorted(a["status"] for a in by_place) == ["accepted"] + ["linked"] * 9
    assert len({a["issue_id"] for a in by_reference}) == 1
    assert sorted(a["status"] for a in by_reference) == ["accepted"] + ["already_received"] * 9
    # one issue with ten reports, one issue with one
    assert await counts(settings, "issue_index", "events") == {"issue_index": 2, "events": 11}


async def test_a_batch_of_new_issues_is_written_by_one_statement_with_every_row(
    settings: IntakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(create_app(settings)) as (_, state):
        intake: Intake = state["deps"].intake
        reports: GroupCommit = state["deps"].reports

        async def not_this_way(*_: Any) -> Any:
            raise AssertionError("a batch of new issues is written by record_at_once")

        monkeypatch.setattr(intake, "record_many", not_this_way)
        monkeypatch.setattr(intake, "receive", not_this_way)
        answers = await in_one_batch(
            reports, submission("交办三", ref="交办-3"), submission("交办三", ref="交办-3"), submission("无编号")
        )
        assert all(isinstance(a, Receipt) for a in answers), answers
        first, again, other = (a for a in answers if isinstance(a, Receipt))
        assert (first.outcome, again.outcome, other.outcome) == (Outcome.NEW, Outcome.ALREADY_RECEIVED, Outcome.NEW)
        assert again.issue_id == first.issue_id and [first.version, other.version] == [1, 1]
        conn = await asyncpg.connect(settings.database_dsn)
        try:
            assert await count(conn, "events") == 2
            assert await count(conn, "reports") == 2
            assert await count(conn, "issue_index") == 2
            assert await count(conn, "issue_references") == 1
            queued = await conn.fetchval("select count(*) from outbox") + state["platform"].relay.published
            assert queued == 2
        finally:
            await conn.close()
        # the statement chains each new stream as every other append does (shared/audit/)
        chains = await verify_store("intake", settings.database_dsn)
        assert (chains.events, chains.streams, chains.breaks) == (2, 2, [])


async def test_a_known_reference_in_a_batch_of_new_issues_writes_nothing_until_the_batch_is_decided_again(
    settings: IntakeSettings,
) -> None:
    async with serving(create_app(settings)) as (_, state):
        reports: GroupCommit = state["deps"].reports
        (earlier,) = await in_one_batch(reports, submission("交办四", ref="交办-4"))
        resent, new = await in_one_batch(
            reports, submission("交办四", ref="交办-4"), submission("交办五", ref="交办-5")
        )
        assert isinstance(earlier, Receipt) and isinstance(resent, Receipt) and isinstance(new, Receipt)
        assert (resent.outcome, resent.issue_id, resent.report_id) == (
            Outcome.ALREADY_RECEIVED,
            earlier.issue_id,
            earlier.report_id,
        )
        assert new.outcome is Outcome.NEW
        assert await counts(settings, "events", "reports", "issue_references") == {
            "events": 2,
            "reports": 2,
            "issue_references": 2,
        }
