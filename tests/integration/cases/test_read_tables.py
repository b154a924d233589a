"""The case list's rows never go back in time.

A save that decided nothing folds the stream as its transaction read it: a redelivered report's opening beside the
case's 交办 reads the case at version 1, and its save waits on the row the 交办 holds, then runs after its commit. The
stale save must leave the 交办's row and deadline as they are (it did not: the unit's evidence was then a 404 and the
deadline no longer polled, the drill's stop of Kafka, 2026-12-03).
"""

import asyncpg

from services.cases import domain, read_tables
from services.cases.main import create_app
from services.cases.settings import CasesSettings
from shared.aggregate import fold
from shared.db import init_connection
from shared.eventstore import EventStore
from tests.integration.cases.support import five_definitions, open_case
from tests.support.service import running


async def test_a_save_of_an_older_version_leaves_the_newer_row_and_its_deadline(settings: CasesSettings) -> None:
    async with running(create_app(settings)) as client:
        case_id = await open_case(client, settings)
        answer = await client.post(f"/v1/cases/{case_id}/assign", json=five_definitions(), headers={"If-Match": "1"})
        assert answer.status_code == 200, answer.text

    store = EventStore(topic=settings.own_topic, slots=settings.outbox_slots)
    conn = await asyncpg.connect(settings.database_dsn)
    await init_connection(conn)
    try:
        history = [e.payload for e in await store.read(conn, case_id)]
        opened, assigned = (fold(domain.evolve, None, history[:n]) for n in (1, 2))
        assert opened is not None and assigned is not None and opened.version == 1

        await read_tables.save(conn, opened)  # the opening's fold, saved after the 交办 committed
        row = await conn.fetchrow("select status, unit, version from cases where case_id = $1", case_id)
        assert row is not None
        assert (row["status"], row["unit"], row["version"]) == ("assigned", "城关镇人民政府", 2)
        deadline = await conn.fetchval("select deadline from case_deadlines where case_id = $1", case_id)
        assert deadline == assigned.deadline

        # the same version again is still written: a command that decided nothing brings its rows in line
        await conn.execute("delete from case_deadlines where case_id = $1", case_id)
        await read_tables.save(conn, assigned)
        assert await conn.fetchval("select deadline from case_deadlines where case_id = $1", case_id) == deadline
    finally:
        await conn.close()
