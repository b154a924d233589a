"""The contact reads recorded as rows before reads were audit events become ContactRead events, once."""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx

from services.intake.contact_reads import NOT_RECORDED, move_all
from services.intake.settings import IntakeSettings
from shared.audit.reads import audit_store
from shared.auth import Role
from tests.integration.intake.conftest import bearer


async def test_recorded_reads_move_into_audit_events_once_and_the_history_still_answers(
    client: httpx.AsyncClient, settings: IntakeSettings, db: Any
) -> None:
    conn = db  # intake's own database, migrated
    report = uuid4()
    read_at = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    # In one transaction: the service's own start-up job (move_contact_reads, running beside this test) cannot see
    # the rows before the moves under test have taken them.
    async with conn.transaction():
        for actor in ("li", "zhao"):
            await conn.execute(
                "insert into contact_reads (issue_id, actor, read_at, report_ids) values ($1, $2, $3, $4)",
                "ISSUE-OLD",
                actor,
                read_at,
                [report],
            )
        store = audit_store(settings)
        assert await move_all(conn, store) == 2
        assert await move_all(conn, store) == 0, "nothing left to move: a second run does nothing"
        assert await conn.fetchval("select count(*) from contact_reads") == 0
        # A row that comes back (a backup restored over the moved reads) is dropped, not recorded twice.
        first_id = await conn.fetchval(
            "select substring(stream_id from 'contact-reads-(\\d+)')::bigint from events where type = 'ContactRead' "
            "order by stream_id limit 1"
        )
        await conn.execute(
            "insert into contact_reads (id, issue_id, actor, read_at, report_ids)"
            " values ($1, 'ISSUE-OLD', 'li', $2, $3)",
            first_id,
            read_at,
            [report],
        )
        assert await move_all(conn, store) == 1
        assert await conn.fetchval("select count(*) from events where type = 'ContactRead'") == 2

    reads = await client.get("/v1/reports/ISSUE-OLD/contact-reads", headers=bearer(settings, Role.OPERATOR))
    assert [(r["actor"], r["role"], r["address"], r["read_at"], r["report_ids"]) for r in reads.json()] == [
        (actor, "operator", NOT_RECORDED, "2026-03-01T10:30:00+08:00", [str(report)]) for actor in ("li", "zhao")
    ]
